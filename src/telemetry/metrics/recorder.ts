// The request recorder: the request families (meshlet's, and Istio's names
// when asked for) and, per static label set, a recorder that resolves the
// series one (method, code, flags) request touches once and caches them under
// a numeric key, so recording a request is one Map lookup and a few additions.
import { FLAGS as FLAG_TABLE, type Flag, type ResponseFlags } from '../../errors.ts';
import type { RequestRecorder, StaticRequestLabels } from '../types.ts';
import {
  type CounterSeries,
  type Family,
  HistogramFamily,
  type HistogramSeries,
  type Labels,
  ValueFamily,
} from './series.ts';

/** Seconds; see docs/observability.md. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Envoy's default histogram bounds, which Istio uses for its ms durations and byte sizes. */
export const ISTIO_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** `request_method` values; anything else is `other`, so a client cannot mint series. */
const KNOWN_METHODS: readonly string[] = [
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

// Every flag of the error table (src/errors.ts), after '-'; at most 16 (the series key packs it in 4 bits).
const FLAGS: readonly ResponseFlags[] = ['-', ...(Object.keys(FLAG_TABLE) as Flag[])];
const FLAG_INDEX: Readonly<Record<string, number>> = Object.fromEntries(FLAGS.map((f, i) => [f, i]));

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

// grpc_response_status: 0 = not gRPC, 1..17 = status 0..16, 18 = a gRPC call with no known status.
const GRPC_UNKNOWN = 18;
const GRPC_VALUES = 19;

function grpcIndex(status: number): number {
  if (status === -1) return 0;
  return Number.isInteger(status) && status >= 0 && status <= 16 ? status + 1 : GRPC_UNKNOWN;
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

/** The request families, registered through `add`. */
export interface RequestFamilies {
  readonly requests: ValueFamily;
  readonly duration: HistogramFamily;
  readonly requestBytes: ValueFamily;
  readonly responseBytes: ValueFamily;
  readonly istio: {
    readonly requests: ValueFamily;
    readonly durationMs: HistogramFamily;
    readonly requestBytes: HistogramFamily;
    readonly responseBytes: HistogramFamily;
  } | null;
}

export function createRequestFamilies(
  add: <T extends Family>(family: T) => T,
  istioCompat: boolean,
): RequestFamilies {
  return {
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
    istio: istioCompat
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

class CachedRecorder implements RequestRecorder {
  readonly #families: RequestFamilies;
  readonly #base: Labels;
  readonly #security: string;
  readonly #cache = new Map<number, RequestSeries>();

  constructor(families: RequestFamilies, labels: StaticRequestLabels) {
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
    grpcStatus = -1,
  ): void {
    const m = methodIndex(method);
    const code = responseCode >= 0 && responseCode <= 999 ? responseCode | 0 : 0;
    const f = FLAG_INDEX[responseFlags] ?? 0;
    const g = grpcIndex(grpcStatus);
    const key = ((m * 1000 + code) * FLAGS.length + f) * GRPC_VALUES + g;
    let s = this.#cache.get(key);
    if (s === undefined) {
      s = this.#resolve(m, code, f, g);
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

  #resolve(m: number, code: number, f: number, g: number): RequestSeries {
    const withoutFlags: Labels = {
      ...this.#base,
      request_method: KNOWN_METHODS[m]!,
      response_code: String(code),
      connection_security_policy: this.#security,
    };
    // Istio labels only gRPC calls with a status; other requests carry none (an empty label).
    if (g > 0) {
      withoutFlags.request_protocol = 'grpc';
      withoutFlags.grpc_response_status = g === GRPC_UNKNOWN ? 'unknown' : String(g - 1);
    }
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

/** One recorder per distinct static label set, shared by every caller that asks with equal labels. */
export function createRecorders(families: RequestFamilies): (labels: StaticRequestLabels) => RequestRecorder {
  const recorders = new Map<string, CachedRecorder>();
  return (labels) => {
    let key = labels.connection_security_policy;
    for (const name of STATIC_LABEL_NAMES) key += `\u0000${labels[name]}`;
    let r = recorders.get(key);
    if (r === undefined) {
      r = new CachedRecorder(families, labels);
      recorders.set(key, r);
    }
    return r;
  };
}
