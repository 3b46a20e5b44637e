import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { Pool } from 'undici';
import { upstreamFlag } from '../../../src/errors.ts';
import { type IssuedCertificate, writeTlsDir } from '../../../src/tls/dev-ca.ts';
import type { HandshakeFailureReason } from '../../../src/tls/inbound.ts';
import type { TlsMaterial } from '../../../src/tls/material.ts';
import { meshConnector, PEER_IDENTITY_ERROR } from '../../../src/tls/outbound.ts';
import { peerSpiffeId } from '../../../src/tls/spiffe.ts';
import { createPki, expired, id, type Pki, TD } from './pki.ts';

interface Upstream {
  origin: string;
  /** Serial numbers of the client certificates seen, one per connection. */
  clientSerials: string[];
  close(): Promise<void>;
}

/** A plain Node HTTPS server that requires a mesh client certificate, like a peer sidecar would. */
async function startUpstream(cert: IssuedCertificate, caPem: string): Promise<Upstream> {
  const clientSerials: string[] = [];
  const server: Server = createServer(
    { cert: cert.certPem, key: cert.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ peer: peerSpiffeId(req.socket, TD) }));
    },
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    clientSerials.push(socket.getPeerX509Certificate()?.serialNumber ?? 'none');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // The outbound listener keys pools by `http://host:port`; the connector supplies the TLS.
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    clientSerials,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function get(pool: Pool): Promise<{ status: number; body: unknown }> {
  const res = await pool.request({ method: 'GET', path: '/who' });
  return { status: res.statusCode, body: await res.body.json() };
}

describe('outbound mTLS connector (undici Pool against a real TLS server)', () => {
  let pki: Pki;
  let client: TlsMaterial;
  let reviewsCert: IssuedCertificate;
  let reviews: Upstream;
  const pools: Pool[] = [];
  const pool = (
    origin: string,
    expected: string,
    failures?: HandshakeFailureReason[],
    material = client,
  ): Pool => {
    const p = new Pool(origin, {
      connect: meshConnector(material, expected, (reason) => failures?.push(reason)),
    });
    pools.push(p);
    return p;
  };

  before(async () => {
    pki = await createPki();
    client = await pki.material(await pki.dir('productpage', { spiffeId: id('productpage') }));
    reviewsCert = await pki.leaf({ spiffeId: id('reviews') });
    reviews = await startUpstream(reviewsCert, pki.ca.certPem);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await reviews.close();
    await pki.cleanup();
  });

  test('connects to the expected identity and presents our client certificate', async () => {
    const failures: HandshakeFailureReason[] = [];
    const p = pool(reviews.origin, id('reviews'), failures);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await get(p), { status: 200, body: { peer: id('productpage') } });
    }
    assert.deepEqual(failures, []);
    assert.equal(reviews.clientSerials.at(-1), client.current!.serialNumber);
  });

  async function expectRefused(
    upstream: Upstream,
    expected: string,
    code: RegExp,
    reason: HandshakeFailureReason | null,
    material?: TlsMaterial,
  ): Promise<void> {
    const failures: HandshakeFailureReason[] = [];
    const p = pool(upstream.origin, expected, failures, material);
    await assert.rejects(get(p), (err: NodeJS.ErrnoException) => {
      assert.match(err.code ?? '', code);
      return true;
    });
    assert.deepEqual(failures, reason === null ? [] : [reason]);
  }

  test('a server with a valid mesh certificate for another service is refused (ERR_MESHLET_PEER_IDENTITY → UF)', async () => {
    const failures: HandshakeFailureReason[] = [];
    const p = pool(reviews.origin, id('ratings'), failures);
    await assert.rejects(get(p), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, PEER_IDENTITY_ERROR);
      assert.match(
        err.message,
        /presented spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews, expected .*\/sa\/ratings/,
      );
      assert.equal(upstreamFlag(err), 'UF');
      return true;
    });
    assert.deepEqual(failures, ['peer_identity']);
  });

  const hostile: Array<[string, () => Promise<IssuedCertificate>, RegExp, HandshakeFailureReason]> = [
    [
      'a certificate from another CA',
      () => pki.leaf({ spiffeId: id('reviews') }, pki.otherCa),
      /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/,
      'untrusted_peer_cert',
    ],
    [
      'an expired certificate',
      () => pki.leaf({ spiffeId: id('reviews'), ...expired() }),
      /^CERT_HAS_EXPIRED$/,
      'expired_peer_cert',
    ],
    [
      'the right path in another trust domain',
      () => pki.leaf({ spiffeId: 'spiffe://evil.local/ns/default/sa/reviews' }),
      new RegExp(`^${PEER_IDENTITY_ERROR}$`),
      'peer_identity',
    ],
    [
      'a host-name certificate without a SPIFFE ID (no DNS-name check)',
      () => pki.leaf({ dnsNames: ['reviews', 'reviews.default.svc.cluster.local', 'localhost'] }),
      new RegExp(`^${PEER_IDENTITY_ERROR}$`),
      'peer_identity',
    ],
  ];
  for (const [name, makeCert, code, reason] of hostile) {
    test(`a server with ${name} is refused (${reason})`, async () => {
      const upstream = await startUpstream(await makeCert(), pki.ca.certPem);
      try {
        await expectRefused(upstream, id('reviews'), code, reason);
        assert.equal(upstreamFlag({ code: code.source.slice(1, -1) }), 'UF');
      } finally {
        await upstream.close();
      }
    });
  }

  test('a refused TCP connection is not counted as a handshake failure', async () => {
    const gone = await startUpstream(reviewsCert, pki.ca.certPem);
    await gone.close();
    await expectRefused(gone, id('reviews'), /^ECONNREFUSED$/, null);
  });

  test('without loaded material the connector fails fast with ERR_MESHLET_TLS_NOT_READY', async () => {
    const empty = await pki.material(join(pki.root, 'nothing-here'));
    await expectRefused(reviews, id('reviews'), /^ERR_MESHLET_TLS_NOT_READY$/, 'not_ready', empty);
  });

  test('a rotated client certificate is used for new connections', { timeout: 30_000 }, async () => {
    const rotated = new Promise((resolve) => client.once('rotate', resolve));
    await writeTlsDir(client.dir, await pki.leaf({ spiffeId: id('productpage') }));
    await rotated;
    const p = pool(reviews.origin, id('reviews'));
    assert.equal((await get(p)).status, 200);
    assert.equal(reviews.clientSerials.at(-1), client.current!.serialNumber);
  });
});
