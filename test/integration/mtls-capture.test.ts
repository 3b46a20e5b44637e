// Allow rules on captured inbound traffic, in a real "pod" network namespace
// with an iptables REDIRECT to the sidecar's inbound port, as in a cluster.
// A plaintext caller (permissive mode) has no identity, so where rules exist
// nothing it sends may reach the app: not a plain HTTP request, not one the
// protocol sniffer fails to recognise, not raw TCP to another pod port.
//
//   pod    10.78.0.1/24  app HTTP :8080, TCP echo :7100; meshlet :15006 (root)
//          PREROUTING tcp dport 8080,7100 -> REDIRECT 15006
//   remote 10.78.0.2/24  the caller
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAIN, NODE_FLAGS, tempDir } from '../helpers/mesh.ts';
import { spiffe, TestPki } from '../helpers/mtls.ts';
import {
  connectNetns,
  createNetns,
  destroyAllNetns,
  JsonLines,
  type Netns,
  NODE,
  netnsSkipReason,
  REPO,
} from '../helpers/netns.ts';

const POD_IP = '10.78.0.1';
const REMOTE_IP = '10.78.0.2';
const ADDON = `${REPO}native/linux/build/Release/original_dst.node`;

function skipReason(): string | null {
  if (!existsSync(MAIN)) return `${MAIN} is not built (npm test runs tsc first)`;
  if (!existsSync(ADDON)) return `the SO_ORIGINAL_DST addon is not built (${ADDON})`;
  return netnsSkipReason();
}

// The app: HTTP on :8080 and a TCP echo on :7100; one JSON line per request / connection.
const APP = `
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp } from 'node:net';
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
let pending = 2;
const up = () => { if (--pending === 0) emit({ event: 'ready' }); };
createHttp((req, res) => {
  emit({ event: 'request', url: req.url, headers: req.headers });
  req.resume();
  res.end('app answered ' + req.url);
}).listen(8080, '0.0.0.0', up);
createTcp((s) => {
  emit({ event: 'tcp' });
  s.on('error', () => {});
  s.pipe(s);
}).listen(7100, '0.0.0.0', up);
`;

// Raw bytes to host:port (base64 arg), prints what came back before close or 1.5 s.
const RAW_CLIENT = `
import { connect } from 'node:net';
const [host, port, b64] = process.argv.slice(1);
let text = '';
const s = connect(Number(port), host, () => s.write(Buffer.from(b64, 'base64')));
const done = (error) => { console.log(JSON.stringify({ text, error })); process.exit(0); };
s.on('data', (d) => (text += d.toString('latin1')));
s.on('error', (e) => done(e.code));
s.on('close', () => done());
setTimeout(() => done('timeout'), 1500);
`;

const FORGED_XFCC = `By=${spiffe('reviews')};URI=${spiffe('productpage')}`;
const request = (prefix: string, path: string) =>
  `${prefix}GET ${path} HTTP/1.1\r\nHost: reviews\r\nx-forwarded-client-cert: ${FORGED_XFCC}\r\nConnection: close\r\n\r\n`;

const skip = skipReason();

describe('captured plaintext inbound with allow rules (permissive mode)', { skip: skip ?? false }, () => {
  let pod: Netns;
  let remote: Netns;
  let app: JsonLines;
  let pki: TestPki;
  let cmDir: string;

  before(async () => {
    pki = await TestPki.create();
    pod = await createNetns('meshlet-mtlscap');
    remote = await createNetns('meshlet-mtlscap');
    await connectNetns(pod, `${POD_IP}/24`, remote, `${REMOTE_IP}/24`);
    await pod.mustRun('iptables', [
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      '-m',
      'multiport',
      '--dports',
      '8080,7100',
      '-j',
      'REDIRECT',
      '--to-ports',
      '15006',
    ]);
    const appProc = pod.spawn(NODE, ['--input-type=module', '-e', APP], { uid: 1000 });
    app = new JsonLines(appProc);
    await app.take((e) => e.event === 'ready');

    const tls = pki.mount('reviews', await pki.svid('reviews'));
    cmDir = tempDir('meshlet-mtlscap-cm-');
    const configFile = join(cmDir, 'mesh.yaml');
    writeFileSync(
      configFile,
      `trustDomain: cluster.local
mtls: permissive
services:
  reviews:
    allow:
      - from: [productpage]
    versions: { v1: { host: ${POD_IP}, port: 8080 } }
`,
    );
    const proxy = new JsonLines(
      pod.spawn(NODE, [...NODE_FLAGS, MAIN, 'run', '--config', configFile], {
        env: {
          MESHLET_SERVICE: 'reviews',
          MESHLET_NAMESPACE: 'default',
          MESHLET_VERSION: 'v1',
          MESHLET_APP_PORT: '8080',
          MESHLET_TLS_DIR: tls.dir,
        },
      }),
    );
    await proxy.take((e) => e.msg === 'meshlet started');
  });

  after(async () => {
    await destroyAllNetns();
    pki?.cleanup();
    if (cmDir !== undefined) rmSync(cmDir, { recursive: true, force: true });
  });

  async function send(port: number, payload: string): Promise<{ text: string; error?: string }> {
    const out = await remote.mustRun(NODE, [
      '--input-type=module',
      '-e',
      RAW_CLIENT,
      POD_IP,
      String(port),
      Buffer.from(payload).toString('base64'),
    ]);
    return JSON.parse(out.trim().split('\n').at(-1)!);
  }

  /** App events since the last call. */
  function appEvents(): Record<string, unknown>[] {
    const seen = app.events.splice(0);
    return seen;
  }

  it('control: a captured plaintext HTTP request is denied by the rules (403 RBAC)', async () => {
    appEvents();
    const r = await send(8080, request('', '/admin'));
    assert.match(r.text, /^HTTP\/1\.1 403 /, JSON.stringify(r));
    assert.match(r.text, /x-meshlet-error: RBAC/i);
    assert.deepEqual(appEvents(), [], 'the app saw nothing');
  });

  it('an HTTP request the sniffer does not recognise (leading CRLF) never reaches the app', async () => {
    appEvents();
    const r = await send(8080, request('\r\n', '/admin'));
    assert.doesNotMatch(r.text, /app answered/, `the app answered a denied caller: ${JSON.stringify(r)}`);
    assert.deepEqual(appEvents(), [], 'the app received a request (with a forged x-forwarded-client-cert)');
  });

  it('raw TCP from a plaintext caller to another pod port is refused where rules exist', async () => {
    appEvents();
    const r = await send(7100, 'PING\r\n');
    assert.equal(r.text, '', `bytes came back from the app: ${JSON.stringify(r)}`);
    assert.deepEqual(appEvents(), [], 'the app accepted a connection');
  });
});
