// Live changes under load, with real sidecars: certificates rotated the way
// kubelet / csi-driver-spiffe does it (a `..data` symlink swap), and the
// callee's mTLS mode switched from permissive to strict by editing the mounted
// mesh ConfigMap. Neither may fail a single request.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IssuedCertificate } from '../../src/tls/dev-ca.ts';
import { KubeletConfigDir, rawExchange } from '../helpers/mesh.ts';
import {
  assertNoKeyMaterial,
  callVia,
  closeAgent,
  freePort,
  httpRequest,
  type KubeletTlsDir,
  type MeshSidecar,
  spiffe,
  startMeshSidecar,
  startRecordingApp,
  statusOf,
  TestPki,
  tlsExchange,
  waitFor,
} from '../helpers/mtls.ts';

type App = Awaited<ReturnType<typeof startRecordingApp>>;

interface LoadResult {
  ok: number;
  failures: string[];
}

/**
 * Bounded load through productpage's sidecar to reviews: rounds of 1..6
 * concurrent calls; every third round pauses past the upstream idle timeout,
 * so pooled connections close and the next round makes new handshakes.
 */
function startLoad(outbound: number, maxRequests = 4000, maxMs = 40_000) {
  const result: LoadResult = { ok: 0, failures: [] };
  let stopped = false;
  const started = Date.now();
  const done = (async () => {
    for (let round = 0; !stopped; round++) {
      if (result.ok + result.failures.length >= maxRequests || Date.now() - started > maxMs) break;
      await Promise.all(
        Array.from({ length: 1 + (round % 6) }, async (_, i) => {
          try {
            const r = await callVia(outbound, 'reviews', `/load/${round}/${i}`);
            if (r.status === 200) result.ok++;
            else result.failures.push(`${r.status} ${String(r.headers['x-meshlet-error'])} ${r.body}`);
          } catch (err) {
            result.failures.push(String(err));
          }
        }),
      );
      if (round % 3 === 2) await sleep(150);
    }
    return result;
  })();
  return {
    result,
    async stop(): Promise<LoadResult> {
      stopped = true;
      return done;
    },
  };
}

const meshYaml = (reviewsIn: number, probePort: number, reviewsMode: string) => `trustDomain: cluster.local
mtls: strict
upstreamIdleTimeout: 100ms
services:
  reviews:
    mtls: ${reviewsMode}
    versions: { v1: { host: 127.0.0.1, port: ${reviewsIn} } }
  probe:                       # a plain node https server that records client certificates
    versions: { v1: { host: 127.0.0.1, port: ${probePort} } }
`;

describe('certificate rotation and mode switches under load', () => {
  let pki: TestPki;
  let cm: KubeletConfigDir;
  let reviewsApp: App;
  let productpage: MeshSidecar;
  let reviews: MeshSidecar;
  let productpageTls: KubeletTlsDir;
  let reviewsTls: KubeletTlsDir;
  let reviewsCert: IssuedCertificate;
  let productpageCert: IssuedCertificate;
  let clientCert: IssuedCertificate;
  let probe: Server;
  let probePort: number;
  let reviewsIn: number;
  /** Serial of the client certificate of each connection the probe accepted. */
  const probeSerials: string[] = [];

  before(async () => {
    pki = await TestPki.create();
    const probeCert = await pki.svid('probe');
    probe = createServer(
      {
        cert: probeCert.certPem,
        key: probeCert.keyPem,
        ca: pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
      },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        probeSerials.push(socket.getPeerX509Certificate()?.serialNumber ?? 'none');
        // One request per connection: every call through the sidecar is a new handshake.
        res.writeHead(200, { connection: 'close' });
        res.end('probe');
      },
    );
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    probePort = (probe.address() as AddressInfo).port;

    reviewsApp = await startRecordingApp('reviews');
    reviewsIn = await freePort();
    cm = new KubeletConfigDir();
    cm.write(meshYaml(reviewsIn, probePort, 'permissive'));
    reviewsCert = await pki.svid('reviews');
    productpageCert = await pki.svid('productpage');
    clientCert = await pki.svid('productpage');
    reviewsTls = pki.mount('reviews', reviewsCert);
    productpageTls = pki.mount('productpage', productpageCert);
    [reviews, productpage] = await Promise.all([
      startMeshSidecar({
        service: 'reviews',
        inbound: reviewsIn,
        configFile: cm.file,
        tlsDir: reviewsTls.dir,
        appPort: reviewsApp.port,
      }),
      startMeshSidecar({
        service: 'productpage',
        inbound: await freePort(),
        configFile: cm.file,
        tlsDir: productpageTls.dir,
        appPort: await freePort(),
      }),
    ]);
  });

  after(async () => {
    await Promise.all([productpage?.stop(), reviews?.stop()]);
    await reviewsApp?.close();
    probe?.closeAllConnections();
    await new Promise((r) => probe?.close(r));
    await closeAgent();
    pki?.cleanup();
    if (cm !== undefined) rmSync(cm.dir, { recursive: true, force: true });
  });

  /** Serial of the certificate reviews presents on a new handshake. */
  const reviewsServes = async (ca = pki.ca.certPem): Promise<string | undefined> =>
    (await tlsExchange(reviewsIn, { cert: clientCert, ca })).serverSerial;

  it('rotating both workload certificates (..data swap) fails no request; new handshakes use the new ones', async (t) => {
    assert.equal(await reviewsServes(), reviewsCert.serialNumber);
    assert.equal((await callVia(productpage.outbound, 'probe')).status, 200);
    assert.equal(
      probeSerials.at(-1),
      productpageCert.serialNumber,
      'productpage presents its first certificate',
    );

    const load = startLoad(productpage.outbound);
    t.after(() => load.stop());
    await waitFor('load running', () => (load.result.ok >= 30 ? true : undefined));

    const newReviews = await pki.svid('reviews');
    assert.notEqual(newReviews.serialNumber, reviewsCert.serialNumber);
    reviewsTls.write(newReviews);
    await waitFor('reviews to present its new certificate', async () =>
      (await reviewsServes()) === newReviews.serialNumber ? true : undefined,
    );
    const r = await tlsExchange(reviewsIn, { cert: clientCert, ca: pki.ca.certPem });
    assert.equal(r.serverSpiffeId, spiffe('reviews'));

    const newProductpage = await pki.svid('productpage');
    productpageTls.write(newProductpage);
    await waitFor('productpage to load its new certificate', () =>
      productpage.output().includes(`"serial":"${newProductpage.serialNumber}"`) ? true : undefined,
    );
    const probed = await callVia(productpage.outbound, 'probe');
    assert.equal(probed.status, 200);
    assert.equal(
      probeSerials.at(-1),
      newProductpage.serialNumber,
      'a new handshake presents the new certificate',
    );

    // Keep the load going over fresh connections with the new certificates on both ends.
    const okAtRotation = load.result.ok;
    await waitFor(
      'load after rotation',
      () => (load.result.ok >= okAtRotation + 60 ? true : undefined),
      20_000,
    );
    const result = await load.stop();
    assert.deepEqual(
      result.failures,
      [],
      `${result.failures.length} of ${result.ok + result.failures.length} failed`,
    );
    assert.ok(result.ok >= 90);
    assert.equal(
      reviewsApp.seen.at(-1)!.headers['x-forwarded-client-cert'],
      `By=${spiffe('reviews')};URI=${spiffe('productpage')}`,
    );
    assert.match(reviews.output(), /tls material rotated/);
  });

  it('rotating to a new CA through a two-CA trust bundle fails no request', async (t) => {
    const newCa = await pki.newCa();
    const bundle = pki.ca.certPem + newCa.certPem;
    const load = startLoad(productpage.outbound);
    t.after(() => load.stop());
    await waitFor('load running', () => (load.result.ok >= 20 ? true : undefined));

    // 1. Both sides trust both CAs (leaves unchanged).
    const pp1 = await pki.svid('productpage');
    const rv1 = await pki.svid('reviews');
    productpageTls.write(pp1, bundle);
    reviewsTls.write(rv1, bundle);
    await waitFor('reviews on the bundle', async () =>
      (await reviewsServes()) === rv1.serialNumber ? true : undefined,
    );
    await waitFor('productpage on the bundle', () =>
      productpage.output().includes(`"serial":"${pp1.serialNumber}"`) ? true : undefined,
    );
    // 2. Leaves from the new CA.
    const rv2 = await pki.issue({ spiffeId: spiffe('reviews') }, newCa);
    const pp2 = await pki.issue({ spiffeId: spiffe('productpage') }, newCa);
    reviewsTls.write(rv2, bundle);
    productpageTls.write(pp2, bundle);
    await waitFor('reviews on the new CA', async () =>
      (await reviewsServes(bundle)) === rv2.serialNumber ? true : undefined,
    );
    await waitFor('productpage on the new CA', () =>
      productpage.output().includes(`"serial":"${pp2.serialNumber}"`) ? true : undefined,
    );
    // 3. The old CA leaves the bundle.
    reviewsTls.write(rv2, newCa.certPem);
    productpageTls.write(pp2, newCa.certPem);
    await waitFor('reviews trusts only the new CA', async () => {
      const old = await tlsExchange(reviewsIn, {
        cert: clientCert,
        ca: bundle,
        payload: httpRequest('GET', '/', 'reviews'),
      });
      return statusOf(old.response) === null ? true : undefined;
    });
    const okThen = load.result.ok;
    await waitFor('load on the new CA', () => (load.result.ok >= okThen + 40 ? true : undefined), 20_000);
    const result = await load.stop();
    assert.deepEqual(
      result.failures,
      [],
      `${result.failures.length} of ${result.ok + result.failures.length} failed`,
    );
    // A client with an old-CA certificate is now refused; one from the new CA is served.
    const fresh = await pki.issue({ spiffeId: spiffe('productpage') }, newCa);
    const served = await tlsExchange(reviewsIn, {
      cert: fresh,
      ca: newCa.certPem,
      payload: httpRequest('GET', '/', 'reviews'),
    });
    assert.equal(statusOf(served.response), 200, served.response);
  });

  it('permissive → strict by editing the mounted config: plaintext refused within 2 s, mTLS never fails', async (t) => {
    const plain = async (): Promise<number | null> => {
      try {
        return statusOf(await rawExchange(reviewsIn, httpRequest('GET', '/plain', 'reviews'), 3000));
      } catch {
        return null; // reset: refused
      }
    };
    assert.equal(await plain(), 200, 'permissive: plaintext is served');
    const load = startLoad(productpage.outbound);
    t.after(() => load.stop());
    await waitFor('load running', () => (load.result.ok >= 20 ? true : undefined));

    const written = Date.now();
    cm.write(meshYaml(reviewsIn, probePort, 'strict'));
    const refusedAfter = await waitFor(
      'plaintext to be refused',
      async () => ((await plain()) === null ? Date.now() - written : undefined),
      10_000,
      25,
    );
    assert.ok(refusedAfter < 2000, `strict mode applied after ${refusedAfter} ms`);
    const view = JSON.parse((await reviews.admin_('/config')).body);
    assert.equal(view.services.find((s: { name: string }) => s.name === 'reviews').mtls, 'strict');
    for (let i = 0; i < 5; i++) assert.equal(await plain(), null, 'stays refused');

    const okThen = load.result.ok;
    await waitFor('load after the switch', () => (load.result.ok >= okThen + 40 ? true : undefined), 20_000);
    const result = await load.stop();
    assert.deepEqual(
      result.failures,
      [],
      `${result.failures.length} of ${result.ok + result.failures.length} failed`,
    );
  });

  it('no private key material in any log or on /config, across all rotations', async () => {
    for (const sidecar of [productpage, reviews]) {
      assertNoKeyMaterial(sidecar.output(), pki.keyPems, `${sidecar.service} log`);
      assertNoKeyMaterial((await sidecar.admin_('/config')).body, pki.keyPems, `${sidecar.service} /config`);
    }
  });
});
