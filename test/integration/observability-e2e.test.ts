// The observability proof end to end: real sidecar processes in a small
// bookinfo-like mesh with mTLS, a real Prometheus scraping their admin ports,
// and exact request counts checked on both reporters. Then every shipped
// PromQL expression (dashboards, canary templates) must return data on this
// traffic, and `meshlet graph` must draw exactly this mesh.
//
//   test ─▶ productpage sidecar ─mTLS─▶ reviews-v1 sidecar ─▶ reviews app v1   (80 %)
//                                 └─mTLS─▶ reviews-v2 sidecar ─▶ reviews app v2   (20 %)
//                                 └──────▶ reviews v3 on a closed port          (UF)
//                                 └──────▶ an unregistered host                 (NR)
//   test ─▶ reviews-v1/v2 sidecars (outbound) ─mTLS─▶ ratings sidecar ─▶ ratings app (allow rules in audit mode)
//   test ─▶ ratings sidecar (outbound) ─mTLS─▶ reviews, which only allows productpage   (403 RBAC)
//   test ─plaintext─▶ reviews-v1/v2 inbound                                      (403 RBAC)
//   test ─TLS with a foreign CA's certificate─▶ reviews-v1 inbound                (refused handshake)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { DURATION_BUCKETS } from '../../src/telemetry/metrics.ts';
import {
  freePort,
  KubeletConfigDir,
  MAIN,
  type RunningSidecar,
  startServer,
  startSidecar,
  tempDir,
} from '../helpers/mesh.ts';
import { type PrometheusServer, prometheusMissing, startPrometheus } from '../helpers/prometheus.ts';
import {
  canaryQueries,
  DASHBOARDS,
  dashboardQueries,
  dashboardVariables,
  grafanaSubstitute,
} from '../helpers/shipped-promql.ts';

const execFileP = promisify(execFile);
const NS = 'default';
const TD = 'cluster.local';
const REVIEWS_FQDN = `reviews.${NS}.svc.${TD}`;
const RATINGS_FQDN = `ratings.${NS}.svc.${TD}`;
const spiffe = (sa: string) => `spiffe://${TD}/ns/${NS}/sa/${sa}`;

/** Size of every reviews 200 body, so response byte counters can be checked exactly. */
const REVIEWS_BODY = 'r'.repeat(120);
const RATINGS_BODY = 's'.repeat(40);

// Traffic per round; ROUNDS rounds in all.
const ROUNDS = 4;
const MAIN_PER_ROUND = 100;
const FAIL_PER_ROUND = 3;
const POST_PER_ROUND = 2;
const POST_BODY = 'p'.repeat(300);
const DEAD_PER_ROUND = 2;
const NR_PER_ROUND = 2;
const RATINGS_PER_ROUND = { v1: 10, v2: 5 } as const;
const DENIED_PER_ROUND = 1; // per reviews sidecar
const DENIED_MTLS_PER_ROUND = 2; // ratings -> reviews, which only allows productpage

function meshYaml(ports: { r1: number; r2: number; dead: number; ratings: number }, comment = ''): string {
  return `# e2e mesh${comment}
trustDomain: ${TD}
mtls: permissive
outboundTrafficPolicy: registryOnly
services:
  reviews:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${ports.r1} }
      v2: { host: 127.0.0.1, port: ${ports.r2} }
      v3: { host: 127.0.0.1, port: ${ports.dead} }
    routes:
      - match: { headers: { x-try-v3: { present: true } } }
        split: { v3: 1 }
      - split: { v1: 80, v2: 20 }
        guard: { baseline: v1, maxErrorRate: 0.9 }
    allow:
      - from: [productpage]
  ratings:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${ports.ratings} }
    allowMode: audit
    allow:
      - from: [productpage]
`;
}

const agent = new Agent({ connections: 32 });

async function get(
  port: number,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent,
    method: body === undefined ? 'GET' : 'POST',
    headers: { host, ...headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** A TLS client with a certificate from a CA the mesh does not trust; resolves when the server ends it. */
function intruderHandshake(port: number, dir: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      key: readFileSync(join(dir, 'intruder', 'tls.key')),
      cert: readFileSync(join(dir, 'intruder', 'tls.crt')),
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, 5000);
    const done = (how: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(how);
    };
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.on('close', () => done('closed'));
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nhost: reviews\r\n\r\n'));
    socket.on('data', (d) => done(`answered ${d.toString().slice(0, 40)}`));
  });
}

/** Polls `fn` until it returns true, up to `timeoutMs`; returns the last detail on failure. */
async function eventually(
  what: string,
  fn: () => Promise<boolean | string>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  for (let i = 0; i < 1000; i++) {
    last = await fn();
    if (last === true) return;
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  assert.fail(`${what}: not reached in ${timeoutMs} ms (last: ${String(last)})`);
}

const sum = async (prom: PrometheusServer, expr: string): Promise<number> => {
  const r = await prom.query(`sum(${expr})`);
  return r.length === 0 ? 0 : r[0]!.value;
};

const byLabel = async (
  prom: PrometheusServer,
  label: string,
  expr: string,
): Promise<Record<string, number>> => {
  const r = await prom.query(`sum by (${label}) (${expr})`);
  return Object.fromEntries(r.map((s) => [s.metric[label] ?? '', s.value]));
};

test('observability end to end: real sidecars, real Prometheus, shipped queries', {
  timeout: 120_000,
}, async (t) => {
  const missing = prometheusMissing();
  if (missing !== null) {
    t.skip(missing);
    return;
  }
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    // --- the mesh -----------------------------------------------------------
    const certs = tempDir('meshlet-e2e-certs-');
    cleanups.push(() => rmSync(certs, { recursive: true, force: true }));
    await execFileP(process.execPath, [
      MAIN,
      'certs',
      'dev',
      '--out',
      certs,
      '--trust-domain',
      TD,
      '--namespace',
      NS,
      '--service',
      'productpage',
      '--service',
      'reviews',
      '--service',
      'ratings',
    ]);

    // A client from another trust root, whose handshakes the reviews sidecar must refuse.
    const foreign = tempDir('meshlet-e2e-foreign-');
    cleanups.push(() => rmSync(foreign, { recursive: true, force: true }));
    await execFileP(process.execPath, [
      MAIN,
      'certs',
      'dev',
      '--out',
      foreign,
      '--trust-domain',
      TD,
      '--service',
      'intruder',
    ]);

    const reviewsApp = (version: string) =>
      startServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url?.startsWith('/status/503')) {
            res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': version }).end(REVIEWS_BODY);
        });
      });
    const apps = {
      r1: await reviewsApp('v1'),
      r2: await reviewsApp('v2'),
      ratings: await startServer((req, res) => {
        req.resume();
        req.on('end', () => res.end(RATINGS_BODY));
      }),
    };
    for (const a of Object.values(apps)) cleanups.push(() => a.close());

    const inbound = { r1: await freePort(), r2: await freePort(), ratings: await freePort() };
    const dead = await freePort();
    const cm = new KubeletConfigDir();
    cleanups.push(() => rmSync(cm.dir, { recursive: true, force: true }));
    cm.write(meshYaml({ ...inbound, dead }));

    const sidecar = async (
      service: string,
      version: string,
      extra: Record<string, string>,
      inboundPort?: number,
    ): Promise<RunningSidecar> => {
      const s = await startSidecar({
        configFile: cm.file,
        env: {
          MESHLET_SERVICE: service,
          MESHLET_VERSION: version,
          MESHLET_TLS_DIR: join(certs, service),
          ...(inboundPort === undefined ? {} : { MESHLET_INBOUND_PORT: String(inboundPort) }),
          ...extra,
        },
      });
      cleanups.push(() => s.stop());
      return s;
    };
    const [pp, r1, r2, rt] = await Promise.all([
      sidecar('productpage', 'v1', { MESHLET_APP_PORT: String(await freePort()) }),
      sidecar(
        'reviews',
        'v1',
        { MESHLET_APP_PORT: String(apps.r1.port), MESHLET_METRICS_COMPAT: 'istio' },
        inbound.r1,
      ),
      sidecar(
        'reviews',
        'v2',
        { MESHLET_APP_PORT: String(apps.r2.port), MESHLET_METRICS_COMPAT: 'istio' },
        inbound.r2,
      ),
      sidecar('ratings', 'v1', { MESHLET_APP_PORT: String(apps.ratings.port) }, inbound.ratings),
    ]);
    const sidecars = { pp: pp!, r1: r1!, r2: r2!, rt: rt! };
    const instance = Object.fromEntries(
      Object.entries(sidecars).map(([k, s]) => [k, `127.0.0.1:${s.admin}`]),
    ) as Record<keyof typeof sidecars, string>;

    const prom = await startPrometheus({ targets: Object.values(instance) });
    cleanups.push(() => prom.stop());
    await prom.waitForScrapes(1);

    // --- traffic ------------------------------------------------------------
    /** What the client saw: which version answered each reviews call, by status. */
    const seen = {
      mainByVersion: { v1: 0, v2: 0 } as Record<string, number>,
      failByVersion: { v1: 0, v2: 0 } as Record<string, number>,
      postByVersion: { v1: 0, v2: 0 } as Record<string, number>,
      dead: 0,
      nr: 0,
      ratings: { v1: 0, v2: 0 } as Record<string, number>,
      denied: 0,
      deniedMtls: 0,
      refusedHandshakes: 0,
    };
    const round = async () => {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < MAIN_PER_ROUND; i++) {
        calls.push(
          get(pp!.outbound, 'reviews:9080', `/reviews/${i}`).then((r) => {
            assert.equal(r.status, 200, r.body);
            assert.equal(r.body, REVIEWS_BODY);
            const v = r.headers['x-meshlet-upstream-version'] as string;
            assert.equal(r.headers['x-app-version'], v, 'the header names the version that served');
            seen.mainByVersion[v]!++;
          }),
        );
      }
      for (let i = 0; i < POST_PER_ROUND; i++) {
        calls.push(
          get(pp!.outbound, 'reviews', '/reviews/new', { 'content-type': 'text/plain' }, POST_BODY).then(
            (r) => {
              assert.equal(r.status, 200);
              seen.postByVersion[r.headers['x-meshlet-upstream-version'] as string]!++;
            },
          ),
        );
      }
      for (let i = 0; i < FAIL_PER_ROUND; i++) {
        calls.push(
          get(pp!.outbound, 'reviews', '/status/503').then((r) => {
            assert.equal(r.status, 503);
            assert.equal(r.headers['x-meshlet-error'], undefined, 'an app 503 is not a proxy error');
            seen.failByVersion[r.headers['x-meshlet-upstream-version'] as string]!++;
          }),
        );
      }
      for (let i = 0; i < DEAD_PER_ROUND; i++) {
        calls.push(
          get(pp!.outbound, 'reviews.default.svc.cluster.local', '/', { 'x-try-v3': '1' }).then((r) => {
            assert.equal(r.status, 503);
            assert.equal(r.headers['x-meshlet-error'], 'UF');
            seen.dead++;
          }),
        );
      }
      for (let i = 0; i < NR_PER_ROUND; i++) {
        calls.push(
          get(pp!.outbound, 'nowhere.example:8080', `/user/${i}?secret=x`).then((r) => {
            assert.equal(r.status, 502);
            assert.equal(r.headers['x-meshlet-error'], 'NR');
            seen.nr++;
          }),
        );
      }
      for (const [v, s] of [
        ['v1', r1!],
        ['v2', r2!],
      ] as const) {
        for (let i = 0; i < RATINGS_PER_ROUND[v]; i++) {
          calls.push(
            get(s.outbound, 'ratings', '/ratings/0').then((r) => {
              assert.equal(r.status, 200, 'audit mode lets the call through');
              assert.equal(r.body, RATINGS_BODY);
              seen.ratings[v]!++;
            }),
          );
        }
        for (let i = 0; i < DENIED_PER_ROUND; i++) {
          // A caller without a sidecar: plaintext, so no identity, so the allow rules deny it.
          calls.push(
            get(v === 'v1' ? inbound.r1 : inbound.r2, 'reviews', '/reviews/1').then((r) => {
              assert.equal(r.status, 403);
              assert.equal(r.headers['x-meshlet-error'], 'RBAC');
              seen.denied++;
            }),
          );
        }
      }
      for (let i = 0; i < DENIED_MTLS_PER_ROUND; i++) {
        // An authenticated caller that the allow rules of reviews do not list.
        calls.push(
          get(rt!.outbound, 'reviews', '/reviews/2').then((r) => {
            assert.equal(r.status, 403);
            seen.deniedMtls++;
          }),
        );
      }
      calls.push(
        intruderHandshake(inbound.r1, foreign).then((how) => {
          assert.doesNotMatch(
            how,
            /^answered|timeout/,
            'an untrusted client certificate gets no HTTP answer',
          );
          seen.refusedHandshakes++;
        }),
      );
      await Promise.all(calls);
    };

    // Round one, then one scrape of it, so every series has an earlier sample
    // and rate() over the whole run is positive for each of them.
    /** Waits for a scrape of every sidecar that began after `t` (plus a margin for the last responses' accounting). */
    const scrapedAfter = (t: number) =>
      eventually(`a scrape of every sidecar after ${t}`, async () => {
        const ts = await prom.query('min(timestamp(up))');
        return (ts.length === 1 && ts[0]!.value > t + 0.5) || JSON.stringify(ts);
      });
    await round();
    await scrapedAfter(Date.now() / 1000);
    for (let i = 1; i < ROUNDS; i++) await round();
    const trafficEnd = Date.now() / 1000;

    const mainTotal = ROUNDS * MAIN_PER_ROUND;
    const failTotal = ROUNDS * FAIL_PER_ROUND;
    const postTotal = ROUNDS * POST_PER_ROUND;
    const reviewsTotal = mainTotal + failTotal + postTotal;
    const reviewsByVersion = {
      v1: seen.mainByVersion.v1! + seen.failByVersion.v1! + seen.postByVersion.v1!,
      v2: seen.mainByVersion.v2! + seen.failByVersion.v2! + seen.postByVersion.v2!,
    };
    assert.equal(seen.mainByVersion.v1! + seen.mainByVersion.v2!, mainTotal);
    const fromPp = 'reporter="destination",destination_service_name="reviews",source_workload="productpage"';
    // Everything later assumes the final counts are in Prometheus: one scrape
    // of every sidecar that started after the traffic ended, then the totals.
    await scrapedAfter(trafficEnd);
    await eventually('the final counts scraped', async () => {
      const n = await sum(prom, `meshlet_requests_total{${fromPp}}`);
      return n === reviewsTotal || `${n}`;
    });
    await eventually('ratings counts scraped', async () => {
      const n = await sum(
        prom,
        'meshlet_requests_total{reporter="destination",destination_service_name="ratings"}',
      );
      return n === ROUNDS * (RATINGS_PER_ROUND.v1 + RATINGS_PER_ROUND.v2) || `${n}`;
    });

    await t.test('the destination sidecars counted every request, by version, exactly', async () => {
      assert.equal(await sum(prom, `meshlet_requests_total{${fromPp}}`), reviewsTotal);
      assert.deepEqual(
        await byLabel(prom, 'destination_version', `meshlet_requests_total{${fromPp}}`),
        reviewsByVersion,
      );
      // Each version is counted by its own sidecar only.
      assert.deepEqual(await byLabel(prom, 'instance', `meshlet_requests_total{${fromPp}}`), {
        [instance.r1]: reviewsByVersion.v1,
        [instance.r2]: reviewsByVersion.v2,
      });
      // Who called: labels from the caller's sidecar, identity from its certificate.
      const callers = await prom.query(
        `sum by (source_workload, source_workload_namespace, source_version, source_principal, connection_security_policy, destination_service, destination_workload, destination_workload_namespace, request_protocol) (meshlet_requests_total{${fromPp}})`,
      );
      assert.equal(callers.length, 1, JSON.stringify(callers));
      assert.deepEqual(callers[0]!.metric, {
        source_workload: 'productpage',
        source_workload_namespace: NS,
        source_version: 'v1',
        source_principal: spiffe('productpage'),
        connection_security_policy: 'mutual_tls',
        destination_service: REVIEWS_FQDN,
        destination_workload: 'reviews',
        destination_workload_namespace: NS,
        request_protocol: 'http',
      });
    });

    await t.test('the split follows the 80/20 weights (chi-square, p > 0.001)', () => {
      const n = mainTotal;
      const e = { v1: 0.8 * n, v2: 0.2 * n };
      const chi2 = (seen.mainByVersion.v1! - e.v1) ** 2 / e.v1 + (seen.mainByVersion.v2! - e.v2) ** 2 / e.v2;
      // df = 1: critical value 10.828 for p = 0.001.
      assert.ok(chi2 < 10.828, `chi2=${chi2.toFixed(2)} ${JSON.stringify(seen.mainByVersion)}`);
    });

    await t.test('the source sidecar agrees with the destination sidecars', async () => {
      const src = 'reporter="source",source_workload="productpage",destination_service_name="reviews"';
      assert.deepEqual(await byLabel(prom, 'destination_version', `meshlet_requests_total{${src}}`), {
        ...reviewsByVersion,
        v3: ROUNDS * DEAD_PER_ROUND,
      });
      const srcLabels = await prom.query(
        `count by (source_principal, connection_security_policy, destination_service, destination_workload) (meshlet_requests_total{${src}})`,
      );
      assert.deepEqual(
        srcLabels.map((s) => s.metric),
        [
          {
            source_principal: spiffe('productpage'),
            // The caller cannot know how the callee saw the connection (Istio's convention).
            connection_security_policy: 'unknown',
            destination_service: REVIEWS_FQDN,
            destination_workload: 'reviews',
          },
        ],
      );
      // Istio-compatible copies on the reviews sidecars count the same requests.
      assert.equal(
        await sum(prom, 'istio_requests_total{reporter="destination",source_workload="productpage"}'),
        reviewsTotal,
      );
    });

    await t.test('response codes and flags: app 503, connect failure, no route, RBAC', async () => {
      // An app's own 503 is not a proxy error: flags "-" on both sides.
      for (const reporter of ['source', 'destination']) {
        assert.deepEqual(
          await byLabel(
            prom,
            'response_flags',
            `meshlet_requests_total{reporter="${reporter}",destination_service_name="reviews",response_code="503"}`,
          ),
          reporter === 'source' ? { '-': failTotal, UF: ROUNDS * DEAD_PER_ROUND } : { '-': failTotal },
          reporter,
        );
      }
      // Connect failure to v3: only the caller saw it, and no v3 sidecar reported anything.
      assert.equal(
        await sum(
          prom,
          'meshlet_requests_total{reporter="source",destination_version="v3",response_code="503",response_flags="UF"}',
        ),
        seen.dead,
      );
      assert.equal(
        await sum(prom, 'meshlet_requests_total{reporter="destination",destination_version="v3"}'),
        0,
      );
      // registryOnly: 502 NR under Istio's BlackHoleCluster, never the requested host.
      const nr = await prom.query(
        'sum by (destination_service, destination_service_name, response_code, response_flags) (meshlet_requests_total{reporter="source",response_flags="NR"})',
      );
      assert.deepEqual(
        nr.map((s) => [s.metric, s.value]),
        [
          [
            {
              destination_service: 'BlackHoleCluster',
              destination_service_name: 'BlackHoleCluster',
              response_code: '502',
              response_flags: 'NR',
            },
            seen.nr,
          ],
        ],
      );
      const hostLabel = await prom.query(
        'count({__name__=~"meshlet_.+",destination_service=~".*nowhere.*"}) or count({__name__=~"meshlet_.+",destination_service_name=~".*nowhere.*"})',
      );
      assert.deepEqual(hostLabel, [], 'the requested unknown host is no label value');
      const pathLike = await prom.query('count({__name__=~"meshlet_.*", destination_service=~".*/.*"})');
      assert.deepEqual(pathLike, [], 'no path becomes a label value');
      // Plaintext callers are denied by the allow rules of reviews: 403 RBAC on the destination side.
      const denied = await prom.query(
        'sum by (instance, source_workload, source_principal, connection_security_policy, response_code) (meshlet_requests_total{reporter="destination",response_flags="RBAC",source_workload="unknown"})',
      );
      const byInstance = (a: [Record<string, string>, number], b: [Record<string, string>, number]) =>
        a[0].instance!.localeCompare(b[0].instance!);
      assert.deepEqual(
        denied.map((s): [Record<string, string>, number] => [s.metric, s.value]).sort(byInstance),
        [instance.r1, instance.r2]
          .map((inst): [Record<string, string>, number] => [
            {
              instance: inst,
              source_workload: 'unknown',
              source_principal: 'unknown',
              connection_security_policy: 'none',
              response_code: '403',
            },
            ROUNDS * DENIED_PER_ROUND,
          ])
          .sort(byInstance),
      );
      // An mTLS caller outside the allow list: 403 RBAC with its identity on the
      // destination side, and the 403 it saw (no proxy flag of its own) on the source side.
      const mtlsDenied = await prom.query(
        'sum by (reporter, source_principal, connection_security_policy, response_code, response_flags) (meshlet_requests_total{source_workload="ratings",destination_service_name="reviews"})',
      );
      assert.deepEqual(
        mtlsDenied
          .map((s) => [s.metric, s.value])
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [
          [
            {
              reporter: 'destination',
              source_principal: spiffe('ratings'),
              connection_security_policy: 'mutual_tls',
              response_code: '403',
              response_flags: 'RBAC',
            },
            seen.deniedMtls,
          ],
          [
            {
              reporter: 'source',
              source_principal: spiffe('ratings'),
              connection_security_policy: 'unknown',
              response_code: '403',
              response_flags: '-',
            },
            seen.deniedMtls,
          ],
        ],
      );
    });

    await t.test('authorization denials: enforce on reviews, audit on ratings', async () => {
      const denials = await prom.query(
        'sum by (source_principal, destination_service, mode) (meshlet_authz_denied_total) > 0',
      );
      const rows = denials
        .map((d) => [d.metric.mode, d.metric.source_principal, d.metric.destination_service, d.value])
        .sort();
      assert.deepEqual(rows, [
        ['audit', spiffe('reviews'), RATINGS_FQDN, seen.ratings.v1! + seen.ratings.v2!],
        ['enforce', spiffe('ratings'), REVIEWS_FQDN, seen.deniedMtls],
        ['enforce', 'unknown', REVIEWS_FQDN, seen.denied],
      ]);
      // Audited calls still reached ratings, over mTLS, with the caller's identity.
      assert.deepEqual(
        await byLabel(
          prom,
          'source_version',
          `meshlet_requests_total{reporter="destination",destination_service_name="ratings",source_workload="reviews",source_principal="${spiffe('reviews')}",connection_security_policy="mutual_tls",response_code="200"}`,
        ),
        seen.ratings,
      );
    });

    await t.test('refused TLS handshakes are counted with a bounded reason', async () => {
      const r = await prom.query(
        'sum by (instance, direction, reason) (meshlet_tls_handshake_failures_total)',
      );
      assert.deepEqual(
        r.map((s) => [s.metric, s.value]),
        [
          [
            { instance: instance.r1, direction: 'inbound', reason: 'untrusted_peer_cert' },
            seen.refusedHandshakes,
          ],
        ],
      );
    });

    await t.test('byte counters and the duration histogram', async () => {
      const ok = `${fromPp},response_code="200"`;
      assert.equal(
        await sum(prom, `meshlet_response_bytes_total{${ok}}`),
        (mainTotal + postTotal) * REVIEWS_BODY.length,
      );
      // Request bodies, on both sides, by method.
      for (const reporter of ['source', 'destination']) {
        const sel = `reporter="${reporter}",source_workload="productpage",destination_service_name="reviews"`;
        assert.deepEqual(
          await byLabel(prom, 'request_method', `meshlet_request_bytes_total{${sel}}`),
          { GET: 0, POST: postTotal * POST_BODY.length },
          reporter,
        );
        assert.equal(
          await sum(prom, `meshlet_requests_total{${sel},request_method="POST"}`),
          postTotal,
          reporter,
        );
      }
      const les = await prom.labelValues('le', 'meshlet_request_duration_seconds_bucket');
      // Compared as numbers: Prometheus 3 writes le="1" as "1.0".
      assert.deepEqual(
        les.map((le) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le))).sort((a, b) => a - b),
        [...DURATION_BUCKETS, Number.POSITIVE_INFINITY],
      );
      const dur = `reporter="destination",destination_service_name="reviews",source_workload="productpage"`;
      const inf = await sum(prom, `meshlet_request_duration_seconds_bucket{${dur},le="+Inf"}`);
      const count = await sum(prom, `meshlet_request_duration_seconds_count{${dur}}`);
      assert.equal(inf, reviewsTotal);
      assert.equal(count, reviewsTotal);
      // Buckets are cumulative: never decreasing with le.
      const buckets = await prom.query(`sum by (le) (meshlet_request_duration_seconds_bucket{${dur}})`);
      const ordered = buckets
        .map(
          (b) => [Number(b.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : b.metric.le), b.value] as const,
        )
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ordered.length; i++)
        assert.ok(ordered[i]![1] >= ordered[i - 1]![1], JSON.stringify(ordered));
      const p99 = await prom.query(
        `histogram_quantile(0.99, sum by (le) (rate(meshlet_request_duration_seconds_bucket{${dur}}[1m])))`,
      );
      assert.ok(p99[0]!.value > 0 && p99[0]!.value < 10, `p99 ${p99[0]?.value}`);
    });

    await t.test('config reloads and the config in force, per sidecar', async () => {
      const all = Object.values(sidecars);
      const hashOf = async (s: RunningSidecar) => JSON.parse((await s.admin_('/config')).body).hash as string;
      const first = await hashOf(pp!);
      assert.deepEqual(await byLabel(prom, 'hash', 'meshlet_config_info'), { [first]: all.length });
      // A valid edit, then a broken one: every sidecar applies the first and keeps it.
      cm.write(meshYaml({ ...inbound, dead }, ' (edited)'));
      await eventually('every sidecar on the edited config', async () => {
        const hashes = await Promise.all(all.map(hashOf));
        return hashes.every((h) => h !== first) || hashes.join(',');
      });
      const second = await hashOf(pp!);
      cm.write('services: [not, a, map\n');
      await eventually('every sidecar rejected the broken config', async () => {
        const docs = await Promise.all(all.map(async (s) => JSON.parse((await s.admin_('/config')).body)));
        return docs.every((d) => d.lastReloadError !== null && d.hash === second) || 'not yet';
      });
      await eventually('reload counters scraped', async () => {
        const r = await prom.query('sum by (result) (meshlet_config_reloads_total)');
        const got = Object.fromEntries(r.map((s) => [s.metric.result, s.value]));
        return (got.success === 2 * all.length && got.failure === all.length) || JSON.stringify(got);
      });
      assert.deepEqual(await byLabel(prom, 'hash', 'meshlet_config_info'), { [second]: all.length });
      const stamp = await prom.query('meshlet_config_last_reload_success_timestamp_seconds');
      assert.equal(stamp.length, all.length);
      for (const s of stamp) assert.equal(s.metric.hash, second);
      // The last good config still serves.
      const r = await get(pp!.outbound, 'reviews', '/');
      assert.equal(r.status, 200);
    });

    await t.test('every dashboard panel query returns data on this traffic', async () => {
      const empty: string[] = [];
      let n = 0;
      for (const file of DASHBOARDS) {
        for (const q of await dashboardQueries(file)) {
          // This mesh carries no gRPC: the gRPC panels are run on gRPC traffic in observability-promql.test.ts.
          if (q.where.includes('"gRPC')) continue;
          // $__rate_interval spans the whole run: the traffic is over by now.
          const expr = grafanaSubstitute(q.expr, { namespace: NS, service: 'reviews', rateInterval: '2m' });
          assert.doesNotMatch(expr, /\$/, `${q.where}: unsubstituted variable`);
          const result = await prom.query(expr);
          n++;
          if (!result.some((s) => Number.isFinite(s.value))) {
            empty.push(`${q.where}: ${expr} -> ${JSON.stringify(result)}`);
          }
        }
      }
      assert.ok(n >= 40, `only ${n} queries`);
      assert.deepEqual(empty, []);
      const vars = new Map<string, string[]>();
      for (const v of await dashboardVariables('meshlet-service.json')) {
        const selector = grafanaSubstitute(v.selector, {
          namespace: NS,
          service: 'reviews',
          rateInterval: '2m',
        });
        vars.set(v.name, await prom.labelValues(v.label, selector));
      }
      assert.deepEqual(vars.get('namespace'), [NS]);
      assert.deepEqual(vars.get('service'), ['ratings', 'reviews']);
      // One panel checked for what it shows: the traffic share of each version.
      const share = await prom.query(
        grafanaSubstitute(
          (await dashboardQueries('meshlet-service.json')).find((q) =>
            q.where.includes('Traffic share by version'),
          )!.expr,
          { namespace: NS, service: 'reviews', rateInterval: '2m' },
        ),
      );
      const shares = Object.fromEntries(share.map((s) => [s.metric.destination_version, s.value]));
      assert.deepEqual(Object.keys(shares).sort(), ['v1', 'v2', 'v3']);
      assert.ok(Math.abs(shares.v1! + shares.v2! + shares.v3! - 1) < 1e-9, JSON.stringify(shares));
      assert.ok(shares.v1! > shares.v2! && shares.v2! > shares.v3!, JSON.stringify(shares));
    });

    await t.test('every canary template query returns data on this traffic', async () => {
      const queries = await canaryQueries({
        namespace: NS,
        // The destination workload label is the sidecar's MESHLET_SERVICE.
        target: 'reviews',
        interval: '2m',
        serviceName: REVIEWS_FQDN,
        version: 'v2',
      });
      assert.equal(queries.length, 4);
      const values: Record<string, number> = {};
      for (const q of queries) {
        assert.doesNotMatch(q.expr, /\{\{/, `${q.where}: unsubstituted variable`);
        const result = await prom.query(q.expr);
        assert.equal(result.length, 1, `${q.where}: ${q.expr} -> ${JSON.stringify(result)}`);
        assert.ok(Number.isFinite(result[0]!.value), `${q.where}: ${JSON.stringify(result)}`);
        values[q.where] = result[0]!.value;
      }
      // Success rates: some 503s, mostly 200s; both well inside (0, 100 %).
      const flagger = values['flagger-metric-templates.yaml meshlet-request-success-rate']!;
      assert.ok(flagger > 90 && flagger < 100, `flagger success ${flagger}`);
      const argo = values['argo-analysis-template.yaml meshlet-success-rate/success-rate']!;
      assert.ok(argo > 0.8 && argo <= 1, `argo success ${argo}`);
      const flaggerP99 = values['flagger-metric-templates.yaml meshlet-request-duration']!;
      assert.ok(flaggerP99 > 0 && flaggerP99 < 10_000, `flagger p99 ${flaggerP99} ms`);
    });

    await t.test('meshlet graph draws exactly this mesh', async () => {
      const { stdout } = await execFileP(process.execPath, [
        MAIN,
        'graph',
        '--prometheus',
        prom.url,
        '--format',
        'json',
        '--window',
        '2m',
      ]);
      const graph = JSON.parse(stdout) as {
        window: string;
        edges: {
          source: string;
          destination: string;
          reporter: string;
          mtls: string;
          successRate: number | null;
          deniedRate: number | null;
          rps: number;
        }[];
      };
      assert.equal(graph.window, '2m');
      assert.deepEqual(
        graph.edges.map((e) => [e.source, e.destination, e.reporter, e.mtls]),
        [
          ['productpage', 'BlackHoleCluster', 'source', 'unknown'],
          ['productpage', 'reviews', 'source', 'mutual_tls'],
          ['ratings', 'reviews', 'source', 'mutual_tls'],
          ['reviews', 'ratings', 'source', 'mutual_tls'],
          ['unknown', 'reviews', 'destination', 'none'],
        ],
      );
      const edge = (s: string, d: string) => graph.edges.find((e) => e.source === s && e.destination === d)!;
      for (const e of graph.edges) assert.ok(e.rps > 0, JSON.stringify(e));
      assert.equal(edge('reviews', 'ratings').successRate, 1);
      assert.equal(edge('ratings', 'reviews').successRate, 0, 'every call is denied: none succeeds');
      assert.equal(edge('ratings', 'reviews').deniedRate, 1);
      assert.equal(edge('productpage', 'BlackHoleCluster').successRate, 0, 'every NR is a 502');
      const pr = edge('productpage', 'reviews').successRate!;
      assert.ok(pr > 0.9 && pr < 1, `productpage -> reviews success ${pr}`);
      assert.equal(edge('unknown', 'reviews').successRate, 0, 'plaintext callers are all denied');
      assert.equal(edge('unknown', 'reviews').deniedRate, 1);
      // The terminal table shows the same rows.
      const table = (
        await execFileP(process.execPath, [MAIN, 'graph', '--prometheus', prom.url, '--window', '2m'])
      ).stdout;
      if (process.env.MESHLET_TEST_VERBOSE) t.diagnostic(table);
      const rows = table.trimEnd().split('\n');
      assert.match(rows[0]!, /^SOURCE\s+DESTINATION\s+RPS\s+SUCCESS\s+DENIED\s+P99\s+MTLS$/);
      assert.deepEqual(
        rows.slice(1).map((r) => r.split(/\s+/).slice(0, 2).join(' -> ')),
        [
          'productpage -> BlackHoleCluster',
          'productpage -> reviews',
          'ratings -> reviews',
          'reviews -> ratings',
          'unknown -> reviews',
        ],
      );
    });
  } finally {
    for (const c of cleanups.reverse()) await c();
    await agent.close();
  }
});

/** `meshlet_requests_total` lines of one sidecar as "code flags" -> count (other labels dropped). */
async function requestCounts(s: RunningSidecar): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await s.admin_('/metrics')).body.split('\n')) {
    if (!line.startsWith('meshlet_requests_total{')) continue;
    const code = /response_code="([^"]*)"/.exec(line)![1];
    const flags = /response_flags="([^"]*)"/.exec(line)![1];
    const key = `${code} ${flags}`;
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

test('a response the app cuts off mid-body is counted once per sidecar, as 200 UC', {
  timeout: 60_000,
}, async () => {
  const app = await startServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': '1000' });
    res.write('x'.repeat(100));
    setTimeout(() => req.socket.destroy(), 50);
  });
  const inboundPort = await freePort();
  const dir = tempDir('meshlet-e2e-uc-');
  const cm = new KubeletConfigDir(dir);
  cm.write(`mtls: disable
services:
  reviews:
    versions: { v1: { host: 127.0.0.1, port: ${inboundPort} } }
`);
  const sidecars: RunningSidecar[] = [];
  try {
    sidecars.push(
      await startSidecar({ configFile: cm.file, env: { MESHLET_SERVICE: 'productpage' } }),
      await startSidecar({
        configFile: cm.file,
        env: {
          MESHLET_SERVICE: 'reviews',
          MESHLET_APP_PORT: String(app.port),
          MESHLET_INBOUND_PORT: String(inboundPort),
        },
      }),
    );
    const [pp, reviews] = sidecars as [RunningSidecar, RunningSidecar];
    const n = 3;
    for (let i = 0; i < n; i++) {
      // The client sees the stream cut: headers came, the body never completes.
      await assert.rejects(
        request(`http://127.0.0.1:${pp.outbound}/`, { headers: { host: 'reviews' } }).then((r) =>
          r.body.text(),
        ),
      );
    }
    // Both sidecars have recorded by the time the client saw the cut; allow the accounting to settle.
    await sleep(500);
    assert.deepEqual(await requestCounts(reviews), { '200 UC': n }, 'destination side');
    assert.deepEqual(await requestCounts(pp), { '200 UC': n }, 'source side');
  } finally {
    for (const s of sidecars) await s.stop();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
