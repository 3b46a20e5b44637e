import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { type ClientHttp2Session, constants, connect as h2connect } from 'node:http2';
import { type AddressInfo, createServer as netServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TLSSocket, createServer as tlsServer } from 'node:tls';
import { promisify } from 'node:util';
import {
  ALPN_PROTOCOLS,
  createH2Server,
  type H2Server,
  type H2ServerLimits,
} from '../../../../src/listener/server/http2.ts';
import { peekH2Preface } from '../../../../src/listener/server/preface.ts';
import { createDevCa, issueLeaf } from '../../../../src/tls/dev-ca.ts';
import {
  FRAME,
  flood,
  frame,
  h2Get as get,
  rapidReset,
  rawConnect,
  settingsFrame,
} from '../../../helpers/raw-h2.ts';

/** A plain TCP front-end that hands each connection to the h2 server, as the listeners will. */
async function listen(h2: H2Server): Promise<{ tcp: Server; port: number }> {
  const tcp = netServer((socket) => h2.accept(socket));
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  return { tcp, port: (tcp.address() as AddressInfo).port };
}

function start(limits: H2ServerLimits, onRequest?: () => void) {
  let requests = 0;
  const h2 = createH2Server((req, res) => {
    requests++;
    onRequest?.();
    if (req.url === '/slow') {
      // Stands in for an upstream call: the stream stays open a while.
      const t = setTimeout(() => res.end('slow'), 200);
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (req.url === '/sink') return; // never reads the body, never answers
    res.end('ok');
  }, limits);
  return { h2, count: () => requests };
}

describe('createH2Server', () => {
  test('serves h2c handed over after the preface was sniffed (head given back)', async () => {
    const { h2 } = start({});
    const tcp = netServer(async (socket) => {
      const { h2: isH2, head } = await peekH2Preface(socket);
      assert.equal(isH2, true);
      h2.accept(socket, head);
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    assert.equal(await get((tcp.address() as AddressInfo).port), 200);
    await h2.drain(1000);
    tcp.close();
  });

  test('curl --http2-prior-knowledge (nghttp2, not node) is served through the preface sniff', async () => {
    const { h2 } = start({});
    const tcp = netServer(async (socket) => {
      const { h2: isH2, head } = await peekH2Preface(socket);
      if (isH2) h2.accept(socket, head);
      else socket.destroy();
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const url = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/`;
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-w',
      ' %{http_version}',
      url,
    ]);
    assert.equal(stdout, 'ok 2');
    await h2.drain(1000);
    tcp.close();
  });

  test('serves TLS sockets that negotiated ALPN h2', async () => {
    const ca = await createDevCa({ trustDomain: 'cluster.local' });
    const leaf = await issueLeaf(ca, { dnsNames: ['localhost'] });
    const { h2 } = start({});
    const tls = tlsServer(
      { cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: [...ALPN_PROTOCOLS] },
      (s: TLSSocket) => {
        assert.equal(s.alpnProtocol, 'h2');
        h2.accept(s);
      },
    );
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    const client = h2connect(`https://localhost:${(tls.address() as AddressInfo).port}`, { ca: ca.certPem });
    const req = client.request({ ':path': '/' });
    req.end();
    const [headers] = (await once(req, 'response')) as [Record<string, unknown>];
    assert.equal(headers[':status'], 200);
    req.resume();
    await once(req, 'end');
    client.close();
    await h2.drain(1000);
    tls.close();
  });

  test('rapid reset (CVE-2023-44487): streams opened and cancelled get GOAWAY ENHANCE_YOUR_CALM after about the limit of them reached the handler; other clients are served', async () => {
    const { h2, count } = start({ maxResetsPerSecond: 100 });
    const { tcp, port } = await listen(h2);
    const attacker = await rawConnect(port);
    await rapidReset(attacker, 'localhost');
    assert.equal(await attacker.goaway, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    // Node's own limit (nghttp2's stream reset rate) let about 1,700 through here.
    assert.ok(count() <= 110, `handler ran ${count()} times`);
    assert.equal(await get(port, '/'), 200);
    attacker.socket.destroy();
    await h2.drain(1000);
    tcp.close();
  });

  test('a client that cancels fewer streams than the limit keeps its session', async () => {
    const { h2 } = start({ maxResetsPerSecond: 100 });
    const { tcp, port } = await listen(h2);
    const client: ClientHttp2Session = h2connect(`http://127.0.0.1:${port}`);
    let goaway = false;
    client.on('goaway', () => (goaway = true));
    for (let i = 0; i < 50; i++) {
      const req = client.request({ ':path': '/slow' });
      req.on('error', () => {});
      req.end();
      await new Promise((r) => setTimeout(r, 2));
      req.close(constants.NGHTTP2_CANCEL);
    }
    const req = client.request({ ':path': '/' });
    req.end();
    const [headers] = (await once(req, 'response')) as [Record<string, unknown>];
    assert.equal(headers[':status'], 200);
    assert.equal(goaway, false);
    req.resume();
    client.close();
    await h2.drain(1000);
    tcp.close();
  });

  test('streams the server resets itself (an upstream failing mid-response) do not count as client resets', async () => {
    const h2 = createH2Server(
      (_req, res) => {
        res.writeHead(200);
        res.write('partial', () => res.stream.close(constants.NGHTTP2_CANCEL));
      },
      { maxResetsPerSecond: 20 },
    );
    const { tcp, port } = await listen(h2);
    const client = h2connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    let goaway = false;
    client.on('goaway', () => (goaway = true));
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const req = client.request({ ':path': '/' });
        req.on('error', () => {});
        req.resume();
        req.end();
        await new Promise((r) => req.once('close', r));
        assert.equal(req.rstCode, constants.NGHTTP2_CANCEL);
      }),
    );
    assert.equal(goaway, false);
    assert.equal(client.destroyed, false);
    client.close();
    await h2.drain(1000);
    tcp.close();
  });

  test('a SETTINGS flood from a client that never reads ends that session with bounded memory; others are served', async () => {
    const { h2 } = start({});
    const { tcp, port } = await listen(h2);
    const attacker = await rawConnect(port);
    attacker.socket.pause();
    const rssBefore = process.memoryUsage().rss;
    await flood(attacker, settingsFrame());
    assert.equal(await get(port, '/'), 200);
    attacker.socket.resume();
    const code = await attacker.goaway;
    assert.ok(code === null || code === constants.NGHTTP2_ENHANCE_YOUR_CALM, `GOAWAY code ${code}`);
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024);
    await h2.drain(1000);
    assert.equal(h2.sessions, 0);
    tcp.close();
  });

  test('a PING flood from a client that never reads ends that session', async () => {
    const { h2 } = start({});
    const { tcp, port } = await listen(h2);
    const attacker = await rawConnect(port);
    attacker.socket.pause();
    await flood(attacker, frame(FRAME.PING, 0, 0, Buffer.alloc(8)));
    assert.equal(await get(port, '/'), 200);
    attacker.socket.resume();
    const code = await attacker.goaway;
    assert.ok(code === null || code === constants.NGHTTP2_ENHANCE_YOUR_CALM, `GOAWAY code ${code}`);
    await h2.drain(1000);
    tcp.close();
  });

  test('a header list over the advertised size never reaches the handler (431 before the client acknowledged the limit, RST_STREAM after), and the session keeps serving', async () => {
    const { h2, count } = start({ maxHeaderListSize: 16 * 1024 });
    const { tcp, port } = await listen(h2);
    const client = h2connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    const outcome = async (): Promise<string> => {
      const big = client.request({ ':path': '/', 'x-big': 'a'.repeat(32 * 1024) });
      big.on('error', () => {});
      let status: unknown;
      big.on('response', (h) => (status = h[':status']));
      big.resume();
      big.end();
      await new Promise((r) => big.once('close', r));
      return status === undefined ? `rst ${big.rstCode}` : `status ${status}`;
    };
    // First flight: SETTINGS not yet acknowledged.
    assert.equal(await outcome(), 'status 431');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await outcome(), `rst ${constants.NGHTTP2_ENHANCE_YOUR_CALM}`);
    assert.equal(count(), 0);
    const ok = client.request({ ':path': '/' });
    ok.end();
    const [headers] = (await once(ok, 'response')) as [Record<string, unknown>];
    assert.equal(headers[':status'], 200);
    ok.resume();
    client.close();
    await h2.drain(1000);
    tcp.close();
  });

  test('a stream that never sends its body buffers at most its flow-control window and is cancelled when idle', async () => {
    let sink: import('node:http2').Http2ServerRequest | undefined;
    const { h2 } = start({ streamIdleTimeoutMs: 500 }, () => {});
    h2.server.prependListener('request', (req) => {
      if (req.url === '/sink') sink = req;
    });
    const { tcp, port } = await listen(h2);
    const client = h2connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    const stalled = client.request({ ':path': '/sink', ':method': 'POST' });
    stalled.on('error', () => {});
    // Writes 8 MiB the server never reads: flow control must stop it near 64 KiB.
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 128; i++) stalled.write(chunk);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(sink !== undefined);
    assert.ok(
      sink.stream.readableLength <= 256 * 1024,
      `server buffered ${sink.stream.readableLength} bytes`,
    );
    // Another client is served meanwhile, and so is another stream of the same client.
    assert.equal(await get(port, '/'), 200);
    const [status] = await Promise.all([
      (async () => {
        const r = client.request({ ':path': '/' });
        r.end();
        const [h] = (await once(r, 'response')) as [Record<string, unknown>];
        r.resume();
        return h[':status'];
      })(),
    ]);
    assert.equal(status, 200);
    await once(stalled, 'close');
    assert.equal(stalled.rstCode, constants.NGHTTP2_CANCEL);
    client.close();
    await h2.drain(1000);
    tcp.close();
  });

  test('streams past maxConcurrentStreams are refused, not queued', async () => {
    const { h2 } = start({ maxConcurrentStreams: 2 });
    const { tcp, port } = await listen(h2);
    const client = h2connect(`http://127.0.0.1:${port}`, { peerMaxConcurrentStreams: 100 });
    client.on('error', () => {});
    await once(client, 'remoteSettings');
    assert.equal(client.remoteSettings.maxConcurrentStreams, 2);
    client.close();
    await h2.drain(1000);
    tcp.close();
  });

  describe('drain', () => {
    let h2: H2Server;
    let tcp: Server;
    let port: number;
    before(async () => {
      h2 = start({}).h2;
      ({ tcp, port } = await listen(h2));
    });
    after(() => tcp.close());

    test('sends GOAWAY, lets the open stream finish, then resolves', async () => {
      const client = h2connect(`http://127.0.0.1:${port}`);
      client.on('error', () => {});
      const goaway = once(client, 'goaway');
      const inFlight = client.request({ ':path': '/slow' });
      inFlight.end();
      await new Promise((r) => setTimeout(r, 50));
      const drained = h2.drain(5000);
      const [code] = (await goaway) as [number];
      assert.equal(code, constants.NGHTTP2_NO_ERROR);
      const [headers] = (await once(inFlight, 'response')) as [Record<string, unknown>];
      assert.equal(headers[':status'], 200);
      let body = '';
      inFlight.setEncoding('utf8');
      for await (const c of inFlight) body += c;
      assert.equal(body, 'slow');
      await drained;
      assert.equal(h2.sessions, 0);
      client.close();
    });
  });
});
