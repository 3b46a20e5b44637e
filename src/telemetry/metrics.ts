// Request metrics of DESIGN.md section 6. prom-client owns the registry, the
// text/OpenMetrics formatting and the default process metrics; the request
// series are small families of our own, registered in that registry, because
// prom-client's labelled children hash their label object on every observe and
// cannot attach exemplars through a child. Here a request costs one Map lookup
// with a numeric key, then a few additions on preallocated series.
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type OpenMetricsContentType, Registry } from 'prom-client';
import type { ResponseFlags } from '../errors.ts';
import type { MeshMetrics, RequestRecorder, StaticRequestLabels } from './types.ts';

/** Seconds; DESIGN.md section 6. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Envoy's default histogram bounds, which Istio uses for its ms durations and byte sizes. */
export const ISTIO_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** `request_method` values; anything else is `other`, so a client cannot mint series. */
export const KNOWN_METHODS: readonly string[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'other',
];

const FLAGS: readonly ResponseFlags[] = ['-', 'NR', 'UH', 'UF', 'UC', 'UT', 'URX', 'RBAC', 'DPE', 'LR'];
const FLAG_INDEX: Readonly<Record<string, number>> = Object.fromEntries(FLAGS.map((f, i) => [f, i]));

/** Distinct TLS failure reasons kept as label values; later ones are counted as `other`. */
const MAX_TLS_REASONS = 32;

const STATIC_LABEL_NAMES = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_version',
  'source_principal',
  'destination_workload',
  'destination_workload_namespace',
  'destination_service',
  'destination_service_name',
  'destination_version',
  'request_protocol',
] as const;

/** Labels of a passthrough TCP connection; the port is the original destination's. */
export interface TcpLabels {
  readonly direction: 'inbound' | 'outbound';
  readonly destination_port: string;
}

/** Counts one passthrough TCP connection and the bytes it carried. */
export interface TcpRecorder {
  opened(): void;
  /** `sent`: bytes written to the original destination; `received`: bytes read from it. */
  bytes(sent: number, received: number): void;
}

/** MeshMetrics plus the series that sit outside the listener seam. */
export interface MeshletMetrics extends MeshMetrics {
  tcp(labels: TcpLabels): TcpRecorder;
  /** One span the tracer could not export (queue full or collector unreachable). */
  tracingSpanDropped(): void;
  /** The prom-client registry, for tests and for adding process-level metrics. */
  readonly registry: Registry;
}

function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return 9;
  }
}

type Labels = Record<string, string>;

interface Exemplar {
  labelSet: { trace_id: string };
  value: number;
  timestamp: number;
}

/** What prom-client's formatter reads from a metric. */
interface MetricSample {
  labels: Labels | Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

interface FamilySnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricSample[];
  /** How the primary of a multi-worker sidecar combines workers' values. */
  aggregator: 'sum' | 'max';
}

function seriesKey(labels: Labels): string {
  return Object.values(labels).join('\u0000');
}

class CounterSeries {
  readonly labels: Labels;
  value = 0;
  constructor(labels: Labels) {
    this.labels = labels;
  }
}

/** A counter or gauge family; series are created once and then mutated in place. */
class ValueFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  // Counters add up across workers; the gauges here (config info, reload time) are the same in each.
  readonly aggregator: 'sum' | 'max';
  #series = new Map<string, CounterSeries>();

  constructor(name: string, help: string, type: 'counter' | 'gauge') {
    this.name = name;
    this.help = help;
    this.type = type;
    this.aggregator = type === 'gauge' ? 'max' : 'sum';
  }

  series(labels: Labels): CounterSeries {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new CounterSeries(labels);
      this.#series.set(key, s);
    }
    return s;
  }

  /** Gauges with an identifying label (config hash) keep only the current series. */
  replaceAll(labels: Labels, value: number): void {
    this.#series.clear();
    this.series(labels).value = value;
  }

  async get(): Promise<FamilySnapshot> {
    const values: MetricSample[] = [];
    for (const s of this.#series.values()) values.push({ labels: s.labels, value: s.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}

class HistogramSeries {
  readonly labels: Labels;
  readonly #bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  readonly exemplars: (Exemplar | null)[];
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: readonly number[], withExemplars: boolean) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.exemplars = withExemplars ? new Array(bounds.length + 1).fill(null) : [];
  }

  observe(value: number, traceId: string | undefined): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (traceId && this.exemplars.length > 0) {
      // One exemplar per bucket, the latest; reused so tracing adds no garbage.
      const e = this.exemplars[i];
      if (e == null) {
        this.exemplars[i] = { labelSet: { trace_id: traceId }, value, timestamp: Date.now() / 1000 };
      } else {
        e.labelSet.trace_id = traceId;
        e.value = value;
        e.timestamp = Date.now() / 1000;
      }
    }
  }
}

class HistogramFamily {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #exemplars: boolean;
  #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, bounds: readonly number[], exemplars: boolean) {
    this.name = name;
    this.help = help;
    this.#bounds = bounds;
    this.#exemplars = exemplars;
  }

  series(labels: Labels): HistogramSeries {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new HistogramSeries(labels, this.#bounds, this.#exemplars);
      this.#series.set(key, s);
    }
    return s;
  }

  async get(): Promise<FamilySnapshot> {
    const values: MetricSample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.#bounds.length ? this.#bounds[i]! : '+Inf';
        values.push({
          labels: { ...s.labels, le },
          value: cumulative,
          metricName: bucket,
          exemplar: s.exemplars[i] ?? null,
        });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** Every series one (method, code, flags) request touches, resolved once. */
interface RequestSeries {
  readonly requests: CounterSeries;
  readonly requestBytes: CounterSeries;
  readonly responseBytes: CounterSeries;
  readonly duration: HistogramSeries;
  readonly istio: {
    readonly requests: CounterSeries;
    readonly durationMs: HistogramSeries;
    readonly requestBytes: HistogramSeries;
    readonly responseBytes: HistogramSeries;
  } | null;
}

interface Families {
  requests: ValueFamily;
  duration: HistogramFamily;
  requestBytes: ValueFamily;
  responseBytes: ValueFamily;
  istio: {
    requests: ValueFamily;
    durationMs: HistogramFamily;
    requestBytes: HistogramFamily;
    responseBytes: HistogramFamily;
  } | null;
}

class CachedRecorder implements RequestRecorder {
  readonly #families: Families;
  readonly #base: Labels;
  readonly #security: string;
  readonly #cache = new Map<number, RequestSeries>();

  constructor(families: Families, labels: StaticRequestLabels) {
    this.#families = families;
    const base: Labels = {};
    for (const name of STATIC_LABEL_NAMES) base[name] = labels[name] || 'unknown';
    this.#base = base;
    this.#security = labels.connection_security_policy || 'unknown';
  }

  record(
    method: string,
    responseCode: number,
    responseFlags: ResponseFlags,
    durationSeconds: number,
    requestBytes: number,
    responseBytes: number,
    traceId: string | undefined,
  ): void {
    const m = methodIndex(method);
    const code = responseCode >= 0 && responseCode <= 999 ? responseCode | 0 : 0;
    const f = FLAG_INDEX[responseFlags] ?? 0;
    const key = (m * 1000 + code) * 16 + f;
    let s = this.#cache.get(key);
    if (s === undefined) {
      s = this.#resolve(m, code, f);
      this.#cache.set(key, s);
    }
    s.requests.value++;
    s.requestBytes.value += requestBytes;
    s.responseBytes.value += responseBytes;
    s.duration.observe(durationSeconds, traceId);
    if (s.istio !== null) {
      s.istio.requests.value++;
      s.istio.durationMs.observe(durationSeconds * 1000, traceId);
      s.istio.requestBytes.observe(requestBytes, undefined);
      s.istio.responseBytes.observe(responseBytes, undefined);
    }
  }

  #resolve(m: number, code: number, f: number): RequestSeries {
    const withoutFlags: Labels = {
      ...this.#base,
      request_method: KNOWN_METHODS[m]!,
      response_code: String(code),
      connection_security_policy: this.#security,
    };
    const all: Labels = { ...withoutFlags, response_flags: FLAGS[f]! };
    const fam = this.#families;
    return {
      requests: fam.requests.series(all),
      requestBytes: fam.requestBytes.series(all),
      responseBytes: fam.responseBytes.series(all),
      duration: fam.duration.series(withoutFlags),
      istio:
        fam.istio === null
          ? null
          : {
              requests: fam.istio.requests.series(all),
              durationMs: fam.istio.durationMs.series(withoutFlags),
              requestBytes: fam.istio.requestBytes.series(all),
              responseBytes: fam.istio.responseBytes.series(all),
            },
    };
  }
}

/** Renders a prom-client registry as OpenMetrics without prom-client renaming counters in place. */
async function renderOpenMetrics(
  registry: Registry,
  formatter: Registry<OpenMetricsContentType>,
): Promise<string> {
  const parts = await Promise.all(
    registry.getMetricsAsArray().map((metric) => {
      const m = metric as unknown as { type: string; get(): Promise<FamilySnapshot> };
      const view =
        m.type === 'counter'
          ? {
              get: async () => {
                const snap = await m.get();
                return { ...snap, name: snap.name.replace(/_total$/, '') };
              },
            }
          : m;
      // getMetricsAsString is public at run time but missing from prom-client's typings.
      return (formatter as unknown as { getMetricsAsString(m: unknown): Promise<string> }).getMetricsAsString(
        view,
      );
    }),
  );
  return `${parts.join('\n')}\n# EOF\n`;
}

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') === true;
}

type DefaultMetric = (registry: Registry, config: object) => void;
const requireCjs = createRequire(import.meta.url);

/**
 * prom-client's default Node process metrics, except the GC duration
 * histogram: its PerformanceObserver runs a JS callback on every scavenge,
 * which with the sidecar's small young generation is thousands of times a
 * second under load (1.5 % of proxy CPU in a profile, BENCHMARKS.md).
 */
function collectProcessMetrics(registry: Registry): void {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === 'gc') continue;
    const collect = requireCjs(`prom-client/lib/metrics/${name}`) as DefaultMetric;
    collect(registry, { eventLoopMonitoringPrecision: 10 });
  }
}

export function createMetrics(opts: { istioCompat: boolean }): MeshletMetrics {
  const registry = new Registry();
  const openMetricsFormatter = new Registry<OpenMetricsContentType>();
  openMetricsFormatter.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const add = <T extends ValueFamily | HistogramFamily>(family: T): T => {
    registry.registerMetric(family as never);
    return family;
  };

  const families: Families = {
    requests: add(new ValueFamily('meshlet_requests_total', 'Requests answered by this sidecar.', 'counter')),
    duration: add(
      new HistogramFamily(
        'meshlet_request_duration_seconds',
        'Request duration as seen by this sidecar, in seconds.',
        DURATION_BUCKETS,
        true,
      ),
    ),
    requestBytes: add(new ValueFamily('meshlet_request_bytes_total', 'Request body bytes.', 'counter')),
    responseBytes: add(new ValueFamily('meshlet_response_bytes_total', 'Response body bytes.', 'counter')),
    istio: opts.istioCompat
      ? {
          requests: add(
            new ValueFamily('istio_requests_total', 'Istio-compatible request count.', 'counter'),
          ),
          durationMs: add(
            new HistogramFamily(
              'istio_request_duration_milliseconds',
              'Istio-compatible request duration in milliseconds.',
              ISTIO_BUCKETS,
              true,
            ),
          ),
          requestBytes: add(
            new HistogramFamily(
              'istio_request_bytes',
              'Istio-compatible request size.',
              ISTIO_BUCKETS,
              false,
            ),
          ),
          responseBytes: add(
            new HistogramFamily(
              'istio_response_bytes',
              'Istio-compatible response size.',
              ISTIO_BUCKETS,
              false,
            ),
          ),
        }
      : null,
  };

  const authzDenied = add(
    new ValueFamily(
      'meshlet_authz_denied_total',
      'Requests the allow rules denied (enforce) or would have denied (audit).',
      'counter',
    ),
  );
  const reloads = add(new ValueFamily('meshlet_config_reloads_total', 'Config loads by result.', 'counter'));
  const reloadSuccess = [
    reloads.series({ result: 'success' }),
    reloads.series({ result: 'failure' }),
  ] as const;
  const lastReload = add(
    new ValueFamily(
      'meshlet_config_last_reload_success_timestamp_seconds',
      'Unix time of the last successful config load, labelled with its hash.',
      'gauge',
    ),
  );
  const configInfo = add(
    new ValueFamily('meshlet_config_info', 'The config in force: 1 for its hash.', 'gauge'),
  );
  const tlsFailures = add(
    new ValueFamily('meshlet_tls_handshake_failures_total', 'Failed TLS handshakes.', 'counter'),
  );
  const spansDropped = add(
    new ValueFamily(
      'meshlet_tracing_spans_dropped_total',
      'Spans not exported: queue full or collector unreachable.',
      'counter',
    ),
  ).series({});
  const tcpConnections = add(
    new ValueFamily('meshlet_tcp_connections_total', 'Passthrough TCP connections opened.', 'counter'),
  );
  const tcpBytes = add(new ValueFamily('meshlet_tcp_bytes_total', 'Passthrough TCP bytes.', 'counter'));

  collectProcessMetrics(registry);

  const recorders = new Map<string, CachedRecorder>();
  const denied = new Map<string, Map<string, [CounterSeries, CounterSeries]>>();
  const tlsReasons = new Map<string, CounterSeries>();

  return {
    registry,

    recorder(labels: StaticRequestLabels): RequestRecorder {
      let key = labels.connection_security_policy;
      for (const name of STATIC_LABEL_NAMES) key += `\u0000${labels[name]}`;
      let r = recorders.get(key);
      if (r === undefined) {
        r = new CachedRecorder(families, labels);
        recorders.set(key, r);
      }
      return r;
    },

    authzDenied(sourcePrincipal, destinationService, mode) {
      const principal = sourcePrincipal || 'unknown';
      let byDest = denied.get(principal);
      if (byDest === undefined) denied.set(principal, (byDest = new Map()));
      let pair = byDest.get(destinationService);
      if (pair === undefined) {
        const base = { source_principal: principal, destination_service: destinationService || 'unknown' };
        pair = [
          authzDenied.series({ ...base, mode: 'enforce' }),
          authzDenied.series({ ...base, mode: 'audit' }),
        ];
        byDest.set(destinationService, pair);
      }
      pair[mode === 'enforce' ? 0 : 1].value++;
    },

    configReload(result, hash) {
      reloadSuccess[result === 'success' ? 0 : 1].value++;
      if (result === 'success' && hash !== null) {
        configInfo.replaceAll({ hash }, 1);
        lastReload.replaceAll({ hash }, Date.now() / 1000);
      }
    },

    tlsHandshakeFailure(direction, reason) {
      const key = `${direction}\u0000${reason}`;
      let s = tlsReasons.get(key);
      if (s === undefined) {
        const r = tlsReasons.size < MAX_TLS_REASONS ? reason || 'unknown' : 'other';
        s = tlsFailures.series({ direction, reason: r });
        if (tlsReasons.size < MAX_TLS_REASONS) tlsReasons.set(key, s);
      }
      s.value++;
    },

    tracingSpanDropped() {
      spansDropped.value++;
    },

    tcp(labels: TcpLabels): TcpRecorder {
      const base = { direction: labels.direction, destination_port: labels.destination_port };
      const connections = tcpConnections.series(base);
      const sent = tcpBytes.series({ ...base, flow: 'sent' });
      const received = tcpBytes.series({ ...base, flow: 'received' });
      return {
        opened() {
          connections.value++;
        },
        bytes(s, r) {
          sent.value += s;
          received.value += r;
        },
      };
    },

    async render(accept) {
      if (wantsOpenMetrics(accept)) {
        return {
          contentType: Registry.OPENMETRICS_CONTENT_TYPE,
          body: await renderOpenMetrics(registry, openMetricsFormatter),
        };
      }
      return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
    },
  };
}
