// HTTP upgrades (WebSocket) get the same security as plain requests: the
// outbound side originates mTLS for them, the inbound side strips forged
// identity headers, sets its own x-forwarded-client-cert, and enforces and
// counts allow rules.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { IssuedCertificate } from '../../src/tls/dev-ca.ts';
import { rawExchange, startServer } from '../helpers/mesh.ts';
import {
  fqdn,
  headerOf,
  type MeshSidecar,
  metricSum,
  prepareMesh,
  reviewsRatingsPayments,
  spiffe,
  startMeshSidecars,
  statusOf,
  stopMesh,
  TestPki,
  tlsExchange,
} from '../helpers/mtls.ts';

/** An app that accepts WebSocket upgrades (101, then closes) and records their headers. */
async function startUpgradeApp() {
  const upgrades: IncomingHttpHeaders[] = [];
  const app = await startServer((_req, res) => {
    res.end('not an upgrade');
  });
  app.server.on('upgrade', (req, socket) => {
    upgrades.push(req.headers);
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  return { port: app.port, upgrades, close: app.close };
}

const upgradeRequest = (host: string, extra: Record<string, string> = {}): string =>
  [
    'GET /chat HTTP/1.1',
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');

const FORGED = {
  'x-forwarded-client-cert': `By=${spiffe('ratings')};URI=${spiffe('admin', 'kube-system')}`,
  'x-meshlet-peer-identity': spiffe('admin', 'kube-system'),
};

describe('WebSocket upgrades over the mesh', () => {
  let pki: TestPki;
  let cmDir: string;
  const apps: Record<string, Awaited<ReturnType<typeof startUpgradeApp>>> = {};
  const sidecars: Record<string, MeshSidecar> = {};
  let productpageCert: IssuedCertificate;
  let ratingsCert: IssuedCertificate;

  before(async () => {
    pki = await TestPki.create();
    const names = ['productpage', 'ratings', 'reviews'] as const;
    let inbound: Record<string, number>;
    let configFile: string;
    ({ inbound, cmDir, configFile } = await prepareMesh(
      names,
      apps,
      () => startUpgradeApp(),
      (inbound) => `trustDomain: cluster.local
mtls: strict
services:
  productpage:
    versions: { v1: { host: 127.0.0.1, port: ${inbound.productpage} } }
${reviewsRatingsPayments(inbound)}`,
    ));
    productpageCert = await pki.svid('productpage');
    ratingsCert = await pki.svid('ratings');
    Object.assign(sidecars, await startMeshSidecars(pki, names, { inbound, configFile, apps }));
  });

  after(async () => {
    await stopMesh({ sidecars, apps, pki, configDir: cmDir });
  });

  it('inbound, plaintext (permissive): forged identity headers never reach the app', async () => {
    const app = apps.ratings!;
    const raw = await rawExchange(sidecars.ratings!.inbound, upgradeRequest('ratings', FORGED));
    assert.match(raw, /^HTTP\/1\.1 101/, raw);
    const seen = app.upgrades.at(-1)!;
    assert.equal(
      seen['x-forwarded-client-cert'],
      undefined,
      'forged x-forwarded-client-cert reached the app',
    );
    assert.equal(
      seen['x-meshlet-peer-identity'],
      undefined,
      'forged x-meshlet-peer-identity reached the app',
    );
  });

  it('inbound, mTLS: the app sees the verified caller, not a forged one', async () => {
    const app = apps.ratings!;
    const r = await tlsExchange(sidecars.ratings!.inbound, {
      cert: productpageCert,
      ca: pki.ca.certPem,
      payload: upgradeRequest('ratings', FORGED),
    });
    assert.match(r.response, /^HTTP\/1\.1 101/, r.response);
    assert.equal(
      app.upgrades.at(-1)!['x-forwarded-client-cert'],
      `By=${spiffe('ratings')};URI=${spiffe('productpage')}`,
    );
  });

  it('inbound: allow rules deny an upgrade from a caller not listed (403 RBAC, counted)', async () => {
    const reviews = sidecars.reviews!;
    const before = apps.reviews!.upgrades.length;
    const r = await tlsExchange(reviews.inbound, {
      cert: ratingsCert,
      ca: pki.ca.certPem,
      payload: upgradeRequest('reviews'),
    });
    assert.equal(statusOf(r.response), 403, r.response);
    assert.equal(headerOf(r.response, 'x-meshlet-error'), 'RBAC');
    assert.equal(apps.reviews!.upgrades.length, before, 'the app never saw it');
    assert.equal(
      await metricSum(reviews, 'meshlet_authz_denied_total', {
        source_principal: spiffe('ratings'),
        destination_service: fqdn('reviews'),
        mode: 'enforce',
      }),
      1,
      'an upgrade denied by allow rules is counted like any other denial',
    );
  });

  it('outbound: an upgrade to a mesh service goes over mTLS (the callee sees productpage)', async () => {
    const app = apps.ratings!;
    const before = app.upgrades.length;
    const raw = await rawExchange(sidecars.productpage!.outbound, upgradeRequest('ratings'));
    assert.match(raw, /^HTTP\/1\.1 101/, raw);
    assert.equal(app.upgrades.length, before + 1);
    assert.equal(
      app.upgrades.at(-1)!['x-forwarded-client-cert'],
      `By=${spiffe('ratings')};URI=${spiffe('productpage')}`,
      'the upgrade arrived without a verified identity: it was sent in plaintext',
    );
  });

  it('outbound: an upgrade to a strict service with rules allowing the caller succeeds', async () => {
    const raw = await rawExchange(sidecars.productpage!.outbound, upgradeRequest('reviews'));
    assert.match(raw, /^HTTP\/1\.1 101/, `got ${JSON.stringify(raw.slice(0, 120))}`);
  });

  it('outbound: an upgrade is never sent to a workload with the wrong SPIFFE ID', async () => {
    const app = apps.ratings!;
    const before = app.upgrades.length;
    const raw = await rawExchange(sidecars.productpage!.outbound, upgradeRequest('payments'));
    assert.doesNotMatch(raw, /^HTTP\/1\.1 101/, 'upgraded through an impostor');
    assert.equal(app.upgrades.length, before, "the impostor's app never received it");
  });
});
