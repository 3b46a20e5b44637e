// `meshlet explain` as a user runs it against a mesh.yaml: the human output
// compared whole (golden), JSON, the artefacts validate reads, and usage errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededDraw } from '../../../src/cli/explain.ts';

const MAIN = new URL('../../../src/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'meshlet-explain-'));

function meshlet(args: string[], stdin = '') {
  const env: NodeJS.ProcessEnv = { ...process.env, MESHLET_NAMESPACE: 'default' };
  delete env.MESHLET_SERVICE;
  const r = spawnSync(process.execPath, [MAIN, 'explain', ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: stdin,
    env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MESH = `mtls: permissive
services:
  productpage:
    versions: { v1: { host: productpage } }
  reviews:
    port: 9080
    versions:
      v1: { host: reviews-v1 }
      v2: { host: reviews-v2 }
      v3: { host: reviews-v3 }
    timeout: 5s
    retries: { attempts: 2, on: [connect-failure, 503], perTryTimeout: 1s }
    routes:
      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - name: api
        match: { path: { prefix: /api/ }, method: GET }
        split: { v1: 95, v2: 5, v3: 0 }
        sticky: { header: x-user }
        fault: { abort: { percent: 1, status: 503 } }
        headers: { request: { set: { x-canary: "no" } } }
      - name: default
        split: { v1: 100 }
    allow:
      - from: [ns/ops/sa/probe]
      - from: [productpage]
        methods: [GET]
        paths: [/api/*]
`;
writeFileSync(join(dir, 'mesh.yaml'), MESH);

describe('meshlet explain --config', () => {
  it('shows why earlier routes missed, the split, the sticky pin, the allow rule and the policies (golden)', () => {
    const r = meshlet([
      '--config',
      'mesh.yaml',
      '--host',
      'reviews:9080',
      '-H',
      'x-user: bill',
      '--from',
      'productpage',
      'GET',
      '/api/1',
    ]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(
      r.stdout.replace(/[0-9a-f]{16}/, 'HASH'),
      `request    GET /api/1, host reviews:9080, x-user: bill
config     HASH (mesh.yaml)
service    reviews (reviews.default.svc.cluster.local, mtls permissive)
routes
  miss   #0 jason: header x-user exact jason (got bill)
  match  #1 api: method GET (ok); path prefix /api/ (ok)
split      api
  v1      95 %  weight 95  draw [0, 0.95)  reviews-v1:9080
  v2       5 %  weight 5  draw [0.95, 1)  reviews-v2:9080
  v3       0 %  weight 0  no traffic  reviews-v3:9080
sticky     header x-user: key 'bill' pins v1 while the weights hold
version    v1 (sticky key) -> http://reviews-v1:9080
endpoints
  v1  reviews-v1:9080 (from the config, looked up in DNS when live)
allow      allowed for productpage (spiffe://cluster.local/ns/default/sa/productpage): rule #1
policies
  timeout  5s  (service)
  retries  { attempts: 2, on: [connect-failure, 503], perTryTimeout: 1s }  (service)
  fault    { abort: { percent: 1, status: 503 } }  (route)
  headers  { request: { set: { x-canary: no } } }  (route)
`,
    );
  });

  it('without a key or draw lists every version; with --random names the drawn one; a denied caller shows why (golden)', () => {
    const r = meshlet([
      '--config',
      'mesh.yaml',
      '--host',
      'reviews',
      '--from',
      'ns/shop/sa/cart',
      'POST',
      '/api/1',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /\n {2}miss {3}#1 api: method GET \(got POST\)\n {2}match {2}#2 default: no conditions \(catch-all\)\n/,
    );
    assert.match(
      r.stdout,
      /\nallow {6}denied for ns\/shop\/sa\/cart \(spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart\) \(no allow rule matches spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart POST\)\n/,
    );
    const random = meshlet(['--config', 'mesh.yaml', '--host', 'reviews', '--random', '0.97', '/api/1']);
    assert.match(
      random.stdout,
      /\nsticky {5}header x-user: the request has no key, so the version is drawn at random\nversion {4}v2 \(random draw 0\.97\) -> http:\/\/reviews-v2:9080\n/,
    );
    const open = meshlet(['--config', 'mesh.yaml', '--host', 'reviews', '/api/1']);
    assert.match(
      open.stdout,
      /\nversion {4}drawn at random by weight \(give --random R or --seed N to see one draw\)\nendpoints\n {2}v1 {2}reviews-v1:9080 .*\n {2}v2 {2}reviews-v2:9080 .*\n/,
    );
    assert.match(
      open.stdout,
      /\nallow {6}not-evaluated \(no caller given \(--from\) and this sidecar has no MESHLET_SERVICE\)\n/,
    );
  });

  it('with a sticky key and a draw, shows both the pinned version and what the draw would pick', () => {
    const r = meshlet([
      '--config',
      'mesh.yaml',
      '--host',
      'reviews',
      '-H',
      'x-user: bill',
      '--random',
      '0.97',
      '/api/1',
    ]);
    assert.match(
      r.stdout,
      /\nsticky {5}header x-user: key 'bill' pins v1 while the weights hold\ndraw {7}0\.97 would pick v2 for a request without the key\nversion {4}v1 \(sticky key\) -> http:\/\/reviews-v1:9080\n/,
    );
  });

  it('--seed draws the same value every time', () => {
    const a = meshlet(['--config', 'mesh.yaml', '--host', 'reviews', '--seed', '7', '-o', 'json', '/api/1']);
    const e = JSON.parse(a.stdout);
    assert.equal(e.request.random, seededDraw(7));
    assert.equal(e.version, seededDraw(7) < 0.95 ? 'v1' : 'v2');
  });

  it('explains a host outside the registry: passthrough under allowAny, NR under registryOnly', () => {
    const pass = meshlet(['--config', 'mesh.yaml', '--host', 'example.com', '/']);
    assert.equal(pass.status, 0);
    assert.match(pass.stdout, /\nservice {4}none: passthrough to http:\/\/example\.com:80 /);
    writeFileSync(join(dir, 'closed.yaml'), `outboundTrafficPolicy: registryOnly\n${MESH}`);
    const closed = meshlet(['--config', 'closed.yaml', '--host', 'example.com', '-o', 'json', '/']);
    const e = JSON.parse(closed.stdout);
    assert.deepEqual([e.destination.kind, e.destination.flag, e.destination.status], ['refused', 'NR', 502]);
  });

  it('lists every route with its failed conditions when none matches: 404 NR (golden)', () => {
    writeFileSync(
      join(dir, 'nr.yaml'),
      'services:\n  reviews:\n    versions: { v1: { host: r1 } }\n    routes:\n      - name: api\n        match: { path: { prefix: /api }, headers: { x-user: { present: true } } }\n        split: { v1: 1 }\n',
    );
    const r = meshlet(['--config', 'nr.yaml', '--host', 'reviews', '--from', 'reviews', '/x']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.replace(/[0-9a-f]{16}/, 'HASH'),
      `request    GET /x, host reviews
config     HASH (nr.yaml)
service    reviews
routes
  miss   #0 api: path prefix /api (got /x); header x-user present (missing)
refused    404 NR (no route of service 'reviews' matches GET /x)
allow      allowed for reviews (spiffe://cluster.local/ns/default/sa/reviews) (reviews has no allow rules: anyone may call)
`,
    );
  });

  it('reads a ConfigMap manifest from stdin, as validate does', () => {
    const indented = MESH.split('\n')
      .map((l) => (l === '' ? l : `    ${l}`))
      .join('\n');
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: meshlet-mesh }\ndata:\n  mesh.yaml: |\n${indented}`;
    const r = meshlet(
      ['--config', '-', '--host', 'reviews', '-H', 'x-user:jason', '-o', 'json', '/x'],
      manifest,
    );
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    assert.equal(e.route, 'jason');
    assert.equal(e.version, 'v2');
    assert.equal(e.pickedBy, 'only version');
  });

  it('exits 2 on usage errors and 1 when the config cannot be loaded', () => {
    const usage = (args: string[], message: RegExp) => {
      const r = meshlet(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    };
    usage(['--host', 'reviews', '/'], /give --config PATH or --admin URL/);
    usage(['--config', 'mesh.yaml', '/'], /--host HOST/);
    usage(['--config', 'mesh.yaml', '--host', 'reviews', '--random', '1', '/'], /\[0, 1\)/);
    usage(['--config', 'mesh.yaml', '--host', 'reviews', '--from', 'no such thing', '/'], /--from: /);
    usage(['--config', 'mesh.yaml', '--host', 'reviews', '-H', 'novalue', '/'], /a header is 'name: value'/);
    usage(['--config', 'mesh.yaml', '--host', 'reviews', 'get', '/'], /upper-case HTTP method/);
    const missing = meshlet(['--config', 'nope.yaml', '--host', 'reviews', '/']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^meshlet explain: nope\.yaml: cannot read the config file: no such file/);
  });
});
