import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createH1Server } from 'node:http';
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import type { Dispatcher } from 'undici';
import { upstreamFlag } from '../../../../src/errors.ts';
import {
  AlpnMismatchError,
  H2Client,
  type H2ClientOptions,
  NotHttp2Error,
  StreamResetError,
} from '../../../../src/forward/transport/h2.ts';
import { createDevCa, issueLeaf } from '../../../../src/tls/dev-ca.ts';

type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

interface Upstream {
  server: Http2Server | Http2SecureServer;
  origin: string;
  sessions: () => number;
  /** Sessions still open. */
  live: Set<ServerHttp2Session>;
  close(): Promise<void>;
}

async function upstream(onStream: StreamHandler, tls?: { cert: string; key: string }): Promise<Upstream> {
  const server = tls === undefined ? createServer() : createSecureServer({ ...tls, allowHTTP1: false });
  let sessions = 0;
  const live = new Set<ServerHttp2Session>();
  server.on('session', (s: ServerHttp2Session) => {
    sessions++;
    live.add(s);
    s.once('close', () => live.delete(s));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    onStream(stream, headers);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    origin: `${tls === undefined ? 'http' : 'https'}://${tls === undefined ? '127.0.0.1' : 'localhost'}:${port}`,
    sessions: () => sessions,
    live,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

interface Outcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: Buffer;
  trailers?: IncomingHttpHeaders;
  error?: Error;
}

/** Dispatches and collects; `tweak` gets the controller on request start and on each chunk. */
function call(
  client: H2Client,
  opts: Partial<Dispatcher.DispatchOptions>,
  tweak: {
    onStart?: (c: Dispatcher.DispatchController) => void;
    onData?: (c: Dispatcher.DispatchController, total: number) => void;
  } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const out: Outcome = { body: Buffer.alloc(0) };
    client.dispatch({ method: 'GET', path: '/', ...opts } as Dispatcher.DispatchOptions, {
      onRequestStart: (c) => tweak.onStart?.(c),
      onResponseStart: (_c, status, headers) => {
        out.status = status;
        out.headers = headers;
      },
      onResponseData: (c, chunk) => {
        chunks.push(chunk);
        total += chunk.length;
        tweak.onData?.(c, total);
      },
      onResponseEnd: (_c, trailers) => {
        out.body = Buffer.concat(chunks);
        out.trailers = trailers;
        resolve(out);
      },
      onResponseError: (_c, error) => {
        out.body = Buffer.concat(chunks);
        out.error = error;
        resolve(out);
      },
    });
  });
}

describe('H2Client (upstream HTTP/2 transport)', () => {
  test('many concurrent requests share one session', async () => {
    const up = await upstream((stream, headers) => {
      stream.respond({ ':status': 200 });
      setTimeout(() => stream.end(String(headers[':path'])), 20);
    });
    const client = new H2Client(up.origin);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(client, { path: `/r${i}` })));
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `/r${i}`);
    });
    assert.equal(up.sessions(), 1);
    client.destroy();
    await up.close();
  });

  test('request headers: Host becomes :authority, connection-specific fields are dropped, TE: trailers is kept', async () => {
    let seen: IncomingHttpHeaders = {};
    const up = await upstream((stream, headers) => {
      seen = headers;
      stream.respond({ ':status': 204 });
      stream.end();
    });
    const client = new H2Client(up.origin);
    const r = await call(client, {
      method: 'POST',
      path: '/p?q=1',
      headers: [
        'Host',
        'svc.example:8080',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'TE',
        'trailers',
        'x-a',
        '1',
        'x-a',
        '2',
      ],
      body: 'hi',
    });
    assert.equal(r.status, 204);
    assert.equal(seen[':authority'], 'svc.example:8080');
    assert.equal(seen[':path'], '/p?q=1');
    assert.equal(seen[':method'], 'POST');
    assert.equal(seen.te, 'trailers');
    assert.equal(seen['x-a'], '1, 2');
    for (const h of ['connection', 'keep-alive', 'transfer-encoding', 'host'])
      assert.equal(seen[h], undefined, h);
    client.destroy();
    await up.close();
  });

  test('response trailers reach onResponseEnd; pseudo-headers do not reach onResponseStart', async () => {
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      stream.end('body');
    });
    const client = new H2Client(up.origin);
    const r = await call(client, {});
    assert.equal(r.headers![':status'], undefined);
    assert.equal(r.headers!['content-type'], 'application/grpc');
    assert.equal(r.body.toString(), 'body');
    assert.equal(r.trailers!['grpc-status'], '0');
    assert.equal(r.trailers!['grpc-message'], 'ok');
    client.destroy();
    await up.close();
  });

  test('a gRPC trailers-only response hands its status over as trailers; a plain h2 headers-only response does not', async () => {
    const up = await upstream((stream, headers) => {
      const grpcCall = headers['content-type'] === 'application/grpc';
      stream.respond(
        grpcCall
          ? {
              ':status': 200,
              'content-type': 'application/grpc',
              'grpc-status': '5',
              'grpc-message': 'gone',
              'x-meshlet-error': 'RBAC',
            }
          : { ':status': 204, 'grpc-status': '5' },
        { endStream: true },
      );
    });
    const client = new H2Client(up.origin);
    const g = await call(client, {
      method: 'POST',
      headers: ['content-type', 'application/grpc'],
      body: 'x',
    });
    // All of a trailers-only response's metadata is trailing metadata: only the content type stays.
    assert.deepEqual({ ...g.headers }, { 'content-type': 'application/grpc' });
    assert.equal(g.trailers!['grpc-status'], '5');
    assert.equal(g.trailers!['grpc-message'], 'gone');
    assert.equal(g.trailers!['x-meshlet-error'], 'RBAC');
    const plain = await call(client, {});
    assert.equal(plain.headers!['grpc-status'], '5');
    assert.deepEqual({ ...plain.trailers }, {});
    client.destroy();
    await up.close();
  });

  test('the body never reaches the handler before the response headers, even when both arrive in one read', async () => {
    // node:http2 emits 'response' a tick late but pushes DATA at once. A raw
    // server writes HEADERS and DATA in one TCP write, as a busy peer does.
    const frame = (type: number, flags: number, id: number, payload: Buffer): Buffer => {
      const head = Buffer.alloc(9);
      head.writeUIntBE(payload.length, 0, 3);
      head[3] = type;
      head[4] = flags;
      head.writeUInt32BE(id, 5);
      return Buffer.concat([head, payload]);
    };
    const raw = createNetServer((socket) => {
      socket.on('error', () => {});
      let buf = Buffer.alloc(0);
      let prefaceSeen = false;
      socket.write(frame(4, 0, 0, Buffer.alloc(0))); // our SETTINGS
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (!prefaceSeen) {
          if (buf.length < 24) return;
          buf = buf.subarray(24);
          prefaceSeen = true;
        }
        while (buf.length >= 9) {
          const len = buf.readUIntBE(0, 3);
          if (buf.length < 9 + len) return;
          const [type, flags] = [buf[3]!, buf[4]!];
          const id = buf.readUInt32BE(5) & 0x7fffffff;
          buf = buf.subarray(9 + len);
          if (type === 4 && (flags & 1) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0)));
          // HEADERS (:status 200, HPACK static index 8) and DATA with END_STREAM, in one write.
          if (type === 1)
            socket.write(
              Buffer.concat([frame(1, 4, id, Buffer.from([0x88])), frame(0, 1, id, Buffer.from('body'))]),
            );
        }
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const client = new H2Client(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        let started = false;
        let body = '';
        client.dispatch({ method: 'GET', path: '/' }, {
          onRequestStart() {},
          onResponseStart() {
            started = true;
          },
          onResponseData(_c, chunk) {
            if (!started) order.push('data before headers');
            body += chunk.toString();
          },
          onResponseEnd: () => {
            order.push(body);
            resolve();
          },
          onResponseError: (_c, err) => reject(err),
        } as Dispatcher.DispatchHandler);
      });
    }
    assert.deepEqual(order, Array(20).fill('body'));
    client.destroy();
    raw.close();
  });

  test('a request body streams with backpressure: a stalled upstream stops the source near the flow-control windows', async () => {
    let upstreamStream: ServerHttp2Stream | undefined;
    let received = 0;
    const up = await upstream((stream) => {
      upstreamStream = stream;
      stream.pause();
      stream.on('data', (c: Buffer) => (received += c.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(String(received));
      });
    });
    const client = new H2Client(up.origin);
    const total = 32 * 1024 * 1024;
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const body = new Readable({
      read() {
        if (pulled >= total) this.push(null);
        else {
          pulled += chunk.length;
          this.push(chunk);
        }
      },
    });
    const result = call(client, { method: 'POST', body });
    await new Promise((r) => setTimeout(r, 300));
    // Stream window (64 KiB) + connection window + socket and stream buffers: a few MiB at most, never 32.
    assert.ok(pulled < 4 * 1024 * 1024, `source read ${pulled} bytes while the upstream read none`);
    upstreamStream!.resume();
    const r = await result;
    assert.equal(r.body.toString(), String(total));
    client.destroy();
    await up.close();
  });

  test('a paused controller stops reading the response; resume gets the rest intact', async () => {
    const size = 16 * 1024 * 1024;
    let written = 0;
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      const piece = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (written < size) {
          written += piece.length;
          if (!stream.write(piece)) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
    });
    const client = new H2Client(up.origin);
    let controller: Dispatcher.DispatchController | undefined;
    let atPause = 0;
    const result = call(
      client,
      {},
      {
        onData: (c, total) => {
          if (controller === undefined && total >= 256 * 1024) {
            controller = c;
            atPause = total;
            c.pause();
          }
        },
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(controller?.paused);
    // The upstream could not push the 16 MiB past the closed windows.
    assert.ok(
      written - atPause < 6 * 1024 * 1024,
      `upstream wrote ${written - atPause} bytes past the pause`,
    );
    controller!.resume();
    const r = await result;
    assert.equal(r.body.length, size);
    client.destroy();
    await up.close();
  });

  test('controller.abort sends RST_STREAM CANCEL upstream and reports the reason once', async () => {
    const upstreamClosed = Promise.withResolvers<number>();
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('partial');
      stream.on('close', () => upstreamClosed.resolve(stream.rstCode));
    });
    const client = new H2Client(up.origin);
    const reason = new Error('downstream went away');
    const r = await call(client, {}, { onData: (c) => c.abort(reason) });
    assert.equal(r.error, reason);
    assert.equal(await upstreamClosed.promise, constants.NGHTTP2_CANCEL);
    client.destroy();
    await up.close();
  });

  test('an upstream RST_STREAM is onResponseError with its code, classified as a reset (UC); the session stays usable', async () => {
    const up = await upstream((stream, headers) => {
      if (headers[':path'] === '/reset') {
        stream.respond({ ':status': 200 });
        // destroy() sends RST_STREAM at once; close(code) would end the response first.
        stream.write('x', () => stream.destroy(new Error('upstream failure')));
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('fine');
    });
    const client = new H2Client(up.origin);
    const r = await call(client, { path: '/reset' });
    assert.ok(r.error instanceof StreamResetError, String(r.error ?? `no error, body ${r.body}`));
    assert.equal((r.error as StreamResetError).rstCode, constants.NGHTTP2_INTERNAL_ERROR);
    assert.equal(upstreamFlag(r.error), 'UC');
    const ok = await call(client, {});
    assert.equal(ok.body.toString(), 'fine');
    assert.equal(up.sessions(), 1);
    client.destroy();
    await up.close();
  });

  test('after GOAWAY the in-flight stream finishes and the next request opens a new session', async () => {
    const up = await upstream((stream, headers) => {
      stream.respond({ ':status': 200 });
      if (headers[':path'] === '/slow') setTimeout(() => stream.end('slow'), 150);
      else stream.end('quick');
    });
    const client = new H2Client(up.origin);
    const slow = call(client, { path: '/slow' });
    await new Promise((r) => setTimeout(r, 30));
    // Graceful close from the server side: GOAWAY, existing streams continue.
    const closing = new Promise<void>((resolve) => {
      up.server.once('session', () => resolve());
    });
    for (const s of up.live) s.close();
    assert.equal((await slow).body.toString(), 'slow');
    const next = await call(client, {});
    assert.equal(next.body.toString(), 'quick');
    await closing;
    assert.equal(up.sessions(), 2);
    client.destroy();
    await up.close();
  });

  test('an idle session is closed after idleTimeoutMs', async () => {
    const closed = Promise.withResolvers<void>();
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.end();
    });
    up.server.on('session', (s) => s.once('close', () => closed.resolve()));
    const client = new H2Client(up.origin, { idleTimeoutMs: 100 });
    await call(client, {});
    const t = Date.now();
    await closed.promise;
    assert.ok(Date.now() - t < 2000);
    await up.close();
  });

  test('a refused connection is onResponseError with its errno (UF), and a later request connects again', async () => {
    const client = new H2Client('http://127.0.0.1:1');
    const r = await call(client, {});
    assert.equal((r.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(upstreamFlag(r.error), 'UF');
    const r2 = await call(client, {});
    assert.equal((r2.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  });

  test('an upstream that speaks only HTTP/1.1 fails with NotHttp2Error, not as a reset', async () => {
    const h1 = createH1Server((_req, res) => res.end('h1'));
    h1.listen(0, '127.0.0.1');
    await once(h1, 'listening');
    const client = new H2Client(`http://127.0.0.1:${(h1.address() as AddressInfo).port}`);
    const r = await call(client, {});
    assert.ok(r.error instanceof NotHttp2Error, String(r.error));
    assert.equal((r.error as NotHttp2Error).code, 'ERR_MESHLET_NOT_H2');
    client.destroy();
    h1.close();
  });

  describe('TLS', () => {
    test('https origin: ALPN h2 with the given CA; a connect hook can replace the connector', async () => {
      const ca = await createDevCa({ trustDomain: 'cluster.local' });
      const leaf = await issueLeaf(ca, { dnsNames: ['localhost'] });
      const up = await upstream(
        (stream) => {
          stream.respond({ ':status': 200 });
          stream.end((stream.session!.socket as unknown as { alpnProtocol: string }).alpnProtocol);
        },
        { cert: leaf.certPem, key: leaf.keyPem },
      );
      const client = new H2Client(up.origin, { tls: { ca: ca.certPem } });
      assert.equal((await call(client, {})).body.toString(), 'h2');
      client.destroy();
      let hooked = 0;
      const { connect } = await import('node:tls');
      const opts: H2ClientOptions = {
        connect: (o, cb) => {
          hooked++;
          const s = connect({
            host: o.hostname,
            port: Number(o.port),
            servername: 'localhost',
            ca: ca.certPem,
            ALPNProtocols: ['h2'],
          });
          s.once('secureConnect', () => cb(null, s));
          s.once('error', (e) => cb(e, null));
        },
      };
      const hookedClient = new H2Client(up.origin, opts);
      assert.equal((await call(hookedClient, {})).status, 200);
      assert.equal(hooked, 1);
      hookedClient.destroy();
      await up.close();
    });

    test('a connector that negotiates http/1.1 fails the request with AlpnMismatchError; a TLS peer without h2 fails the handshake', async () => {
      const ca = await createDevCa({ trustDomain: 'cluster.local' });
      const leaf = await issueLeaf(ca, { dnsNames: ['localhost'] });
      const h1only = createTlsServer(
        { cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ['http/1.1'] },
        (s) => s.on('error', () => {}),
      );
      h1only.listen(0, '127.0.0.1');
      await once(h1only, 'listening');
      const origin = `https://localhost:${(h1only.address() as AddressInfo).port}`;
      const { connect } = await import('node:tls');
      const h1Connector = new H2Client(origin, {
        connect: (o, cb) => {
          const s = connect({
            host: o.hostname,
            port: Number(o.port),
            servername: 'localhost',
            ca: ca.certPem,
            ALPNProtocols: ['http/1.1'],
          });
          s.once('secureConnect', () => cb(null, s));
          s.once('error', (e) => cb(e, null));
        },
      });
      const r = await call(h1Connector, {});
      assert.ok(r.error instanceof AlpnMismatchError, String(r.error));
      const byDefault = new H2Client(origin, { tls: { ca: ca.certPem } });
      const r2 = await call(byDefault, {});
      assert.equal((r2.error as NodeJS.ErrnoException).code, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
      h1only.close();
    });
  });

  test('an origin that is not http(s) throws at construction, never on dispatch', () => {
    assert.throws(() => new H2Client('ftp://x:1'));
    assert.throws(() => new H2Client('not a url'));
  });
});
