// HTTP/1.1 and HTTP/2 on the same ports, and translation between them: curl
// with prior knowledge and with an h2c upgrade offer through the outbound
// listener, an HTTP/1.1 client calling a `protocol: http2` service, an h2
// client calling an HTTP/1.1 service with a body of unknown length, trailers
// end to end, h2c and HTTP/1.1 on a permissive inbound port, CONNECT over
// HTTP/2 refused plainly, and GOAWAY on drain with the open stream finishing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer as createH1Server, type IncomingMessage } from 'node:http';
import {
  constants,
  createServer as createH2Server,
  type Http2ServerRequest,
  connect as h2connect,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import { tempDir } from '../helpers/mesh.ts';
import { freePort, type MeshSidecar, startMeshSidecar, TestPki } from '../helpers/mtls.ts';

const run = promisify(execFile);

interface Seen {
  version: string;
  method: string;
  url: string;
  bodyBytes: number;
  host: string | undefined;
}

/** Answers JSON describing what it saw; `/slow` waits 300 ms; `/trailers` adds a trailer. */
function describeRequest(
  req: IncomingMessage | Http2ServerRequest,
  res: {
    setHeader(n: string, v: string): unknown;
    addTrailers(t: Record<string, string>): void;
    end(body: string): unknown;
  },
): void {
  let bodyBytes = 0;
  req.on('data', (c: Buffer) => (bodyBytes += c.length));
  req.on('end', () => {
    const seen: Seen = {
      version: req.httpVersion,
      method: req.method!,
      url: req.url!,
      bodyBytes,
      host: (req.headers.host ?? req.headers[':authority']) as string | undefined,
    };
    const reply = (): void => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/trailers') res.addTrailers({ 'x-app-trailer': 'yes' });
      res.end(JSON.stringify(seen));
    };
    if (req.url === '/slow') setTimeout(reply, 300);
    else if (req.url === '/reset' && 'stream' in req) {
      // An upstream that fails mid-response: headers and a first chunk, then RST_STREAM
      // (destroy() resets at once; close(code) would end the response first).
      const stream = req.stream;
      stream.on('error', () => {});
      stream.respond({ ':status': 200 });
      stream.write('partial', () => stream.destroy(new Error('upstream failure')));
    } else reply();
  });
}

async function curl(args: string[]): Promise<{ status: number; version: string; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %{http_version}', ...args], {
    timeout: 20_000,
  });
  const cut = stdout.lastIndexOf('\n');
  const [status, version] = stdout.slice(cut + 1).split(' ');
  return { status: Number(status), version: version!, body: stdout.slice(0, cut) };
}

describe('HTTP/2 and HTTP/1.1 on the same ports, translated both ways', () => {
  let pki: TestPki;
  let dir: string;
  let sidecar: MeshSidecar;
  const h1app = createH1Server((req, res) => describeRequest(req, res));
  const h2app = createH2Server((req, res) => describeRequest(req, res));

  before(async () => {
    pki = await TestPki.create();
    dir = tempDir('meshlet-h2-');
    h1app.listen(0, '127.0.0.1');
    h2app.listen(0, '127.0.0.1');
    await Promise.all([once(h1app, 'listening'), once(h2app, 'listening')]);
    const h1port = (h1app.address() as AddressInfo).port;
    const h2port = (h2app.address() as AddressInfo).port;
    const inbound = await freePort();
    const configFile = join(dir, 'mesh.yaml');
    writeFileSync(
      configFile,
      `mtls: permissive
services:
  tester:
    protocol: http2
    versions: { v1: { host: 127.0.0.1, port: ${inbound} } }
  h1app:
    mtls: disable
    versions: { v1: { host: 127.0.0.1, port: ${h1port} } }
  h2app:
    mtls: disable
    protocol: http2
    versions: { v1: { host: 127.0.0.1, port: ${h2port} } }
`,
    );
    const tls = pki.mount('tester', await pki.svid('tester'));
    sidecar = await startMeshSidecar({
      service: 'tester',
      inbound,
      configFile,
      tlsDir: tls.dir,
      appPort: h2port,
      env: { MESHLET_LOG_LEVEL: 'info', MESHLET_ACCESS_LOG: '0' },
    });
  });

  after(async () => {
    await sidecar?.stop();
    h1app.close();
    h2app.close();
    pki?.cleanup();
  });

  it('curl --http2-prior-knowledge through the outbound listener reaches an HTTP/1.1 app', async () => {
    const r = await curl([
      '--http2-prior-knowledge',
      '-H',
      'Host: h1app',
      `http://127.0.0.1:${sidecar.outbound}/a?b=1`,
    ]);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.version, '2');
    const seen = JSON.parse(r.body) as Seen;
    assert.equal(seen.version, '1.1');
    assert.equal(seen.url, '/a?b=1');
    assert.equal(seen.host, 'h1app');
  });

  it('curl --http2 (an h2c upgrade offer) is served over HTTP/1.1 and works', async () => {
    const r = await curl(['--http2', '-H', 'Host: h2app', `http://127.0.0.1:${sidecar.outbound}/up`]);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.version, '1.1');
    assert.equal((JSON.parse(r.body) as Seen).version, '2.0', 'the http2 service is spoken to in HTTP/2');
  });

  it('an HTTP/1.1 client calls a protocol: http2 service (GET, POST with a length, chunked POST)', async () => {
    const base = `http://127.0.0.1:${sidecar.outbound}`;
    const get = await request(`${base}/get`, { headers: { host: 'h2app' } });
    const seenGet = (await get.body.json()) as Seen;
    assert.equal(get.statusCode, 200);
    assert.equal(seenGet.version, '2.0');
    assert.equal(seenGet.host, 'h2app');
    assert.equal(get.headers['x-meshlet-upstream-version'], 'v1');
    const body = Buffer.alloc(100_000, 1);
    const post = await request(`${base}/post`, { method: 'POST', headers: { host: 'h2app' }, body });
    assert.equal(((await post.body.json()) as Seen).bodyBytes, body.length);
    const chunked = await request(`${base}/chunked`, {
      method: 'POST',
      headers: { host: 'h2app' },
      body: Readable.from(
        (async function* () {
          for (let i = 0; i < 10; i++) yield Buffer.alloc(1000, 2);
        })(),
      ),
    });
    assert.equal(((await chunked.body.json()) as Seen).bodyBytes, 10_000);
  });

  it('an h2 client calls an HTTP/1.1 service with a body of unknown length, and trailers pass h2 to h2', async () => {
    const session = h2connect(`http://127.0.0.1:${sidecar.outbound}`);
    try {
      const post = session.request({ ':method': 'POST', ':path': '/nolength', ':authority': 'h1app' });
      post.end(Buffer.alloc(5000, 3));
      const [headers] = (await once(post, 'response')) as [Record<string, string>];
      let text = '';
      post.setEncoding('utf8');
      post.on('data', (c: string) => (text += c));
      await once(post, 'end');
      assert.equal(headers[':status'], 200);
      assert.equal((JSON.parse(text) as Seen).bodyBytes, 5000);
      assert.equal((JSON.parse(text) as Seen).version, '1.1');

      const t = session.request({ ':path': '/trailers', ':authority': 'h2app', te: 'trailers' });
      t.end();
      const trailers = new Promise<Record<string, string>>((r) => t.once('trailers', r));
      t.resume();
      await once(t, 'end');
      assert.equal((await trailers)['x-app-trailer'], 'yes');
    } finally {
      session.close();
    }
  });

  it('an upstream reset mid-response resets only that stream of the h2 caller; the session goes on', async () => {
    const session = h2connect(`http://127.0.0.1:${sidecar.outbound}`);
    session.on('error', () => {});
    try {
      const s = session.request({ ':path': '/reset', ':authority': 'h2app' });
      s.on('error', () => {});
      s.end();
      const [headers] = (await once(s, 'response')) as [Record<string, unknown>];
      assert.equal(headers[':status'], 200);
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (c: string) => (got += c));
      await once(s, 'close');
      assert.equal(
        s.rstCode,
        constants.NGHTTP2_CANCEL,
        'the cut reaches the caller as a reset, never as a complete body',
      );
      assert.ok(got === '' || got === 'partial', got);
      const ok = session.request({ ':path': '/after-reset', ':authority': 'h2app' });
      ok.end();
      const [okHeaders] = (await once(ok, 'response')) as [Record<string, unknown>];
      ok.resume();
      assert.equal(okHeaders[':status'], 200);
    } finally {
      session.close();
    }
  });

  it('the permissive inbound port serves h2c and HTTP/1.1 to a protocol: http2 app', async () => {
    const h2c = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${sidecar.inbound}/in`]);
    assert.equal(h2c.status, 200, h2c.body);
    assert.equal(h2c.version, '2');
    assert.equal((JSON.parse(h2c.body) as Seen).version, '2.0');
    const h1 = await curl(['--http1.1', `http://127.0.0.1:${sidecar.inbound}/in`]);
    assert.equal(h1.status, 200, h1.body);
    assert.equal(h1.version, '1.1');
    assert.equal((JSON.parse(h1.body) as Seen).version, '2.0');
  });

  it('CONNECT over HTTP/2 (tunnels, RFC 8441 WebSocket) is refused with 501 and a flag', async () => {
    const session = h2connect(`http://127.0.0.1:${sidecar.outbound}`);
    try {
      const s = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
      const [headers] = (await once(s, 'response')) as [Record<string, string>];
      s.resume();
      assert.equal(headers[':status'], 501);
      assert.equal(headers['x-meshlet-error'], 'DPE');
      // The session is still good for ordinary requests.
      const ok = session.request({ ':path': '/after', ':authority': 'h1app' });
      ok.end();
      const [okHeaders] = (await once(ok, 'response')) as [Record<string, string>];
      ok.resume();
      assert.equal(okHeaders[':status'], 200);
    } finally {
      session.close();
    }
  });

  it('drain sends GOAWAY to h2 sessions and the open stream finishes', async () => {
    const session = h2connect(`http://127.0.0.1:${sidecar.outbound}`);
    session.on('error', () => {});
    const goaway = once(session, 'goaway');
    const slow = session.request({ ':path': '/slow', ':authority': 'h2app' });
    slow.end();
    const response = once(slow, 'response');
    let text = '';
    slow.setEncoding('utf8');
    slow.on('data', (c: string) => (text += c));
    const ended = once(slow, 'end');
    await new Promise((r) => setTimeout(r, 50));
    sidecar.proc.kill('SIGTERM');
    await goaway;
    const [headers] = (await response) as [Record<string, string>];
    await ended;
    assert.equal(headers[':status'], 200);
    assert.equal((JSON.parse(text) as Seen).url, '/slow');
    session.close();
    await sidecar.exited;
  });
});
