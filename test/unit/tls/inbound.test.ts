import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  connect as connectHttp2,
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import type { IssuedCertificate } from '../../../src/tls/dev-ca.ts';
import { writeTlsDir } from '../../../src/tls/dev-ca.ts';
import {
  type HandshakeFailureReason,
  InboundTls,
  isTlsClientHello,
  readFirstByte,
} from '../../../src/tls/inbound.ts';
import type { TlsMaterial } from '../../../src/tls/material.ts';
import { peerSpiffeId } from '../../../src/tls/spiffe.ts';
import { createPki, expired, id, type Pki, TD } from './pki.ts';

interface Inbound {
  port: number;
  failures: HandshakeFailureReason[];
  secured: string[];
  /** peerSpiffeId of each secured socket when asked for another trust domain. */
  otherTrustDomain: Array<string | null>;
  /** Error codes the HTTP/1.1 server saw on its connections. */
  clientErrors: string[];
  close(): Promise<void>;
}

/** The inbound listener's shape: sniff, then TLS via InboundTls or plaintext, into one HTTP server. */
async function startInbound(material: TlsMaterial, sniff: 'peek' | 'consume' = 'peek'): Promise<Inbound> {
  const failures: HandshakeFailureReason[] = [];
  const secured: string[] = [];
  const otherTrustDomain: Array<string | null> = [];
  const clientErrors: string[] = [];
  const who = (
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
  ): void => {
    const peer = peerSpiffeId(req.socket, TD);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ peer }));
  };
  const http = createHttpServer(who);
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    clientErrors.push(err.code ?? err.message);
    socket.destroy();
  });
  const h2 = createHttp2Server(who);
  const tls = new InboundTls(material, {
    trustDomain: () => TD,
    onSecureConnection: (socket, spiffeId) => {
      secured.push(spiffeId);
      otherTrustDomain.push(peerSpiffeId(socket, 'evil.local'));
      // As the front door does: HTTP/2 when ALPN chose it.
      (socket.alpnProtocol === 'h2' ? h2 : http).emit('connection', socket);
    },
    onHandshakeFailure: (reason) => failures.push(reason),
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (sniff === 'consume') {
      // A sniffer that keeps what it read and hands it over, like capture/sniff.ts.
      socket.once('data', (head: Buffer) => {
        socket.pause();
        tls.accept(socket, head);
      });
      return;
    }
    const first = await readFirstByte(socket, 5000);
    if (first === null) return;
    if (isTlsClientHello(first)) {
      tls.accept(socket);
    } else {
      http.emit('connection', socket);
      socket.resume();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    failures,
    secured,
    otherTrustDomain,
    clientErrors,
    async close() {
      for (const socket of sockets) socket.destroy();
      http.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type CallResult = { ok: true; body: string; serverSerial: string | null } | { ok: false; error: string };

/** One HTTP/1.1 request over a fresh connection, mTLS with `client` (or no client certificate). */
function callTls(port: number, client: IssuedCertificate | null, caPem: string): Promise<CallResult> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: caPem,
      ...(client === null ? {} : { cert: client.certPem, key: client.keyPem }),
      checkServerIdentity: () => undefined,
    });
    let data = '';
    let serverSerial: string | null = null;
    socket.on('secureConnect', () => {
      serverSerial = socket.getPeerX509Certificate()?.serialNumber ?? null;
      socket.write('GET /who HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n');
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, error: err.code ?? err.message }),
    );
    socket.on('close', () => {
      const body = data.split('\r\n\r\n')[1];
      resolve(
        body === undefined
          ? { ok: false, error: 'closed without a response' }
          : { ok: true, body, serverSerial },
      );
    });
  });
}

function callPlain(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      socket.write('GET /who HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n');
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n\r\n')[1] ?? ''));
  });
}

describe('inbound mTLS (real handshakes on 127.0.0.1)', () => {
  let pki: Pki;
  let material: TlsMaterial;
  let inbound: Inbound;

  before(async () => {
    pki = await createPki();
    material = await pki.material(await pki.dir('reviews', { spiffeId: id('reviews') }));
    inbound = await startInbound(material);
  });
  after(async () => {
    await inbound.close();
    await pki.cleanup();
  });

  test('first-byte sniffing: TLS handshake record vs HTTP', () => {
    assert.equal(isTlsClientHello(0x16), true);
    assert.equal(isTlsClientHello('G'.charCodeAt(0)), false);
    assert.equal(isTlsClientHello('P'.charCodeAt(0)), false);
  });

  test('a mesh peer is authenticated with its SPIFFE ID', async () => {
    const client = await pki.leaf({ spiffeId: id('productpage') });
    const result = await callTls(inbound.port, client, pki.ca.certPem);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(JSON.parse(result.body), { peer: id('productpage') });
    assert.equal(result.serverSerial, material.current!.serialNumber);
    assert.equal(inbound.secured.at(-1), id('productpage'));
    // After a reload to another trust domain the same connection has no identity.
    assert.equal(inbound.otherTrustDomain.at(-1), null);
  });

  test('an HTTP/2 peer (ALPN h2) is served with its SPIFFE ID', { timeout: 10_000 }, async () => {
    const client = await pki.leaf({ spiffeId: id('productpage') });
    const session = connectHttp2(`https://127.0.0.1:${inbound.port}`, {
      ca: pki.ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      checkServerIdentity: () => undefined,
    });
    try {
      const stream = session.request({ ':path': '/who' });
      stream.setEncoding('utf8');
      let body = '';
      for await (const chunk of stream) body += chunk;
      assert.deepEqual(JSON.parse(body), { peer: id('productpage') });
    } finally {
      session.close();
    }
  });

  test('a corrupt TLS record after the handshake reaches the HTTP server as an error and closes the connection', {
    timeout: 10_000,
  }, async () => {
    const client = await pki.leaf({ spiffeId: id('productpage') });
    // A relay in the middle, so bytes can be put on the wire under the client's TLS.
    let toServer: Socket | undefined;
    const relay = createServer((fromClient) => {
      const upstream = netConnect(inbound.port, '127.0.0.1');
      toServer = upstream;
      fromClient.pipe(upstream).pipe(fromClient);
      fromClient.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect({
        host: '127.0.0.1',
        port: (relay.address() as { port: number }).port,
        ca: pki.ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        checkServerIdentity: () => undefined,
      });
      socket.on('error', () => undefined);
      socket.setEncoding('utf8');
      // A first response proves the server finished its side of the handshake.
      const first = new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.write('GET /who HTTP/1.1\r\nhost: reviews\r\n\r\n');
      await first;
      const errorsBefore = inbound.clientErrors.length;
      const closed = new Promise((resolve) => toServer!.once('close', resolve));
      // An application-data record whose 32 bytes cannot authenticate.
      toServer!.write(Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]));
      await closed;
      assert.equal(inbound.clientErrors.length, errorsBefore + 1);
      assert.match(inbound.clientErrors.at(-1)!, /^ERR_SSL_/);
      socket.destroy();
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  test('a peer that trickles its handshake is cut off at the handshake timeout (handshake_timeout)', async () => {
    const failures: HandshakeFailureReason[] = [];
    const tls = new InboundTls(material, {
      trustDomain: () => TD,
      onSecureConnection: () => assert.fail('no handshake can finish'),
      onHandshakeFailure: (reason) => failures.push(reason),
      handshakeTimeoutMs: 300,
    });
    const server = createServer((socket) => tls.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = netConnect((server.address() as { port: number }).port, '127.0.0.1');
      socket.on('error', () => undefined);
      // A record header, then one byte every 50 ms: the connection is never idle for long.
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
      const trickle = setInterval(() => socket.write(Buffer.from([0x01])), 50);
      await new Promise((resolve) => socket.once('close', resolve));
      clearInterval(trickle);
      assert.deepEqual(failures, ['handshake_timeout']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('plaintext in permissive mode reaches HTTP with no identity', async () => {
    assert.deepEqual(JSON.parse(await callPlain(inbound.port)), { peer: null });
  });

  const attacks: Array<[string, () => Promise<IssuedCertificate | null>, HandshakeFailureReason]> = [
    ['no client certificate', async () => null, 'no_peer_cert'],
    [
      'a certificate from another CA',
      () => pki.leaf({ spiffeId: id('productpage') }, pki.otherCa),
      'untrusted_peer_cert',
    ],
    [
      'an expired certificate',
      () => pki.leaf({ spiffeId: id('productpage'), ...expired() }),
      'expired_peer_cert',
    ],
    [
      'a not-yet-valid certificate',
      () => pki.leaf({ spiffeId: id('productpage'), notBefore: new Date(Date.now() + 3_600_000) }),
      'expired_peer_cert',
    ],
    [
      'a certificate from another trust domain (same CA)',
      () => pki.leaf({ spiffeId: 'spiffe://evil.local/ns/default/sa/productpage' }),
      'peer_identity',
    ],
    [
      'a certificate without a URI SAN',
      () => pki.leaf({ dnsNames: ['productpage.default.svc'] }),
      'peer_identity',
    ],
    ['a certificate with two URI SANs', () => pki.leaf({ uris: [id('a'), id('b')] }), 'peer_identity'],
  ];
  for (const [name, makeClient, reason] of attacks) {
    test(`${name}: the handshake fails (${reason}) and no request reaches HTTP`, async () => {
      const before = inbound.failures.length;
      const securedBefore = inbound.secured.length;
      const result = await callTls(inbound.port, await makeClient(), pki.ca.certPem);
      assert.equal(result.ok, false, JSON.stringify(result));
      assert.deepEqual(inbound.failures.slice(before), [reason]);
      assert.equal(inbound.secured.length, securedBefore);
    });
  }

  test('rotation: new handshakes present the new certificate, open connections keep working', {
    timeout: 30_000,
  }, async () => {
    const client = await pki.leaf({ spiffeId: id('productpage') });
    // An established keep-alive connection made before the rotation.
    const kept = connect({
      host: '127.0.0.1',
      port: inbound.port,
      ca: pki.ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      checkServerIdentity: () => undefined,
    });
    await new Promise((resolve) => kept.once('secureConnect', resolve));
    const oldSerial = material.current!.serialNumber;
    assert.equal(kept.getPeerX509Certificate()!.serialNumber, oldSerial);

    const rotated = new Promise((resolve) => material.once('rotate', resolve));
    await writeTlsDir(material.dir, await pki.leaf({ spiffeId: id('reviews') }));
    await rotated;
    const newSerial = material.current!.serialNumber;
    assert.notEqual(newSerial, oldSerial);

    const fresh = await callTls(inbound.port, client, pki.ca.certPem);
    assert.ok(fresh.ok);
    assert.equal(fresh.serverSerial, newSerial);

    const response = new Promise<string>((resolve) => {
      let data = '';
      kept.setEncoding('utf8');
      kept.on('data', (chunk: string) => {
        data += chunk;
      });
      kept.on('close', () => resolve(data));
    });
    kept.write('GET /who HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n');
    assert.match(await response, /^HTTP\/1.1 200 /);
  });

  test('TLS sessions are not resumed, so every connection presents a certificate again', async () => {
    const client = await pki.leaf({ spiffeId: id('productpage') });
    const options = {
      host: '127.0.0.1',
      port: inbound.port,
      ca: pki.ca.certPem,
      cert: client.certPem,
      key: client.keyPem,
      checkServerIdentity: () => undefined,
    };
    const first = connect(options);
    const sessions: Buffer[] = [];
    first.on('session', (session: Buffer) => sessions.push(session));
    await new Promise((resolve) => first.once('secureConnect', resolve));
    first.write('GET /who HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n');
    first.resume();
    await new Promise((resolve) => first.once('close', resolve));
    const second = connect({ ...options, ...(sessions[0] === undefined ? {} : { session: sessions[0] }) });
    await new Promise((resolve) => second.once('secureConnect', resolve));
    assert.equal(second.isSessionReused(), false);
    second.destroy();
  });

  test('bytes a sniffer already consumed are handed to accept() and the handshake still works', async () => {
    const consuming = await startInbound(material, 'consume');
    try {
      const result = await callTls(
        consuming.port,
        await pki.leaf({ spiffeId: id('productpage') }),
        pki.ca.certPem,
      );
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(JSON.parse(result.body), { peer: id('productpage') });
    } finally {
      await consuming.close();
    }
  });

  test('before any certificate is loaded, TLS connections are refused as not_ready', async () => {
    const empty = await pki.material(join(pki.root, 'not-yet-written'));
    assert.equal(empty.ready, false);
    const notReady = await startInbound(empty);
    try {
      const result = await callTls(
        notReady.port,
        await pki.leaf({ spiffeId: id('productpage') }),
        pki.ca.certPem,
      );
      assert.equal(result.ok, false);
      assert.deepEqual(notReady.failures, ['not_ready']);
    } finally {
      await notReady.close();
    }
  });
});

describe('readFirstByte', () => {
  test('puts the byte back for the next reader', async () => {
    const got = new Promise<{ first: number | null; rest: string }>((resolve) => {
      const server = createServer(async (socket) => {
        const first = await readFirstByte(socket, 5000);
        socket.setEncoding('utf8');
        let rest = '';
        socket.on('data', (chunk: string) => {
          rest += chunk;
        });
        socket.on('end', () => {
          server.close();
          resolve({ first, rest });
        });
        socket.resume();
      });
      server.listen(0, '127.0.0.1', () => {
        const client = netConnect((server.address() as { port: number }).port, '127.0.0.1', () => {
          client.end('GET / HTTP/1.1\r\n\r\n');
        });
      });
    });
    const { first, rest } = await got;
    assert.equal(first, 'G'.charCodeAt(0));
    assert.equal(rest, 'GET / HTTP/1.1\r\n\r\n');
  });

  test('resolves null when the peer closes without sending, or stays silent past the timeout', async () => {
    for (const behaviour of ['close', 'silent'] as const) {
      const result = await new Promise<number | null>((resolve) => {
        const server = createServer(async (socket) => {
          resolve(await readFirstByte(socket, 100));
          server.close();
        });
        server.listen(0, '127.0.0.1', () => {
          const client = netConnect((server.address() as { port: number }).port, '127.0.0.1', () => {
            if (behaviour === 'close') client.end();
          });
          client.on('error', () => {});
          client.on('close', () => client.destroy());
          setTimeout(() => client.destroy(), 2000).unref();
        });
      });
      assert.equal(result, null, behaviour);
    }
  });
});
