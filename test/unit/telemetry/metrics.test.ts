import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAGS } from '../../../src/errors.ts';
import { createMetrics, DURATION_BUCKETS, ISTIO_BUCKETS } from '../../../src/telemetry/metrics.ts';
import type { StaticRequestLabels } from '../../../src/telemetry/types.ts';

const LABELS: StaticRequestLabels = {
  reporter: 'destination',
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
  connection_security_policy: 'mutual_tls',
};
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Sample lines of one metric name, as [labels text, value text, rest]. */
function samples(body: string, name: string): { labels: Map<string, string>; value: string; rest: string }[] {
  const out = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*?)\})? (\S+)(.*)$/.exec(line);
    assert.ok(m, line);
    const labels = new Map<string, string>();
    for (const lm of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels.set(lm[1]!, lm[2]!);
    out.push({ labels, value: m[2]!, rest: m[3]! });
  }
  return out;
}

describe('gRPC request labels', () => {
  it('a gRPC call is request_protocol="grpc" with its grpc_response_status; other requests carry no such label', async () => {
    const m = createMetrics({ istioCompat: true });
    const r = m.recorder(LABELS);
    r.record('POST', 200, '-', 0.01, 5, 7, TRACE, 0);
    r.record('POST', 200, '-', 0.01, 5, 7, undefined, 14);
    r.record('POST', 200, '-', 0.01, 5, 7, undefined, 14);
    r.record('POST', 503, 'UF', 0.01, 0, 0, undefined, -2);
    r.record('POST', 200, '-', 0.01, 0, 0, undefined, 99);
    r.record('GET', 200, '-', 0.01, 0, 0, undefined);
    const { body } = await m.render(undefined);
    for (const name of ['meshlet_requests_total', 'istio_requests_total']) {
      const got = samples(body, name).map((s) => [
        s.labels.get('request_protocol'),
        s.labels.get('grpc_response_status') ?? null,
        s.labels.get('response_code'),
        s.value,
      ]);
      assert.deepEqual(
        got.sort(),
        [
          ['grpc', '0', '200', '1'],
          ['grpc', '14', '200', '2'],
          ['grpc', 'unknown', '200', '1'],
          ['grpc', 'unknown', '503', '1'],
          ['http', null, '200', '1'],
        ].sort(),
        name,
      );
    }
  });
});

describe('createMetrics', () => {
  it('counts requests with every request label of docs/observability.md', async () => {
    const m = createMetrics({ istioCompat: false });
    const r = m.recorder(LABELS);
    r.record('GET', 200, '-', 0.02, 10, 300, undefined);
    r.record('GET', 200, '-', 0.03, 5, 100, undefined);
    r.record('POST', 503, 'UF', 0.001, 7, 0, undefined);
    const { contentType, body } = await m.render(undefined);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const reqs = samples(body, 'meshlet_requests_total');
    assert.equal(reqs.length, 2);
    const ok = reqs.find((s) => s.labels.get('response_code') === '200')!;
    assert.equal(ok.value, '2');
    assert.deepEqual([...ok.labels.keys()].sort(), [
      'connection_security_policy',
      'destination_service',
      'destination_service_name',
      'destination_version',
      'destination_workload',
      'destination_workload_namespace',
      'reporter',
      'request_method',
      'request_protocol',
      'response_code',
      'response_flags',
      'source_principal',
      'source_version',
      'source_workload',
      'source_workload_namespace',
    ]);
    assert.equal(ok.labels.get('response_flags'), '-');
    assert.equal(ok.labels.get('connection_security_policy'), 'mutual_tls');
    const failed = reqs.find((s) => s.labels.get('response_code') === '503')!;
    assert.equal(failed.labels.get('response_flags'), 'UF');
    assert.equal(failed.labels.get('request_method'), 'POST');

    const reqBytes = samples(body, 'meshlet_request_bytes_total');
    assert.equal(reqBytes.find((s) => s.labels.get('response_code') === '200')!.value, '15');
    const resBytes = samples(body, 'meshlet_response_bytes_total');
    assert.equal(resBytes.find((s) => s.labels.get('response_code') === '200')!.value, '400');
  });

  it('records every flag of the error table under its own response_flags value', async () => {
    const m = createMetrics({ istioCompat: false });
    const r = m.recorder(LABELS);
    const flags = Object.keys(FLAGS) as (keyof typeof FLAGS)[];
    // The same method and code for every flag: only the flag tells the series apart.
    for (const flag of flags) r.record('GET', 503, flag, 0.01, 0, 0, undefined);
    r.record('GET', 503, 'DC', 0.01, 0, 0, undefined);
    const reqs = samples((await m.render(undefined)).body, 'meshlet_requests_total');
    assert.deepEqual(
      new Map(reqs.map((s) => [s.labels.get('response_flags'), s.value])),
      new Map(flags.map((f) => [f, f === 'DC' ? '2' : '1'])),
    );
  });

  it('uses the exact duration buckets, no response_flags label, and counts per bucket', async () => {
    const m = createMetrics({ istioCompat: false });
    const r = m.recorder(LABELS);
    r.record('GET', 200, '-', 0.02, 0, 0, undefined);
    r.record('GET', 200, 'UT', 0.7, 0, 0, undefined);
    r.record('GET', 200, '-', 99, 0, 0, undefined);
    const { body } = await m.render(undefined);
    const buckets = samples(body, 'meshlet_request_duration_seconds_bucket');
    assert.deepEqual(
      buckets.map((b) => b.labels.get('le')),
      [...DURATION_BUCKETS.map(String), '+Inf'],
    );
    for (const b of buckets) assert.equal(b.labels.has('response_flags'), false);
    const at = (le: string) => buckets.find((b) => b.labels.get('le') === le)!.value;
    assert.equal(at('0.01'), '0');
    assert.equal(at('0.025'), '1');
    assert.equal(at('0.5'), '1');
    assert.equal(at('1'), '2');
    assert.equal(at('60'), '2');
    assert.equal(at('+Inf'), '3');
    assert.equal(samples(body, 'meshlet_request_duration_seconds_count')[0]!.value, '3');
    assert.equal(Number(samples(body, 'meshlet_request_duration_seconds_sum')[0]!.value), 0.02 + 0.7 + 99);
  });

  it('bounds request_method to known methods and fills unknown labels with "unknown"', async () => {
    const m = createMetrics({ istioCompat: false });
    const r = m.recorder({ ...LABELS, source_version: '', source_principal: '' });
    r.record('PROPFIND', 200, '-', 0.01, 0, 0, undefined);
    r.record('BREW', 200, '-', 0.01, 0, 0, undefined);
    r.record('get', 200, '-', 0.01, 0, 0, undefined);
    r.record('DELETE', 0, 'UC', 0.01, 0, 0, undefined);
    const reqs = samples((await m.render(undefined)).body, 'meshlet_requests_total');
    const other = reqs.filter((s) => s.labels.get('request_method') === 'other');
    assert.equal(other.length, 1);
    assert.equal(other[0]!.value, '3');
    assert.equal(other[0]!.labels.get('source_version'), 'unknown');
    assert.equal(other[0]!.labels.get('source_principal'), 'unknown');
    const del = reqs.find((s) => s.labels.get('request_method') === 'DELETE')!;
    assert.equal(del.labels.get('response_code'), '0');
  });

  it('shares series between recorders built from equal labels', async () => {
    const m = createMetrics({ istioCompat: false });
    const a = m.recorder(LABELS);
    const b = m.recorder({ ...LABELS });
    assert.equal(a, b);
    a.record('GET', 200, '-', 0.01, 0, 0, undefined);
    b.record('GET', 200, '-', 0.01, 0, 0, undefined);
    m.recorder({ ...LABELS, destination_version: 'v1' }).record('GET', 200, '-', 0.01, 0, 0, undefined);
    const reqs = samples((await m.render(undefined)).body, 'meshlet_requests_total');
    assert.deepEqual(reqs.map((s) => [s.labels.get('destination_version'), s.value]).sort(), [
      ['v1', '1'],
      ['v2', '2'],
    ]);
  });

  it('renders OpenMetrics with trace_id exemplars only when asked, and keeps _total names afterwards', async () => {
    const m = createMetrics({ istioCompat: false });
    m.recorder(LABELS).record('GET', 200, '-', 0.02, 0, 0, TRACE);
    m.recorder(LABELS).record('GET', 200, '-', 3, 0, 0, undefined);
    const om = await m.render('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    assert.match(om.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(om.body.endsWith('# EOF\n'));
    assert.match(om.body, /^# TYPE meshlet_requests counter$/m);
    const withExemplar = samples(om.body, 'meshlet_request_duration_seconds_bucket').filter((s) =>
      s.rest.includes('#'),
    );
    assert.equal(withExemplar.length, 1);
    assert.equal(withExemplar[0]!.labels.get('le'), '0.025');
    assert.match(withExemplar[0]!.rest, new RegExp(`^ # \\{trace_id="${TRACE}"\\} 0\\.02 \\d+(\\.\\d+)?$`));
    assert.equal(samples(om.body, 'meshlet_requests_total')[0]!.value, '2');

    const text = await m.render('text/plain');
    assert.doesNotMatch(text.body, /trace_id/);
    assert.match(text.body, /^# TYPE meshlet_requests_total counter$/m);
    assert.match(text.body, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.equal(samples(text.body, 'meshlet_requests_total').length, 1);
  });

  it('keeps the latest exemplar per bucket', async () => {
    const m = createMetrics({ istioCompat: false });
    const r = m.recorder(LABELS);
    r.record('GET', 200, '-', 0.02, 0, 0, 'a'.repeat(32));
    r.record('GET', 200, '-', 0.021, 0, 0, 'b'.repeat(32));
    const { body } = await m.render('application/openmetrics-text');
    assert.doesNotMatch(body, /a{32}/);
    assert.match(body, new RegExp(`trace_id="${'b'.repeat(32)}"\\} 0\\.021`));
  });

  it('exports config reloads, the current hash only, and authz denials by mode', async () => {
    const m = createMetrics({ istioCompat: false });
    let body = (await m.render(undefined)).body;
    assert.deepEqual(
      samples(body, 'meshlet_config_reloads_total').map((s) => [s.labels.get('result'), s.value]),
      [
        ['success', '0'],
        ['failure', '0'],
      ],
    );
    const before = Date.now() / 1000;
    m.configReload('success', 'aaa111');
    m.configReload('failure', null);
    m.configReload('success', 'bbb222');
    m.authzDenied('spiffe://cluster.local/ns/default/sa/ratings', 'reviews', 'enforce');
    m.authzDenied('spiffe://cluster.local/ns/default/sa/ratings', 'reviews', 'enforce');
    m.authzDenied('', 'reviews', 'audit');
    body = (await m.render(undefined)).body;
    assert.deepEqual(
      samples(body, 'meshlet_config_reloads_total').map((s) => [s.labels.get('result'), s.value]),
      [
        ['success', '2'],
        ['failure', '1'],
      ],
    );
    const info = samples(body, 'meshlet_config_info');
    assert.deepEqual(
      info.map((s) => [s.labels.get('hash'), s.value]),
      [['bbb222', '1']],
    );
    const ts = samples(body, 'meshlet_config_last_reload_success_timestamp_seconds');
    assert.equal(ts.length, 1);
    assert.equal(ts[0]!.labels.get('hash'), 'bbb222');
    assert.ok(Number(ts[0]!.value) >= before - 1);
    const denied = samples(body, 'meshlet_authz_denied_total').filter((s) => s.value !== '0');
    assert.deepEqual(
      denied.map((s) => [
        s.labels.get('source_principal'),
        s.labels.get('destination_service'),
        s.labels.get('mode'),
        s.value,
      ]),
      [
        ['spiffe://cluster.local/ns/default/sa/ratings', 'reviews', 'enforce', '2'],
        ['unknown', 'reviews', 'audit', '1'],
      ],
    );
  });

  it('caps TLS failure reasons so a peer cannot mint series', async () => {
    const m = createMetrics({ istioCompat: false });
    for (let i = 0; i < 50; i++) m.tlsHandshakeFailure('inbound', `reason_${i}`);
    m.tlsHandshakeFailure('outbound', 'ERR_SSL_WRONG_VERSION_NUMBER');
    const s = samples((await m.render(undefined)).body, 'meshlet_tls_handshake_failures_total');
    // 32 distinct reasons, then `other` for the inbound rest and for the late outbound one.
    assert.equal(s.length, 34);
    const other = (dir: string) =>
      s.find((x) => x.labels.get('reason') === 'other' && x.labels.get('direction') === dir)!.value;
    assert.equal(other('inbound'), '18');
    assert.equal(other('outbound'), '1');
  });

  it('counts TCP passthrough connections and bytes, and dropped spans', async () => {
    const m = createMetrics({ istioCompat: false });
    const tcp = m.tcp({ direction: 'outbound', destination_port: '5432' });
    tcp.opened();
    tcp.bytes(100, 2000);
    tcp.bytes(1, 2);
    m.tracingSpanDropped();
    const { body } = await m.render(undefined);
    assert.equal(samples(body, 'meshlet_tcp_connections_total')[0]!.value, '1');
    const bytes = samples(body, 'meshlet_tcp_bytes_total');
    assert.deepEqual(
      bytes.map((b) => [b.labels.get('flow'), b.value]),
      [
        ['sent', '101'],
        ['received', '2002'],
      ],
    );
    assert.equal(samples(body, 'meshlet_tracing_spans_dropped_total')[0]!.value, '1');
  });

  it('exports Istio-named series in milliseconds when istioCompat is on, and not otherwise', async () => {
    const off = createMetrics({ istioCompat: false });
    off.recorder(LABELS).record('GET', 200, '-', 0.02, 0, 0, undefined);
    assert.doesNotMatch((await off.render(undefined)).body, /istio_/);

    const m = createMetrics({ istioCompat: true });
    const r = m.recorder(LABELS);
    r.record('GET', 200, '-', 0.02, 120, 5000, TRACE);
    r.record('GET', 503, 'UF', 0.0003, 0, 0, undefined);
    const { body } = await m.render(undefined);
    const reqs = samples(body, 'istio_requests_total');
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0]!.labels.get('destination_workload'), 'reviews');
    assert.equal(reqs[0]!.labels.get('reporter'), 'destination');
    const dur = samples(body, 'istio_request_duration_milliseconds_bucket').filter(
      (s) => s.labels.get('response_code') === '200',
    );
    assert.deepEqual(
      dur.map((b) => b.labels.get('le')),
      [...ISTIO_BUCKETS.map(String), '+Inf'],
    );
    assert.equal(dur.find((b) => b.labels.get('le') === '10')!.value, '0');
    assert.equal(dur.find((b) => b.labels.get('le') === '25')!.value, '1');
    const fast = samples(body, 'istio_request_duration_milliseconds_bucket').find(
      (s) => s.labels.get('response_code') === '503' && s.labels.get('le') === '0.5',
    )!;
    assert.equal(fast.value, '1');
    const reqBytes = samples(body, 'istio_request_bytes_bucket').filter(
      (s) => s.labels.get('response_code') === '200',
    );
    assert.equal(reqBytes.find((b) => b.labels.get('le') === '100')!.value, '0');
    assert.equal(reqBytes.find((b) => b.labels.get('le') === '1000')!.value, '1');
    assert.equal(
      samples(body, 'istio_response_bytes_sum').find((s) => s.labels.get('response_code') === '200')!.value,
      '5000',
    );
    const om = await m.render('application/openmetrics-text');
    assert.match(
      om.body,
      new RegExp(
        `istio_request_duration_milliseconds_bucket\\{[^}]*le="25"\\} 1 # \\{trace_id="${TRACE}"\\} 20`,
      ),
    );
  });
});
