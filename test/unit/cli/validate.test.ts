// `meshlet validate` as a user runs it: real files, stdin, several files, the
// human output compared whole (golden), JSON for CI, exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const MAIN = new URL('../../../src/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'meshlet-validate-'));

/** Runs in the temporary directory, so file names in the output are as given. */
function meshlet(args: string[], stdin?: string) {
  const r = spawnSync(process.execPath, [MAIN, 'validate', ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: stdin ?? '',
    env: { ...process.env, MESHLET_NAMESPACE: 'default' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const LEGAL_BUT_WRONG = `mtls: strict
services:
  productpage:
    versions: { v1: { host: productpage } }
  reviews:
    versions: { v1: { host: reviews-v1 }, v2: { host: reviews-v2 } }
    routes:
      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 1 }
  ratings:
    versions: { v1: { host: ratings } }
    routes:
      - split: { v1: 1 }
      - name: admin
        match: { path: { prefix: /admin } }
        split: { v1: 1 }
    allow:
      - from: [prodcutpage, reviews, ns/ops/sa/backup]
`;

describe('meshlet validate: a mesh.yaml', () => {
  it('exits 0 and says ok for a valid file', () => {
    const r = meshlet([
      file('ok.yaml', 'mtls: strict\nservices:\n  reviews:\n    versions: { v1: { host: r1 } }\n'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^ok\.yaml: ok \(hash [0-9a-f]{16}, 1 services\)\n$/);
  });

  it('prints each error with file:line:col, the line and a caret under the column (golden)', () => {
    const r = meshlet([
      file(
        'bad.yaml',
        'mtls: sometimes\nservices:\n  reviews:\n    versions: { v1: { host: r1 } }\n    routes:\n      - spilt: { v1: 1 }\n',
      ),
    ]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'bad.yaml:1:7: mtls: must be one of "strict", "permissive", "disable"',
      ' 1 | mtls: sometimes',
      '   |       ^',
    ]);
    // The second problem is reported in the same pass, with its own snippet.
    assert.match(lines[3]!, /^bad\.yaml:6:9: services\.reviews\.routes\.0: .*spilt/);
    assert.deepEqual(lines.slice(4, 6), [' 6 |       - spilt: { v1: 1 }', '   |         ^']);
    assert.equal(lines.at(-2), '2 errors, 0 warnings in 1 file');
  });

  it('warns on legal but wrong configs and exits 0, with did-you-mean (golden)', () => {
    const r = meshlet([file('wrong.yaml', LEGAL_BUT_WRONG)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrong\.yaml: ok \(hash [0-9a-f]{16}, 3 services\), 3 warnings\n$/);
    assert.equal(
      r.stderr,
      `wrong.yaml:7:5: warning: service 'reviews' has no default route: a request that matches none of its 1 route gets 404 NR; end the list with a route without \`match\`
 7 |     routes:
   |     ^
wrong.yaml:15:9: warning: route 1 ('admin') of 'ratings' can never match: route 0 before it matches every request; move it above
 15 |       - name: admin
    |         ^
wrong.yaml:19:16: warning: 'prodcutpage' is not a service in this config, so it only matches service account 'prodcutpage' in namespace 'default'; did you mean 'productpage'?
 19 |       - from: [prodcutpage, reviews, ns/ops/sa/backup]
    |                ^
0 errors, 3 warnings in 1 file
`,
    );
  });

  it('--strict turns warnings into exit 1', () => {
    assert.equal(meshlet(['--strict', file('strict.yaml', LEGAL_BUT_WRONG)]).status, 1);
  });

  it('reads stdin with -', () => {
    const r = meshlet(['-'], 'services:\n  a:\n    versions: { v1: { host: a } }\n    timeout: 5 seconds\n');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^<stdin>:4:14: services\.a\.timeout: /);
    assert.match(r.stderr, /\n 4 \| {5}timeout: 5 seconds\n {3}\| {14}\^\n/);
  });

  it('reports an unreadable file without a fake position, and still checks the others', () => {
    const good = file('good.yaml', 'services:\n  a:\n    versions: { v1: { host: a } }\n');
    const r = meshlet(['/nonexistent/mesh.yaml', good]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^\/nonexistent\/mesh\.yaml: cannot read the config file: no such file \(ENOENT\)\n/,
    );
    assert.doesNotMatch(r.stderr, /:0:0/);
    assert.match(r.stdout, /^good\.yaml: ok/);
  });
});

describe('meshlet validate: Kubernetes and Helm artefacts', () => {
  const configMap = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: meshlet-mesh
  namespace: shop
data:
  mesh.yaml: |
    mtls: strict
    services:
      reviews:
        versions: { v1: { host: r1 } }
        timeout: "5 seconds"
`;

  it('checks the mesh.yaml key of a ConfigMap, reporting lines of the manifest (golden)', () => {
    const r = meshlet([file('configmap.yaml', configMap)]);
    assert.equal(r.status, 1);
    const [head, snippet, caret] = r.stderr.split('\n');
    assert.match(head!, /^configmap\.yaml:17:18: services\.reviews\.timeout: /);
    assert.equal(snippet, ' 17 |         timeout: "5 seconds"');
    assert.equal(caret, '    |                  ^');
  });

  it('says ok per ConfigMap, naming it', () => {
    const r = meshlet([file('cm-ok.yaml', configMap.replace('"5 seconds"', '5s'))]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cm-ok\.yaml: ConfigMap meshlet-mesh: ok \(hash [0-9a-f]{16}, 1 services\)\n$/);
  });

  it('refuses manifests without a mesh ConfigMap', () => {
    const r = meshlet([
      file('deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: a }\n'),
    ]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^deploy\.yaml:1:1: no ConfigMap with a `mesh\.yaml` key under `data`/);
  });

  it('points at the string for a quoted mesh.yaml value, naming the embedded line', () => {
    const quoted =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: m }\ndata:\n  mesh.yaml: "services:\\n  a:\\n    versions: { v1: { host: a } }\\n    timeout: soon\\n"\n';
    const r = meshlet([file('quoted.yaml', quoted)]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^quoted\.yaml:5:14: services\.a\.timeout: .* \(line 4:14 of the embedded mesh\.yaml\)\n/,
    );
  });

  it('checks the mesh: key of Helm values, reporting lines of the values file (golden)', () => {
    const values = `image:
  repository: ghcr.io/meshlet/meshlet
# The mesh config, rendered into the ConfigMap.
mesh:
  mtls: sometimes
  services:
    reviews:
      versions: { v1: { host: r1 } }
      allow:
        - from: [prodcutpage]
    productpage:
      versions: { v1: { host: pp } }
meshConfigMap:
  name: meshlet-mesh
`;
    const bad = meshlet([file('values.yaml', values)]);
    assert.equal(bad.status, 1);
    assert.equal(
      bad.stderr,
      `values.yaml:5:9: mtls: must be one of "strict", "permissive", "disable"
 5 |   mtls: sometimes
   |         ^
`,
    );
    const warned = meshlet([file('values-ok.yaml', values.replace('sometimes', 'strict'))]);
    assert.equal(warned.status, 0, warned.stderr);
    assert.equal(warned.stdout, 'values-ok.yaml: Helm values mesh: ok (2 services), 1 warning\n');
    assert.equal(
      warned.stderr,
      `values-ok.yaml:10:18: warning: 'prodcutpage' is not a service in this config, so it only matches service account 'prodcutpage' in namespace 'default'; did you mean 'productpage'?
 10 |         - from: [prodcutpage]
    |                  ^
`,
    );
  });

  it('checks several files in one call, and -o json gives every finding for CI', () => {
    const r = meshlet([
      '-o',
      'json',
      file('j1.yaml', LEGAL_BUT_WRONG),
      file('j2.yaml', 'mtls: sometimes\nservices: {}\n'),
    ]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
    const findings = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      findings.map((f) => [f.file, f.line, f.col, f.severity]),
      [
        ['j1.yaml', 7, 5, 'warning'],
        ['j1.yaml', 15, 9, 'warning'],
        ['j1.yaml', 19, 16, 'warning'],
        ['j2.yaml', 1, 7, 'error'],
      ],
    );
    assert.deepEqual(Object.keys(findings[0]!), ['file', 'line', 'col', 'severity', 'message']);
    const clean = meshlet(['-o', 'json', file('j3.yaml', 'services: {}\n')]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.equal(clean.stdout, '[]\n');
  });
});

describe('meshlet validate: usage', () => {
  it('exits 2 on usage errors, 0 for --help', () => {
    assert.equal(meshlet([]).status, 2);
    assert.equal(meshlet(['--bogus']).stderr.split('\n')[0], "meshlet validate: unknown option '--bogus'");
    assert.equal(meshlet(['-o', 'yaml', 'x']).status, 2);
    assert.equal(meshlet(['-', '-']).status, 2);
    const help = meshlet(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: meshlet validate /);
  });
});
