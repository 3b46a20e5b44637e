// Hot-path cost of recording one request, against prom-client's own labelled
// children (what metrics.ts would do without its cached series).
// Run: node bench/micro/metrics.bench.ts
import { Counter, Histogram, type OpenMetricsContentType, Registry } from 'prom-client';
import { Bench } from 'tinybench';
import { createMetrics, DURATION_BUCKETS } from '../../src/telemetry/metrics.ts';
import type { StaticRequestLabels } from '../../src/telemetry/types.ts';

const LABELS: StaticRequestLabels = {
  reporter: 'source',
  source_workload: 'productpage',
  source_workload_namespace: 'default',
  source_version: 'v1',
  source_principal: 'spiffe://cluster.local/ns/default/sa/productpage',
  destination_workload: 'reviews',
  destination_workload_namespace: 'default',
  destination_service: 'reviews.default.svc.cluster.local',
  destination_service_name: 'reviews',
  destination_version: 'v2',
  request_protocol: 'http',
  connection_security_policy: 'unknown',
};
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const meshlet = createMetrics({ istioCompat: false });
const recorder = meshlet.recorder(LABELS);
const istio = createMetrics({ istioCompat: true }).recorder(LABELS);

// The prom-client baseline: label children looked up once, as a careful caller would.
const registry = new Registry<OpenMetricsContentType>();
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
const names = [...Object.keys(LABELS), 'request_method', 'response_code', 'response_flags'];
const requests = new Counter({
  name: 'b_requests_total',
  help: 'h',
  labelNames: names,
  registers: [registry],
});
const reqBytes = new Counter({
  name: 'b_req_bytes_total',
  help: 'h',
  labelNames: names,
  registers: [registry],
});
const resBytes = new Counter({
  name: 'b_res_bytes_total',
  help: 'h',
  labelNames: names,
  registers: [registry],
});
const durationNames = names.filter((n) => n !== 'response_flags');
const duration = new Histogram({
  name: 'b_duration_seconds',
  help: 'h',
  labelNames: durationNames,
  buckets: [...DURATION_BUCKETS],
  enableExemplars: true,
  registers: [registry],
});
const full = { ...LABELS, request_method: 'GET', response_code: '200', response_flags: '-' };
const { response_flags: _, ...withoutFlags } = full;
const children = {
  requests: requests.labels(full),
  reqBytes: reqBytes.labels(full),
  resBytes: resBytes.labels(full),
};

const bench = new Bench({ time: 500 });
bench
  .add('meshlet recorder.record (no trace)', () => {
    recorder.record('GET', 200, '-', 0.012, 100, 2000, undefined);
  })
  .add('meshlet recorder.record (trace_id exemplar)', () => {
    recorder.record('GET', 200, '-', 0.012, 100, 2000, TRACE);
  })
  .add('meshlet recorder.record, istio compat on', () => {
    istio.record('GET', 200, '-', 0.012, 100, 2000, TRACE);
  })
  .add('prom-client cached children + histogram exemplar', () => {
    children.requests.inc();
    children.reqBytes.inc(100);
    children.resBytes.inc(2000);
    duration.observe({ labels: withoutFlags, value: 0.012, exemplarLabels: { trace_id: TRACE } });
  });

await bench.run();
console.table(bench.table());
