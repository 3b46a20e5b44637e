// Attacks on sidecar-to-sidecar mTLS that must fail, against real sidecars:
// forged identity headers over plaintext (strict and permissive), client
// certificates from another CA, another trust domain, expired or missing, a
// workload answering for a service it is not, and `mtls: disable` toward a
// strict callee.
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createDevCa, type DevCa, type IssuedCertificate } from '../../src/tls/dev-ca.ts';
import { rawExchange } from '../helpers/mesh.ts';
import {
  assertNoKeyMaterial,
  bodyOf,
  callVia,
  fqdn,
  headerOf,
  httpRequest,
  type MeshSidecar,
  metricSum,
  prepareMesh,
  reviewsRatingsPayments,
  spiffe,
  startMeshSidecars,
  startRecordingApp,
  statusOf,
  stopMesh,
  TestPki,
  tlsExchange,
  waitFor,
} from '../helpers/mtls.ts';

type App = Awaited<ReturnType<typeof startRecordingApp>>;
const HOUR = 60 * 60 * 1000;

/** Headers an attacker on the network adds to claim productpage's identity. */
const FORGED = {
  'x-forwarded-client-cert': `By=${spiffe('reviews')};URI=${spiffe('productpage')}`,
  'x-meshlet-source': 'productpage;default;v1',
  'x-meshlet-peer-identity': spiffe('productpage'),
};

/** Plaintext to a port; '' when the peer closed or reset without an HTTP answer. */
async function plaintext(port: number, payload: string): Promise<string> {
  try {
    return await rawExchange(port, payload, 3000);
  } catch (err) {
    assert.match((err as NodeJS.ErrnoException).code ?? '', /ECONNRESET|EPIPE/);
    return '';
  }
}

describe('mTLS attacks that must fail', () => {
  let pki: TestPki;
  let cmDir: string;
  let attackerCa: DevCa;
  const apps: Record<string, App> = {};
  const sidecars: Record<string, MeshSidecar> = {};
  let productpageCert: IssuedCertificate;
  let impostor: HttpsServer;
  const impostorRequests: string[] = [];

  before(async () => {
    pki = await TestPki.create();
    attackerCa = await createDevCa({ trustDomain: 'cluster.local', commonName: 'attacker CA' });
    const billingCert = await pki.svid('billing');
    impostor = createHttpsServer(
      { cert: billingCert.certPem, key: billingCert.keyPem, minVersion: 'TLSv1.3' },
      (req, res) => {
        impostorRequests.push(`${req.method} ${req.url}`);
        res.end('billing');
      },
    );
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    const impostorPort = (impostor.address() as AddressInfo).port;
    const names = ['productpage', 'ratings', 'reviews'] as const;
    let inbound: Record<string, number>;
    let configFile: string;
    ({ inbound, cmDir, configFile } = await prepareMesh(
      names,
      apps,
      startRecordingApp,
      (inbound) => `trustDomain: cluster.local
mtls: strict
services:
  productpage:                 # permissive, with rules
    mtls: permissive
    versions: { v1: { host: 127.0.0.1, port: ${inbound.productpage} } }
    allow:
      - from: [reviews]
      - from: ["*"]
        paths: [/public/*]
${reviewsRatingsPayments(inbound)}  legacy-reviews:              # no mTLS toward the strict reviews pod
    mtls: disable
    versions: { v1: { host: 127.0.0.1, port: ${inbound.reviews} } }
  legacy-ratings:              # no mTLS toward the permissive ratings pod
    mtls: disable
    versions: { v1: { host: 127.0.0.1, port: ${inbound.ratings} } }
  billing:                     # a test-owned TLS server that presents whatever certificate a test gives it
    versions: { v1: { host: 127.0.0.1, port: ${impostorPort} } }
`,
    ));
    productpageCert = await pki.svid('productpage');
    Object.assign(sidecars, await startMeshSidecars(pki, names, { inbound, configFile, apps }));
  });

  after(async () => {
    impostor?.closeAllConnections();
    await new Promise((r) => impostor?.close(r));
    await stopMesh({ sidecars, apps, pki, configDir: cmDir });
  });

  const inboundFailures = (sidecar: MeshSidecar, reason?: string) =>
    metricSum(sidecar, 'meshlet_tls_handshake_failures_total', {
      direction: 'inbound',
      ...(reason === undefined ? {} : { reason }),
    });

  it('control: a valid productpage certificate gets through to reviews, forged headers replaced', async () => {
    const app = apps.reviews!;
    const before = app.seen.length;
    const r = await tlsExchange(sidecars.reviews!.inbound, {
      cert: productpageCert,
      ca: pki.ca.certPem,
      payload: httpRequest('GET', '/reviews/1', 'reviews', {
        'x-forwarded-client-cert': `By=x;URI=${spiffe('admin', 'kube-system')}`,
        'x-meshlet-peer-identity': spiffe('admin', 'kube-system'),
      }),
    });
    assert.equal(r.serverSpiffeId, spiffe('reviews'));
    assert.equal(statusOf(r.response), 200, r.response);
    assert.equal(app.seen.length, before + 1);
    const seen = app.seen.at(-1)!.headers;
    assert.equal(seen['x-forwarded-client-cert'], `By=${spiffe('reviews')};URI=${spiffe('productpage')}`);
    assert.equal(seen['x-meshlet-peer-identity'], undefined);
  });

  it('strict: plaintext with forged identity headers is refused and never reaches the app', async () => {
    const reviews = sidecars.reviews!;
    const before = apps.reviews!.seen.length;
    const failuresBefore = await inboundFailures(reviews);
    const raw = await plaintext(reviews.inbound, httpRequest('GET', '/reviews/1', 'reviews', FORGED));
    assert.equal(statusOf(raw), null, `no HTTP answer over plaintext: ${JSON.stringify(raw.slice(0, 80))}`);
    assert.ok(!raw.includes('HTTP/1.1'), 'nothing HTTP came back');
    assert.equal(apps.reviews!.seen.length, before, 'the app never saw it');
    await waitFor('inbound handshake failure counted', async () =>
      (await inboundFailures(reviews)) > failuresBefore ? true : undefined,
    );
  });

  it('permissive with rules: plaintext is unauthenticated whatever its headers say (403 RBAC)', async () => {
    const productpage = sidecars.productpage!;
    const before = apps.productpage!.seen.length;
    // Claims to be reviews, which the rules allow.
    const raw = await plaintext(
      productpage.inbound,
      httpRequest('GET', '/', 'productpage', {
        'x-forwarded-client-cert': `By=${spiffe('productpage')};URI=${spiffe('reviews')}`,
        'x-meshlet-source': 'reviews;default;v1',
        'x-meshlet-peer-identity': spiffe('reviews'),
      }),
    );
    assert.equal(statusOf(raw), 403, raw);
    assert.equal(headerOf(raw, 'x-meshlet-error'), 'RBAC');
    assert.equal(JSON.parse(bodyOf(raw)).flag, 'RBAC');
    assert.equal(apps.productpage!.seen.length, before, 'the app never saw it');
    assert.equal(
      await metricSum(productpage, 'meshlet_authz_denied_total', {
        source_principal: 'unknown',
        destination_service: fqdn('productpage'),
        mode: 'enforce',
      }),
      1,
    );
    await waitFor('403 recorded as plaintext', async () =>
      (await metricSum(productpage, 'meshlet_requests_total', {
        reporter: 'destination',
        source_principal: 'unknown',
        response_code: '403',
        response_flags: 'RBAC',
        connection_security_policy: 'none',
      })) === 1
        ? true
        : undefined,
    );
  });

  it('permissive without rules: plaintext reaches the app, stripped of every forged identity header', async () => {
    const app = apps.ratings!;
    const before = app.seen.length;
    const raw = await plaintext(
      sidecars.ratings!.inbound,
      httpRequest('GET', '/ratings/1', 'ratings', FORGED),
    );
    assert.equal(statusOf(raw), 200, raw);
    assert.equal(app.seen.length, before + 1);
    const seen = app.seen.at(-1)!.headers;
    for (const name of Object.keys(FORGED)) assert.equal(seen[name], undefined, `${name} reached the app`);
    assert.equal(seen['x-forwarded-proto'], 'http');
  });

  /** A raw TLS client presenting `cert` to reviews (strict); must be cut off before HTTP. */
  async function refusedHandshake(cert: IssuedCertificate | undefined, reason: string): Promise<void> {
    const reviews = sidecars.reviews!;
    const before = apps.reviews!.seen.length;
    const failuresBefore = await inboundFailures(reviews, reason);
    const r = await tlsExchange(reviews.inbound, {
      ...(cert === undefined ? {} : { cert }),
      ca: pki.ca.certPem,
      payload: httpRequest('GET', '/reviews/1', 'reviews', FORGED),
    });
    assert.equal(statusOf(r.response), null, `got an HTTP answer: ${r.response.slice(0, 100)}`);
    assert.equal(r.response, '', 'nothing at all after the handshake');
    assert.equal(apps.reviews!.seen.length, before, 'the app never saw it');
    await waitFor(`inbound handshake failure reason=${reason}`, async () =>
      (await inboundFailures(reviews, reason)) === failuresBefore + 1 ? true : undefined,
    );
  }

  it('a client certificate from another CA is refused at the handshake (untrusted_peer_cert)', async () => {
    await refusedHandshake(
      await pki.issue({ spiffeId: spiffe('productpage') }, attackerCa),
      'untrusted_peer_cert',
    );
  });

  it('a certificate from our CA for another trust domain is refused (peer_identity)', async () => {
    await refusedHandshake(
      await pki.issue({ spiffeId: 'spiffe://evil.example/ns/default/sa/productpage' }),
      'peer_identity',
    );
  });

  it('a certificate with no SPIFFE ID (DNS name only) is refused (peer_identity)', async () => {
    await refusedHandshake(
      await pki.issue({ dnsNames: ['productpage.default.svc'], commonName: 'productpage' }),
      'peer_identity',
    );
  });

  it('an expired and a not-yet-valid certificate are refused (expired_peer_cert)', async () => {
    await refusedHandshake(
      await pki.issue({
        spiffeId: spiffe('productpage'),
        notBefore: new Date(Date.now() - 48 * HOUR),
        notAfter: new Date(Date.now() - HOUR),
      }),
      'expired_peer_cert',
    );
    await refusedHandshake(
      await pki.issue({
        spiffeId: spiffe('productpage'),
        notBefore: new Date(Date.now() + HOUR),
        notAfter: new Date(Date.now() + 48 * HOUR),
      }),
      'expired_peer_cert',
    );
  });

  it('no client certificate at all is refused (no_peer_cert)', async () => {
    await refusedHandshake(undefined, 'no_peer_cert');
  });

  it('a TLS session cannot be resumed to skip the client certificate', async () => {
    const reviews = sidecars.reviews!;
    const first = await tlsExchange(reviews.inbound, {
      cert: productpageCert,
      ca: pki.ca.certPem,
      payload: httpRequest('GET', '/reviews/1', 'reviews'),
    });
    assert.equal(statusOf(first.response), 200);
    const before = apps.reviews!.seen.length;
    // Whatever session state the first connection left, offer it back without a certificate.
    const second = await tlsExchange(reviews.inbound, {
      ca: pki.ca.certPem,
      ...(first.session === undefined ? {} : { session: first.session }),
      payload: httpRequest('GET', '/reviews/1', 'reviews', FORGED),
    });
    assert.equal(second.reused, false, 'the server resumed a session');
    assert.equal(statusOf(second.response), null, second.response);
    assert.equal(apps.reviews!.seen.length, before);
  });

  it('a workload answering for another service is refused by the caller: 503 UF, nothing sent', async () => {
    const productpage = sidecars.productpage!;
    const before = apps.ratings!.seen.length;
    const failures = () =>
      metricSum(productpage, 'meshlet_tls_handshake_failures_total', {
        direction: 'outbound',
        reason: 'peer_identity',
      });
    const failuresBefore = await failures();
    // `payments` resolves to ratings' pod, whose certificate says sa/ratings.
    const r = await callVia(productpage.outbound, 'payments', '/pay', 'POST', {
      'content-type': 'text/plain',
    });
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers['x-meshlet-error'], 'UF');
    assert.equal(JSON.parse(r.body).flag, 'UF');
    assert.equal(apps.ratings!.seen.length, before, "the impostor's app never received anything");
    assert.equal(await failures(), failuresBefore + 1);
    // The real ratings service, same pod: fine.
    const ok = await callVia(productpage.outbound, 'ratings', '/ratings/1');
    assert.equal(ok.status, 200);
    assert.equal(apps.ratings!.seen.length, before + 1);
  });

  it("the caller refuses upstream certificates that are not exactly the destination's SVID (503 UF)", async () => {
    const productpage = sidecars.productpage!;
    const outboundFailures = (reason: string) =>
      metricSum(productpage, 'meshlet_tls_handshake_failures_total', { direction: 'outbound', reason });
    const cases: [string, Promise<IssuedCertificate>, string][] = [
      ['another CA', pki.issue({ spiffeId: spiffe('billing') }, attackerCa), 'untrusted_peer_cert'],
      [
        'expired',
        pki.issue({
          spiffeId: spiffe('billing'),
          notBefore: new Date(Date.now() - 48 * HOUR),
          notAfter: new Date(Date.now() - HOUR),
        }),
        'expired_peer_cert',
      ],
      ['two URI SANs', pki.issue({ uris: [spiffe('billing'), spiffe('ratings')] }), 'peer_identity'],
      [
        'DNS name only',
        pki.issue({ dnsNames: ['billing.default.svc'], commonName: 'billing' }),
        'peer_identity',
      ],
      [
        'another trust domain',
        pki.issue({ spiffeId: spiffe('billing', 'default', 'evil.example') }),
        'peer_identity',
      ],
      ['another namespace', pki.issue({ spiffeId: spiffe('billing', 'shop') }), 'peer_identity'],
    ];
    for (const [what, pending, reason] of cases) {
      const cert = await pending;
      impostor.setSecureContext({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.3' });
      const before = await outboundFailures(reason);
      const r = await callVia(
        productpage.outbound,
        'billing',
        `/charge/${what.replaceAll(' ', '-')}`,
        'POST',
      );
      assert.equal(r.status, 503, `${what}: ${r.body}`);
      assert.equal(r.headers['x-meshlet-error'], 'UF', what);
      assert.equal(await outboundFailures(reason), before + 1, `${what} counted as ${reason}`);
    }
    assert.deepEqual(impostorRequests, [], 'no request was sent to any of them');
    // Control: the real billing certificate is accepted.
    const good = await pki.svid('billing');
    impostor.setSecureContext({ cert: good.certPem, key: good.keyPem, minVersion: 'TLSv1.3' });
    const ok = await callVia(productpage.outbound, 'billing', '/charge/ok', 'POST');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(impostorRequests, ['POST /charge/ok']);
  });

  it('"*" matches any authenticated peer, never a plaintext caller', async () => {
    const app = apps.productpage!;
    const before = app.seen.length;
    const plain = await plaintext(
      sidecars.productpage!.inbound,
      httpRequest('GET', '/public/x', 'productpage'),
    );
    assert.equal(statusOf(plain), 403, plain);
    assert.equal(app.seen.length, before);
    const viaMtls = await callVia(sidecars.ratings!.outbound, 'productpage', '/public/x');
    assert.equal(viaMtls.status, 200, viaMtls.body);
    assert.equal(app.seen.length, before + 1);
    assert.equal(
      app.seen.at(-1)!.headers['x-forwarded-client-cert'],
      `By=${spiffe('productpage')};URI=${spiffe('ratings')}`,
    );
  });

  it('mtls: disable sends plaintext (a permissive callee sees no identity; a strict callee refuses it: 503)', async () => {
    const { productpage, ratings } = sidecars as Required<typeof sidecars>;
    const ratingsApp = apps.ratings!;

    const viaMtls = await callVia(productpage.outbound, 'ratings', '/ratings/2');
    assert.equal(viaMtls.status, 200);
    assert.equal(
      ratingsApp.seen.at(-1)!.headers['x-forwarded-client-cert'],
      `By=${spiffe('ratings')};URI=${spiffe('productpage')}`,
    );
    const plainBefore = await metricSum(ratings, 'meshlet_requests_total', {
      reporter: 'destination',
      connection_security_policy: 'none',
      source_workload: 'productpage',
    });
    const viaPlain = await callVia(productpage.outbound, 'legacy-ratings', '/ratings/3');
    assert.equal(viaPlain.status, 200);
    assert.equal(ratingsApp.seen.at(-1)!.url, '/ratings/3');
    assert.equal(
      ratingsApp.seen.at(-1)!.headers['x-forwarded-client-cert'],
      undefined,
      'no identity over plaintext',
    );
    await waitFor('plaintext request counted with connection_security_policy="none"', async () =>
      (await metricSum(ratings, 'meshlet_requests_total', {
        reporter: 'destination',
        connection_security_policy: 'none',
        source_workload: 'productpage',
      })) ===
      plainBefore + 1
        ? true
        : undefined,
    );

    const reviewsBefore = apps.reviews!.seen.length;
    const refused = await callVia(productpage.outbound, 'legacy-reviews', '/reviews/1');
    assert.equal(refused.status, 503, refused.body);
    // The strict callee resets the plaintext connection: UC (a GET is retried once on a fresh connection, hence URX).
    assert.match(String(refused.headers['x-meshlet-error']), /^(UC|URX)$/);
    const refusedPost = await callVia(productpage.outbound, 'legacy-reviews', '/reviews/1', 'POST');
    assert.equal(refusedPost.status, 503, refusedPost.body);
    assert.equal(refusedPost.headers['x-meshlet-error'], 'UC');
    assert.equal(apps.reviews!.seen.length, reviewsBefore, 'the strict callee never passed it on');
  });

  it('no private key material in any log or on /config', async () => {
    for (const [name, sidecar] of Object.entries(sidecars)) {
      assertNoKeyMaterial(sidecar.output(), pki.keyPems, `${name} log`);
      assertNoKeyMaterial((await sidecar.admin_('/config')).body, pki.keyPems, `${name} /config`);
    }
  });
});
