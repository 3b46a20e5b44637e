// Every PromQL expression that ships (dashboard panels, dashboard variables,
// canary templates) is run against a real Prometheus that scrapes real
// /metrics endpoints fed through the MeshMetrics API with a small bookinfo-like
// mesh: two reviews versions, a 500, a 503 UF, an NR, an RBAC denial, config
// reloads and a TLS failure. Each expression must return data.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createMetrics, type MeshletMetrics } from '../../src/telemetry/metrics.ts';
import type { StaticRequestLabels } from '../../src/telemetry/types.ts';
import { type PrometheusServer, prometheusMissing, startPrometheus } from '../helpers/prometheus.ts';
import {
  canaryQueries,
  dashboardQueries,
  dashboardVariables,
  grafanaSubstitute as substitute,
} from '../helpers/shipped-promql.ts';

const NS = 'default';
const TD = 'cluster.local';

interface Workload {
  workload: string;
  service: string;
  version: string;
  namespace: string;
}
const productpage: Workload = {
  workload: 'productpage-v1',
  service: 'productpage',
  version: 'v1',
  namespace: NS,
};
const reviewsV1: Workload = { workload: 'reviews-v1', service: 'reviews', version: 'v1', namespace: NS };
const reviewsV2: Workload = { workload: 'reviews-v2', service: 'reviews', version: 'v2', namespace: NS };
const ratings: Workload = { workload: 'ratings-v1', service: 'ratings', version: 'v1', namespace: 'default' };
const probe: Workload = { workload: 'probe', service: 'probe', version: 'unknown', namespace: 'ops' };
const ingress: Workload = {
  workload: 'unknown',
  service: 'unknown',
  version: 'unknown',
  namespace: 'unknown',
};

const principal = (w: Workload) =>
  w === ingress ? 'unknown' : `spiffe://${TD}/ns/${w.namespace}/sa/${w.service}`;

function labels(reporter: 'source' | 'destination', src: Workload, dst: Workload): StaticRequestLabels {
  return {
    reporter,
    source_workload: src.workload,
    source_workload_namespace: src.namespace,
    source_version: src.version,
    source_principal: principal(src),
    destination_workload: dst.workload,
    destination_workload_namespace: dst.namespace,
    destination_service:
      dst.service === 'BlackHoleCluster' ? 'BlackHoleCluster' : `${dst.service}.${dst.namespace}.svc.${TD}`,
    destination_service_name: dst.service,
    destination_version: dst.version,
    request_protocol: 'http',
    connection_security_policy: reporter === 'source' ? 'unknown' : src === ingress ? 'none' : 'mutual_tls',
  };
}

interface Sidecar {
  metrics: MeshletMetrics;
  server: Server;
  target: string;
}

async function sidecar(istioCompat: boolean): Promise<Sidecar> {
  const metrics = createMetrics({ istioCompat });
  const server = createServer(async (req, res) => {
    const { contentType, body } = await metrics.render(req.headers.accept);
    res.writeHead(200, { 'content-type': contentType }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { metrics, server, target: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The mesh's traffic for one tick; `n` varies durations so quantiles move. */
function feed(s: { pp: Sidecar; r1: Sidecar; r2: Sidecar; rt: Sidecar }, n: number): void {
  const tid = (k: number) => (n * 16 + k).toString(16).padStart(32, '0');
  const ms = (base: number) => (base + (n % 7)) / 1000;
  // productpage: inbound from an ingress without sidecar, outbound to reviews (v1/v2) and an unknown host.
  s.pp.metrics
    .recorder(labels('destination', ingress, productpage))
    .record('GET', 200, '-', ms(40), 0, 5000, tid(0));
  const toV1 = s.pp.metrics.recorder(labels('source', productpage, reviewsV1));
  const toV2 = s.pp.metrics.recorder(labels('source', productpage, reviewsV2));
  for (let i = 0; i < 3; i++) toV1.record('GET', 200, '-', ms(8), 0, 900, tid(1 + i));
  toV2.record('GET', 200, '-', ms(30), 0, 950, tid(4));
  toV2.record('GET', 500, '-', ms(35), 0, 40, tid(5));
  toV2.record('GET', 503, 'UF', 0.0004, 0, 0, undefined);
  // gRPC calls (the last argument is the grpc-status): OK on v1; OK and an app NOT_FOUND on v2.
  toV1.record('POST', 200, '-', ms(5), 20, 30, tid(15), 0);
  toV2.record('POST', 200, '-', ms(5), 20, 30, tid(16), 0);
  toV2.record('POST', 200, '-', ms(5), 20, 0, tid(17), 5);
  s.pp.metrics
    // registryOnly refused an unknown host: Istio's name, never the requested host (cardinality).
    .recorder(labels('source', productpage, { ...ingress, service: 'BlackHoleCluster' }))
    .record('GET', 502, 'NR', 0.0002, 0, 80, undefined);

  // reviews v1: answers productpage, refuses the ops probe, calls ratings.
  const r1In = s.r1.metrics.recorder(labels('destination', productpage, reviewsV1));
  for (let i = 0; i < 3; i++) r1In.record('GET', 200, '-', ms(6), 0, 900, tid(6 + i));
  r1In.record('POST', 200, '-', ms(4), 20, 30, tid(18), 0);
  r1In.record('POST', 200, 'RBAC', 0.0001, 0, 0, undefined, 7);
  s.r1.metrics
    .recorder(labels('destination', probe, reviewsV1))
    .record('GET', 403, 'RBAC', 0.0001, 0, 60, undefined);
  s.r1.metrics.authzDenied(principal(probe), `reviews.${NS}.svc.${TD}`, 'enforce');
  s.r1.metrics.recorder(labels('source', reviewsV1, ratings)).record('GET', 200, '-', ms(3), 0, 100, tid(9));

  // reviews v2: slower, one 500 per tick, calls ratings.
  const r2In = s.r2.metrics.recorder(labels('destination', productpage, reviewsV2));
  r2In.record('GET', 200, '-', ms(28), 0, 950, tid(10));
  r2In.record('GET', 500, '-', ms(33), 0, 40, tid(11));
  s.r2.metrics.recorder(labels('source', reviewsV2, ratings)).record('GET', 200, '-', ms(3), 0, 100, tid(12));

  // ratings: answers both reviews versions; a client with a bad certificate.
  s.rt.metrics
    .recorder(labels('destination', reviewsV1, ratings))
    .record('GET', 200, '-', ms(2), 0, 100, tid(13));
  s.rt.metrics
    .recorder(labels('destination', reviewsV2, ratings))
    .record('GET', 200, '-', ms(2), 0, 100, tid(14));
  s.rt.metrics.tlsHandshakeFailure('inbound', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');

  // productpage balancing its calls to reviews v2: an ejection, an overflow, retries.
  const v2 = s.pp.metrics.balance.version(`reviews.${NS}.svc.${TD}`, 'v2');
  v2.ejection();
  v2.overflow('pending');
  v2.retry('success');
  v2.retry('budget_exhausted');
}

/** Grafana's variables, as a person viewing reviews in namespace default would have them. */
function grafanaSubstitute(expr: string): string {
  return substitute(expr, { namespace: NS, service: 'reviews', rateInterval: '15s' });
}

test('dashboards and canary templates return data from a real Prometheus', {
  timeout: 120_000,
}, async (t) => {
  const missing = prometheusMissing();
  if (missing !== null) {
    t.skip(missing);
    return;
  }
  const mesh = {
    pp: await sidecar(false),
    r1: await sidecar(true),
    r2: await sidecar(true),
    rt: await sidecar(false),
  };
  const all = Object.values(mesh);
  for (const s of all) s.metrics.configReload('success', 'c0ffee01');
  // productpage's view of the reviews endpoints, and its canary guard on v2.
  const reviewsFqdn = `reviews.${NS}.svc.${TD}`;
  mesh.pp.metrics.balance.endpoints(() => [
    { service: reviewsFqdn, version: 'v1', healthy: 3, ejected: 0 },
    { service: reviewsFqdn, version: 'v2', healthy: 1, ejected: 1 },
  ]);
  mesh.pp.metrics.balance.canaryGuard(reviewsFqdn, 'canary', 'v2', true);
  mesh.rt.metrics.configReload('failure', null);
  mesh.rt.metrics.configReload('success', 'c0ffee02');
  let n = 0;
  feed(mesh, n++);
  // Bounded: the test's own timeout stops it at the latest, `finally` normally.
  const feeder = setInterval(() => feed(mesh, n++), 200);
  let prom: PrometheusServer | undefined;
  try {
    prom = await startPrometheus({ targets: all.map((s) => s.target) });
    await prom.waitForScrapes(4);

    await t.test('every dashboard panel query returns a number', async () => {
      const queries = [
        ...(await dashboardQueries('meshlet-overview.json')),
        ...(await dashboardQueries('meshlet-service.json')),
      ];
      assert.ok(queries.length >= 40, `only ${queries.length} queries found`);
      const empty: string[] = [];
      for (const q of queries) {
        const expr = grafanaSubstitute(q.expr);
        assert.doesNotMatch(expr, /\$/, `${q.where}: unsubstituted variable`);
        const result = await prom!.query(expr);
        if (!result.some((s) => Number.isFinite(s.value)))
          empty.push(`${q.where}: ${expr} -> ${JSON.stringify(result)}`);
      }
      assert.deepEqual(empty, []);
    });

    await t.test('dashboard variables list the namespace and the services', async () => {
      const values = new Map<string, string[]>();
      for (const v of await dashboardVariables('meshlet-service.json')) {
        values.set(v.name, await prom!.labelValues(v.label, grafanaSubstitute(v.selector)));
      }
      assert.deepEqual(values.get('namespace'), [NS]);
      assert.deepEqual(values.get('service'), ['productpage', 'ratings', 'reviews']);
    });

    await t.test('panels show the mesh that was recorded', async () => {
      const split = await prom!.query(
        grafanaSubstitute(
          'sum by (destination_version) (rate(meshlet_requests_total{reporter="source",destination_service_name="reviews"}[$__rate_interval]))',
        ),
      );
      assert.deepEqual(split.map((s) => s.metric.destination_version).sort(), ['v1', 'v2']);
      const edges = await prom!.query(
        'sum by (source_workload, destination_service_name) (meshlet_requests_total{reporter="source"})',
      );
      assert.deepEqual(
        edges.map((e) => `${e.metric.source_workload}->${e.metric.destination_service_name}`).sort(),
        [
          'productpage-v1->BlackHoleCluster',
          'productpage-v1->reviews',
          'reviews-v1->ratings',
          'reviews-v2->ratings',
        ],
      );
      const grpc = await prom!.query(
        grafanaSubstitute(
          'sum by (grpc_response_status) (rate(meshlet_requests_total{reporter="destination",destination_service_name="reviews",request_protocol="grpc"}[$__rate_interval]))',
        ),
      );
      assert.deepEqual(grpc.map((g) => g.metric.grpc_response_status).sort(), ['0', '7']);
      const denials = await prom!.query('sum by (source_principal, mode) (meshlet_authz_denied_total) > 0');
      assert.deepEqual(
        denials.map((d) => [d.metric.source_principal, d.metric.mode]),
        [[principal(probe), 'enforce']],
      );
      const hashes = await prom!.query('count by (hash) (meshlet_config_info)');
      assert.deepEqual(hashes.map((h) => [h.metric.hash, h.value]).sort(), [
        ['c0ffee01', 3],
        ['c0ffee02', 1],
      ]);
    });

    await t.test('trace_id exemplars reach Prometheus through the OpenMetrics scrape', async () => {
      const ex = await prom!.exemplars(
        'meshlet_request_duration_seconds_bucket{destination_version="v2"}',
        120,
      );
      assert.ok(ex.length > 0, 'no exemplars stored');
      for (const e of ex) assert.match(e.labels.trace_id ?? '', /^[0-9a-f]{32}$/);
    });

    await t.test('every canary template query returns a number', async () => {
      const queries = await canaryQueries({
        namespace: NS,
        target: 'reviews-v2',
        interval: '15s',
        serviceName: `reviews.${NS}.svc.${TD}`,
        version: 'v2',
      });
      assert.equal(queries.length, 4);
      for (const q of queries) {
        assert.doesNotMatch(q.expr, /\{\{/, `${q.where}: unsubstituted variable`);
        const result = await prom!.query(q.expr);
        assert.ok(
          result.some((s) => Number.isFinite(s.value)),
          `${q.where}: ${q.expr} -> ${JSON.stringify(result)}`,
        );
      }
      // reviews v2 answers one 500 for every 200: a canary that must fail a 99 % gate.
      const flagger = queries.find((q) => q.where.endsWith('meshlet-request-success-rate'))!;
      const [rate] = await prom!.query(flagger.expr);
      assert.ok(rate!.value > 40 && rate!.value < 60, `success rate ${rate!.value}`);
    });

    await t.test("Flagger's built-in Istio queries work on the istio compat series", async () => {
      const success = await prom!.query(
        `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"reviews-v1",response_code!~"5.*"}[15s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"reviews-v1"}[15s])) * 100`,
      );
      assert.equal(success.length, 1);
      assert.equal(success[0]!.value, 100);
      const p99 = await prom!.query(
        `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"reviews-v2"}[15s])) by (le))`,
      );
      // v2 answers in 28-39 ms: the p99 lies in Istio's (25, 50] ms bucket.
      assert.ok(p99[0]!.value > 25 && p99[0]!.value <= 50, `p99 ${p99[0]!.value} ms`);
    });
  } finally {
    clearInterval(feeder);
    await prom?.stop();
    for (const s of all) s.server.close();
  }
});
