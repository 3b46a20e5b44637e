// Real gRPC (grpc-js client and server) through a pass-through proxy built
// from the listener's HTTP/2 server module and the upstream HTTP/2 transport:
// what the wiring into the listeners and the forward core must preserve.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { type AddressInfo, createServer as netServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import { H2Client, type H2ClientOptions } from '../../../../src/forward/transport/h2.ts';
import { sendGrpcError } from '../../../../src/grpc/reply.ts';
import { GRPC_STATUS } from '../../../../src/grpc/status.ts';
import { ALPN_PROTOCOLS, createH2Server, type H2Server } from '../../../../src/listener/server/http2.ts';
import type { TlsMaterial } from '../../../../src/tls/material.ts';
import { meshConnectOptions } from '../../../../src/tls/outbound.ts';
import { peerSpiffeId } from '../../../../src/tls/spiffe.ts';
import {
  type EchoServer,
  type EchoTestClient,
  echoClient,
  grpc,
  type Msg,
  startEchoServer,
} from '../../../helpers/grpc.ts';
import { createPki, id, type Pki, TD } from '../../tls/pki.ts';

/** The smallest proxy: downstream h2 stream -> upstream h2 stream, both ways, with cancellation. */
function passThrough(upstream: H2Client) {
  return (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    let controller: Dispatcher.DispatchController | null = null;
    res.on('close', () => {
      if (!res.writableFinished) controller?.abort(new Error('downstream went away'));
    });
    upstream.dispatch(
      { method: req.method as Dispatcher.HttpMethod, path: req.url, headers: req.rawHeaders, body: req },
      {
        onRequestStart: (c) => (controller = c),
        onResponseStart: (_c, status, headers) => void res.writeHead(status, headers),
        onResponseData: (c, chunk) => {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', () => c.resume());
          }
        },
        onResponseEnd: (_c, trailers) => {
          if (Object.keys(trailers).length > 0) res.addTrailers(trailers);
          res.end();
        },
        onResponseError: (_c, err) => {
          if (!res.headersSent) sendGrpcError(res, GRPC_STATUS.unavailable, err.message, 'UC');
          else res.stream.close(constants.NGHTTP2_CANCEL);
        },
      },
    );
  };
}

describe('gRPC through the h2 server module and the h2 transport', () => {
  let echo: EchoServer;
  let upstream: H2Client;
  let h2: H2Server;
  let tcp: Server;
  let client: EchoTestClient;

  before(async () => {
    echo = await startEchoServer();
    upstream = new H2Client(`http://${echo.address}`);
    h2 = createH2Server(passThrough(upstream));
    tcp = netServer((socket) => h2.accept(socket));
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    client = echoClient(`127.0.0.1:${(tcp.address() as AddressInfo).port}`);
  });
  after(async () => {
    client.close();
    await h2.drain(1000);
    tcp.close();
    upstream.destroy();
    await echo.close();
  });

  test('unary: request metadata, response and trailing metadata arrive', async () => {
    const { value, trailers } = await client.unary(
      { text: 'hello', seq: 7 },
      { metadata: { 'x-test': 'md' } },
    );
    assert.equal(value.text, 'hello|md');
    assert.equal(value.seq, 7);
    assert.deepEqual(trailers.get('x-echo-trailer'), ['seen']);
  });

  test('unary: an error status and message from the server pass through (trailers-only response)', async () => {
    const err = await client.fail(grpc.status.NOT_FOUND, 'no such thing: 100% gone');
    assert.equal(err.code, grpc.status.NOT_FOUND, err.details);
    assert.equal(err.details, 'no such thing: 100% gone');
  });

  test('server streaming: 5,000 messages arrive intact and in order', async () => {
    const msgs = await client.serverStream(5000, 256);
    assert.equal(msgs.length, 5000);
    msgs.forEach((m, i) => {
      assert.equal(m.seq, i);
      assert.equal(m.payload.length, 256);
    });
  });

  test('client streaming: 20 MiB in 1,000 messages arrive whole', async () => {
    const payload = Buffer.alloc(20 * 1024, 0x62);
    const summary = await client.clientStream(
      (function* () {
        for (let seq = 0; seq < 1000; seq++) yield { seq, payload };
      })(),
    );
    assert.equal(summary.count, 1000);
    assert.equal(summary.bytes, String(1000 * payload.length));
    assert.equal(summary.lastSeq, 999);
  });

  test('bidi streaming: 500 round trips echo in order', async () => {
    const call = client.raw.Bidi();
    const got: Msg[] = [];
    for (let seq = 0; seq < 500; seq++) {
      call.write({ text: `m${seq}`, seq });
      const [m] = (await once(call, 'data')) as [Msg];
      got.push(m);
    }
    call.end();
    await once(call, 'end');
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  test('a 100 ms deadline gives DEADLINE_EXCEEDED at the client and a cancelled call at the server', async () => {
    const cancelled = once(echo.events, 'cancelled');
    const started = Date.now();
    const err = await client.hang(100);
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 2000);
    const [method] = await cancelled;
    assert.equal(method, 'Hang');
  });

  test('a client cancel mid-stream reaches the server', async () => {
    const cancelled = once(echo.events, 'cancelled');
    const call = client.raw.ServerStream({ count: 1_000_000, size: 1024 });
    call.on('error', () => {});
    let n = 0;
    await new Promise<void>((resolve) =>
      call.on('data', () => {
        if (++n === 100) resolve();
      }),
    );
    call.cancel();
    const [method] = await cancelled;
    assert.equal(method, 'ServerStream');
  });

  test('an upstream that is down gives UNAVAILABLE with the proxy flag, gRPC-style', async () => {
    const down = new H2Client('http://127.0.0.1:1');
    const proxy = createH2Server(passThrough(down));
    const front = netServer((socket) => proxy.accept(socket));
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const c = echoClient(`127.0.0.1:${(front.address() as AddressInfo).port}`);
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      c.raw.Unary({ text: 'x' }, new grpc.Metadata(), {}, (e) => resolve(e!)),
    );
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.match(err.details, /ECONNREFUSED/);
    assert.deepEqual(err.metadata.get('x-meshlet-error'), ['UC']);
    c.close();
    await proxy.drain(500);
    front.close();
  });

  describe('two hops over mTLS with ALPN h2 and SPIFFE verification', () => {
    let pki: Pki;
    let echoB: EchoServer;
    const closers: Array<() => Promise<void> | void> = [];
    let inboundPort: number;
    const seenPeers: string[] = [];

    /** The mesh client options (SPIFFE-checked) with ALPN h2, in undici's connector shape. */
    const meshH2Connector =
      (material: TlsMaterial, expected: string): H2ClientOptions['connect'] =>
      (o, cb) => {
        let s: TLSSocket;
        try {
          s = tlsConnect({
            ...meshConnectOptions(material, expected),
            ALPNProtocols: ['h2'],
            host: o.hostname,
            port: Number(o.port),
          });
        } catch (err) {
          cb(err as Error, null);
          return;
        }
        s.once('secureConnect', () => cb(null, s));
        s.once('error', (e) => cb(e, null));
      };

    before(async () => {
      pki = await createPki();
      echoB = await startEchoServer();
      // Server side: a TLS listener offering h2, requiring a mesh client certificate.
      const leaf = await pki.leaf({ spiffeId: id('reviews') });
      const toApp = new H2Client(`http://${echoB.address}`);
      const inbound = createH2Server((req, res) => {
        seenPeers.push(peerSpiffeId(req.socket as TLSSocket, TD) ?? 'none');
        passThrough(toApp)(req, res);
      });
      const tls = createTlsServer(
        {
          cert: leaf.certPem,
          key: leaf.keyPem,
          ca: pki.ca.certPem,
          requestCert: true,
          rejectUnauthorized: true,
          ALPNProtocols: [...ALPN_PROTOCOLS],
        },
        (socket) => inbound.accept(socket),
      );
      tls.on('tlsClientError', () => {});
      tls.listen(0, '127.0.0.1');
      await once(tls, 'listening');
      inboundPort = (tls.address() as AddressInfo).port;
      closers.push(
        () => inbound.drain(500),
        () => void tls.close(),
        () => toApp.destroy(),
        () => echoB.close(),
      );
    });
    after(async () => {
      for (const c of closers) await c();
      await pki.cleanup();
    });

    async function outboundFor(expected: string): Promise<EchoTestClient> {
      const material = await pki.material(
        await pki.dir(`pp-${closers.length}`, { spiffeId: id('productpage') }),
      );
      const toPeer = new H2Client(`http://127.0.0.1:${inboundPort}`, {
        connect: meshH2Connector(material, expected),
      });
      const outbound = createH2Server(passThrough(toPeer));
      const front = netServer((socket) => outbound.accept(socket));
      front.listen(0, '127.0.0.1');
      await once(front, 'listening');
      const c = echoClient(`127.0.0.1:${(front.address() as AddressInfo).port}`);
      closers.unshift(
        () => c.close(),
        () => outbound.drain(500),
        () => void front.close(),
        () => toPeer.destroy(),
      );
      return c;
    }

    test('unary and server-streaming calls cross both hops; the inbound side sees the caller SPIFFE ID', async () => {
      const c = await outboundFor(id('reviews'));
      const { value, trailers } = await c.unary({ text: 'over mtls', seq: 1 });
      assert.equal(value.text, 'over mtls');
      assert.deepEqual(trailers.get('x-echo-trailer'), ['seen']);
      const msgs = await c.serverStream(2000, 64);
      assert.deepEqual(
        msgs.map((m) => m.seq),
        Array.from({ length: 2000 }, (_, i) => i),
      );
      assert.equal(seenPeers.at(-1), id('productpage'));
    });

    test('a peer with the wrong SPIFFE ID is refused: UNAVAILABLE naming the identity, nothing reaches the app', async () => {
      const before = seenPeers.length;
      const c = await outboundFor(id('ratings'));
      const err = await new Promise<grpc.ServiceError>((resolve) =>
        c.raw.Unary({ text: 'x' }, new grpc.Metadata(), {}, (e) => resolve(e!)),
      );
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.match(err.details, /expected spiffe:\/\/cluster.local\/ns\/default\/sa\/ratings/);
      assert.equal(seenPeers.length, before);
    });
  });
});
