// Allow rules end to end over real mTLS: three sidecars (productpage, ratings,
// reviews) with certificates from one test CA. The caller's identity is the
// SPIFFE ID of its certificate; denials never reach the app and are counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IssuedCertificate } from '../../src/tls/dev-ca.ts';
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

describe('allow rules over mTLS (productpage, ratings, reviews)', () => {
  let pki: TestPki;
  const apps: Record<string, App> = {};
  const sidecars: Record<string, MeshSidecar> = {};
  let productpageCert: IssuedCertificate;
  let cmDir: string;

  before(async () => {
    pki = await TestPki.create();
    const names = ['productpage', 'ratings', 'reviews'] as const;
    let inbound: Record<string, number>;
    let configFile: string;
    ({ inbound, cmDir, configFile } = await prepareMesh(
      names,
      apps,
      startRecordingApp,
      (inbound) => `trustDomain: cluster.local
mtls: strict
outboundTrafficPolicy: registryOnly
services:
  productpage:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.productpage} } }
    allowMode: audit
    allow:
      - from: [reviews]
  reviews:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.reviews} } }
    allow:
      - from: [productpage]
  ratings:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.ratings} } }
    allow:
      - from: [productpage]
        methods: [GET]
        paths: [/ratings/*]
`,
    ));
    productpageCert = await pki.svid('productpage');
    Object.assign(sidecars, await startMeshSidecars(pki, names, { inbound, configFile, apps }));
  });

  after(async () => {
    await stopMesh({ sidecars, apps, pki, configDir: cmDir });
  });

  it('productpage → reviews is allowed; ratings → reviews is denied before the app, and counted', async () => {
    const { productpage, ratings, reviews } = sidecars as Required<typeof sidecars>;
    const app = apps.reviews!;

    const ok = await callVia(productpage.outbound, 'reviews', '/reviews/1');
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).app, 'reviews');
    assert.equal(app.seen.length, 1);
    assert.equal(
      app.seen[0]!.headers['x-forwarded-client-cert'],
      `By=${spiffe('reviews')};URI=${spiffe('productpage')}`,
      'the app learns the verified caller from the sidecar',
    );

    // ratings' app even claims to be productpage in a header: identity is the certificate only.
    const denied = await callVia(ratings.outbound, 'reviews', '/reviews/1', 'GET', {
      'x-forwarded-client-cert': `By=${spiffe('reviews')};URI=${spiffe('productpage')}`,
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['x-meshlet-error'], 'RBAC');
    const body = JSON.parse(denied.body);
    assert.equal(body.flag, 'RBAC');
    assert.match(body.message, /ratings/);
    assert.equal(app.seen.length, 1, 'the denied request never reached the reviews app');

    const destination = {
      reporter: 'destination',
      destination_service: fqdn('reviews'),
      connection_security_policy: 'mutual_tls',
    };
    await waitFor('destination-side 403 RBAC sample', async () =>
      (await metricSum(reviews, 'meshlet_requests_total', {
        ...destination,
        source_principal: spiffe('ratings'),
        source_workload: 'ratings',
        response_code: '403',
        response_flags: 'RBAC',
      })) === 1
        ? true
        : undefined,
    );
    await waitFor('destination-side 200 from productpage', async () =>
      (await metricSum(reviews, 'meshlet_requests_total', {
        ...destination,
        source_principal: spiffe('productpage'),
        response_code: '200',
        response_flags: '-',
      })) === 1
        ? true
        : undefined,
    );
    assert.equal(
      await metricSum(reviews, 'meshlet_authz_denied_total', {
        source_principal: spiffe('ratings'),
        destination_service: fqdn('reviews'),
        mode: 'enforce',
      }),
      1,
    );
    assert.equal(
      await metricSum(reviews, 'meshlet_authz_denied_total', { source_principal: spiffe('productpage') }),
      0,
      'the allowed caller is never counted as denied',
    );
    // The caller's sidecar reports the 403 it saw.
    await waitFor('source-side 403', async () =>
      (await metricSum(ratings, 'meshlet_requests_total', {
        reporter: 'source',
        destination_service_name: 'reviews',
        response_code: '403',
      })) === 1
        ? true
        : undefined,
    );
    assert.match(reviews.output(), /denied by allow rules/);
  });

  it('methods and paths match exactly; dot segments and encoded traversal never match a path rule', async () => {
    const { productpage, ratings } = sidecars as Required<typeof sidecars>;
    const app = apps.ratings!;
    const allowed: [string, string][] = [
      ['GET', '/ratings/1'],
      ['GET', '/ratings/'],
      ['GET', '/ratings/a/b?x=/admin'],
      ['GET', '/%72atings/2'], // an encoded unreserved character is the same path
    ];
    const denied: [string, string][] = [
      ['POST', '/ratings/1'],
      ['DELETE', '/ratings/1'],
      ['HEAD', '/ratings/1'],
      ['GET', '/other'],
      ['GET', '/ratings'],
      ['GET', '/ratingsX/1'],
      ['GET', '/Ratings/1'],
      ['GET', '/ratings/../admin'],
      ['GET', '/ratings/./1'],
      ['GET', '/ratings/%2e%2e/admin'],
      ['GET', '/ratings/%2E%2E/admin'],
      ['GET', '/ratings/.%2e/admin'],
      ['GET', '/ratings/..;/admin'],
      ['GET', '/ratings/..%2fadmin'],
      ['GET', '/ratings/%2Fadmin'],
      ['GET', '/ratings/%5c..%5cadmin'],
      ['GET', '/ratings/%zz'],
    ];
    const deniedBefore = await metricSum(ratings, 'meshlet_authz_denied_total', {
      source_principal: spiffe('productpage'),
      mode: 'enforce',
    });
    // Raw requests through productpage's sidecar, so no client library normalises the path.
    for (const [method, path] of allowed) {
      const raw = await rawExchange(productpage.outbound, httpRequest(method, path, 'ratings'));
      assert.equal(statusOf(raw), 200, `${method} ${path}: ${raw}`);
      assert.equal(JSON.parse(bodyOf(raw)).url, path, 'the app sees the path as sent');
    }
    for (const [method, path] of denied) {
      const raw = await rawExchange(productpage.outbound, httpRequest(method, path, 'ratings'));
      assert.equal(statusOf(raw), 403, `${method} ${path} must be denied: ${raw.slice(0, 200)}`);
      assert.equal(headerOf(raw, 'x-meshlet-error'), 'RBAC', `${method} ${path}`);
    }
    // The same attacks sent straight to ratings' inbound port with productpage's certificate.
    for (const [method, path] of denied) {
      const r = await tlsExchange(ratings.inbound, {
        cert: productpageCert,
        ca: pki.ca.certPem,
        payload: httpRequest(method, path, 'ratings'),
      });
      assert.ok(r.secured, `${method} ${path}: ${r.error}`);
      assert.equal(statusOf(r.response), 403, `${method} ${path} (direct): ${r.response.slice(0, 200)}`);
    }
    assert.deepEqual(
      app.seen.map((s) => `${s.method} ${s.url}`),
      allowed.map(([m, p]) => `${m} ${p}`),
      'the app saw exactly the allowed requests',
    );
    assert.equal(
      (await metricSum(ratings, 'meshlet_authz_denied_total', {
        source_principal: spiffe('productpage'),
        mode: 'enforce',
      })) - deniedBefore,
      2 * denied.length,
    );
  });

  it('allowMode: audit lets a would-be denial through, counts it and logs it', async () => {
    const { productpage, ratings, reviews } = sidecars as Required<typeof sidecars>;
    const app = apps.productpage!;
    const auditOf = (principal: string, mode: string) =>
      metricSum(productpage, 'meshlet_authz_denied_total', {
        source_principal: principal,
        destination_service: fqdn('productpage'),
        mode,
      });

    // ratings is not in productpage's rules: audit mode lets it through.
    const r = await callVia(ratings.outbound, 'productpage', '/productpage');
    assert.equal(r.status, 200, r.body);
    assert.equal(app.seen.length, 1, 'the audited call reached the app');
    assert.equal(await auditOf(spiffe('ratings'), 'audit'), 1);
    assert.equal(await auditOf(spiffe('ratings'), 'enforce'), 0);
    await waitFor('audit log line', () =>
      productpage
        .output()
        .split('\n')
        .some((l) => l.includes('allow rules would deny (audit mode)') && l.includes(spiffe('ratings')))
        ? true
        : undefined,
    );

    // reviews is in the rules: allowed, not counted.
    const fine = await callVia(reviews.outbound, 'productpage', '/productpage');
    assert.equal(fine.status, 200);
    assert.equal(app.seen.length, 2);
    assert.equal(await auditOf(spiffe('reviews'), 'audit'), 0);
    assert.equal(await auditOf(spiffe('ratings'), 'audit'), 1);
  });

  it('no private key material in any log or on /config and /metrics', async () => {
    for (const [name, sidecar] of Object.entries(sidecars)) {
      assert.match(sidecar.output(), /tls material loaded/, `${name} logged its certificate load`);
      assertNoKeyMaterial(sidecar.output(), pki.keyPems, `${name} log`);
      for (const path of ['/config', '/metrics']) {
        const { status, body } = await sidecar.admin_(path);
        assert.equal(status, 200);
        assertNoKeyMaterial(body, pki.keyPems, `${name} ${path}`);
      }
    }
  });
});
