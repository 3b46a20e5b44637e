// The telemetry seam the listeners call. Implementations: metrics.ts
// (prom-client), tracing.ts (OpenTelemetry, loaded by lazy-tracing.ts only once
// an endpoint is configured); noop.ts when off.
import type { IncomingHttpHeaders } from 'node:http';
import type { ResponseFlags } from '../errors.ts';
import type { BalanceMetrics } from './metrics/balance.ts';

/**
 * The request labels (docs/observability.md) that do not change per request for
 * a given (reporter, source, destination version, security policy). Callers
 * build one per compiled target and reuse it, so recording never builds strings.
 */
export interface StaticRequestLabels {
  readonly reporter: 'source' | 'destination';
  readonly source_workload: string;
  readonly source_workload_namespace: string;
  readonly source_version: string;
  readonly source_principal: string;
  readonly destination_workload: string;
  readonly destination_workload_namespace: string;
  readonly destination_service: string;
  readonly destination_service_name: string;
  readonly destination_version: string;
  readonly request_protocol: 'http' | 'grpc';
  readonly connection_security_policy: 'mutual_tls' | 'none' | 'unknown';
}

/** Records requests for one StaticRequestLabels set; children are cached inside. */
export interface RequestRecorder {
  record(
    method: string,
    responseCode: number,
    responseFlags: ResponseFlags,
    durationSeconds: number,
    requestBytes: number,
    responseBytes: number,
    traceId: string | undefined,
    /**
     * A gRPC call: its status code 0..16 (`grpc_response_status`, and
     * `request_protocol="grpc"`), or -2 when no status is known (`unknown`).
     * Absent or -1: not gRPC.
     */
    grpcStatus?: number,
  ): void;
}

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

export interface MeshMetrics {
  recorder(labels: StaticRequestLabels): RequestRecorder;
  /** Endpoints, ejections, overflows, retries and the canary guard (metrics/balance.ts). */
  readonly balance: BalanceMetrics;
  authzDenied(sourcePrincipal: string, destinationService: string, mode: 'enforce' | 'audit'): void;
  /** One request the service's rate limit refused (429 RL); plaintext callers are `unknown`. */
  rateLimited(destinationService: string, sourcePrincipal: string): void;
  /** One mirror copy not made: the sidecar's copies in flight were at their bound. */
  mirrorDropped(): void;
  configReload(result: 'success' | 'failure', hash: string | null): void;
  tlsHandshakeFailure(direction: 'inbound' | 'outbound', reason: string): void;
  /** Counts passthrough TCP connections with these labels. */
  tcp(labels: TcpLabels): TcpRecorder;
  /** One span the tracer could not export. */
  tracingSpanDropped(): void;
  /** Prometheus text, or OpenMetrics with exemplars when `accept` asks for it. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export type SpanKindName = 'server' | 'client';

/** A started span; `null` from the tracer means "not sampled, do nothing". */
export interface SpanHandle {
  readonly traceId: string;
  /** Sets W3C and B3 headers for the next hop into a flat [name, value, ...] array. */
  inject(headers: string[]): void;
  setAttribute(key: string, value: string | number | boolean): void;
  end(statusCode: number, flags: ResponseFlags): void;
}

export interface MeshTracing {
  /** False while no tracer is configured: callers then skip building span names and attributes. */
  readonly enabled: boolean;
  /**
   * Starts a span for a request, the child of the trace the incoming headers
   * name (W3C, B3 single/multi, Jaeger), or a new trace the sampling ratio
   * decides on. `attributes` is called only for a span that records.
   */
  start(
    kind: SpanKindName,
    name: string,
    headers: IncomingHttpHeaders,
    attributes: () => Record<string, string | number | boolean>,
  ): SpanHandle | null;
  /** Applies a new sampling ratio / endpoint from a reloaded config. */
  configure(sampling: number, otlpEndpoint: string | null): void;
  shutdown(): Promise<void>;
}
