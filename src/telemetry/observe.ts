// Observe: one request's telemetry from start to finish — the in-flight
// count, the span, the metric record and the access log line, all written
// from the same status and flag (the recorded status comes from the error
// table in src/errors.ts). Both listeners, their error paths and their
// upgrade paths go through here.
import type { IncomingMessage } from 'node:http';
import { FLAGS, ProxyError, type ResponseFlags, recordedStatus } from '../errors.ts';
import { type GrpcCall, grpcCallOf } from '../grpc/call.ts';
import { grpcCodeOfConstant } from '../grpc/status.ts';
import { pathOf } from '../route/match.ts';
import type { OutboundTarget } from '../route/resolve.ts';
import { type AccessLog, type AccessRecord, roundMs, traceIdOf } from './access-log.ts';
import type { Logger } from './log.ts';
import type { MeshTracing, RequestRecorder, SpanHandle, SpanKindName } from './types.ts';

/** What observing needs of the sidecar. */
export interface ObserveContext {
  readonly tracing: MeshTracing;
  readonly log: Logger;
  readonly accessLog: Pick<AccessLog, 'enabled' | 'write'>;
  inFlight: number;
}

/** What the access log and error replies say about where a request went (docs/observability.md). */
export interface AccessTarget {
  readonly requestId: string;
  readonly authority: string | null;
  readonly path: string;
  readonly protocol: string;
  readonly route: string | null;
  readonly service: string | null;
  readonly version: string | null;
  /** `http://host:port` the request is sent to, named when no balancer reports the endpoint it chose. */
  readonly origin: string | null;
  /** The verified caller (inbound). */
  readonly principal: string | null;
}

/** Where the span and the log line come from; attributes are built only when a tracer runs. */
export interface ObservedRequest {
  readonly direction: 'inbound' | 'outbound';
  readonly method: string;
  readonly recorder: RequestRecorder;
  readonly spanName: string;
  readonly spanHeaders: import('node:http').IncomingHttpHeaders;
  readonly spanAttributes: () => Record<string, string | number | boolean>;
  readonly access: AccessTarget;
  /** Why resolve refused the request (no route, a malformed target), for the debug log. */
  readonly refused?: ProxyError;
  /** Extra access-log fields (upgrade, ...). */
  readonly logFields?: Record<string, unknown>;
  /** A gRPC call (content-type application/grpc*): metrics and the span say so. */
  readonly grpc?: GrpcCall | null;
}

export class Observation {
  readonly span: SpanHandle | null;
  readonly #ctx: ObserveContext;
  readonly #req: ObservedRequest;
  readonly #started: number;
  #done = false;
  /** host:port of the endpoint the request went to, when the forward step knows it. */
  endpoint: string | null = null;
  /** A gRPC call's status as the upstream sent it (grpc-status), noted by the forward step. */
  grpcStatus: number | null = null;
  /** `http://host:port` the request is sent to, when only the listener learns it (inbound: the app). */
  origin: string | null = null;

  constructor(ctx: ObserveContext, req: ObservedRequest, started: number) {
    this.#ctx = ctx;
    this.#req = req;
    this.#started = started;
    ctx.inFlight++;
    const kind: SpanKindName = req.direction === 'inbound' ? 'server' : 'client';
    this.span = ctx.tracing.enabled
      ? ctx.tracing.start(kind, req.spanName, req.spanHeaders, req.spanAttributes)
      : null;
    if ((req.access.route !== null || req.refused !== undefined) && ctx.log.isLevelEnabled('debug')) {
      const a = req.access;
      if (req.refused === undefined)
        ctx.log.debug(
          { requestId: a.requestId, destination: a.service, route: a.route, version: a.version },
          'route chosen',
        );
      else
        ctx.log.debug(
          { requestId: a.requestId, flag: req.refused.flag, reason: req.refused.message },
          'request refused',
        );
    }
  }

  /** "service reviews version v1 endpoint 10.0.0.7:9080": where the request went, for error replies. */
  where(): string {
    const a = this.#req.access;
    const endpoint = this.#endpoint() ?? a.authority ?? '-';
    return a.service === null
      ? `endpoint ${endpoint}`
      : `service ${a.service} version ${a.version ?? '-'} endpoint ${endpoint}`;
  }

  #endpoint(): string | null {
    const origin = this.origin ?? this.#req.access.origin;
    return this.endpoint ?? (origin === null ? null : origin.slice(origin.indexOf('//') + 2));
  }

  /** Ends the request's telemetry; later calls are ignored. Bound, so it can be handed to the forward step. */
  readonly finish = (status: number, flags: ResponseFlags, requestBytes = 0, responseBytes = 0): void => {
    if (this.#done) return;
    this.#done = true;
    const ctx = this.#ctx;
    ctx.inFlight--;
    const code = recordedStatus(status, flags);
    const grpc = this.#req.grpc == null ? -1 : this.#grpcCode(flags);
    if (grpc >= 0) this.span?.setAttribute('rpc.grpc.status_code', grpc);
    this.span?.end(code, flags);
    const seconds = (performance.now() - this.#started) / 1000;
    const { method, recorder } = this.#req;
    recorder.record(method, code, flags, seconds, requestBytes, responseBytes, this.span?.traceId, grpc);
    if (ctx.accessLog.enabled) this.#writeAccess(code, flags, requestBytes, responseBytes, seconds);
  };

  /**
   * The upstream's grpc-status; else the one the proxy answered with (the
   * error table's gRPC column, DC as CANCELLED); else -2, unknown.
   */
  #grpcCode(flags: ResponseFlags): number {
    if (this.grpcStatus !== null) return this.grpcStatus;
    if (flags === '-' || FLAGS[flags].kind === 'marks') return -2;
    return grpcCodeOfConstant(FLAGS[flags].grpc) ?? -2;
  }

  #writeAccess(status: number, flags: ResponseFlags, bytesIn: number, bytesOut: number, seconds: number) {
    const { direction, method, access: a } = this.#req;
    const record: AccessRecord = {
      dir: direction,
      start: new Date(performance.timeOrigin + this.#started).toISOString(),
      method,
      authority: a.authority,
      path: a.path,
      protocol: a.protocol,
      status,
      flags,
      route: a.route,
      destination: a.service,
      version: a.version,
      endpoint: this.#endpoint(),
      requestId: a.requestId,
      traceId: this.span?.traceId ?? traceIdOf(this.#req.spanHeaders.traceparent),
      bytesIn,
      bytesOut,
      ms: roundMs(seconds),
      principal: a.principal,
    };
    this.#ctx.accessLog.write(record, this.#req.logFields);
  }
}

/** Starts observing a request. */
export function observe(ctx: ObserveContext, req: ObservedRequest, started = performance.now()): Observation {
  return new Observation(ctx, req, started);
}

/** Records a request that never became one (refused by the parser, or a refused upgrade/CONNECT): no span, no in-flight. */
export function recordRefused(
  recorder: RequestRecorder,
  method: string,
  status: number,
  flags: ResponseFlags,
): void {
  recorder.record(method, recordedStatus(status, flags), flags, 0, 0, 0, undefined);
}

/** The observed outbound request (CLIENT span): for its target, or for resolve's refusal. */
export function outboundRequest(
  req: IncomingMessage,
  requestId: string,
  resolved: OutboundTarget | ProxyError,
  recorder: RequestRecorder,
): ObservedRequest {
  const method = req.method!;
  if (resolved instanceof ProxyError) {
    // A refused call still shows in the caller's trace, under Istio's names, never the requested host.
    return {
      direction: 'outbound',
      method,
      recorder,
      spanName: `${method} ${resolved.flag === 'NR' ? 'BlackHoleCluster' : 'unknown'}`,
      refused: resolved,
      spanHeaders: req.headers,
      spanAttributes: () => ({
        'http.request.method': method,
        'meshlet.route': 'none',
        'meshlet.version': 'unknown',
        'meshlet.request_id': requestId,
      }),
      access: {
        requestId,
        authority: typeof req.headers.host === 'string' ? req.headers.host : null,
        path: pathOf(req.url ?? '/'),
        protocol: protocolOf(req),
        route: null,
        service: null,
        version: null,
        origin: null,
        principal: null,
      },
    };
  }
  const t = resolved;
  const grpc = grpcCallOf(req.headers, t.path);
  return {
    direction: 'outbound',
    method,
    recorder,
    grpc,
    spanName: `${method} ${t.service?.name ?? 'passthrough'}`,
    spanHeaders: req.headers,
    spanAttributes: () => ({
      'http.request.method': method,
      'url.path': pathOf(t.path),
      'server.address': t.service?.fqdn ?? t.authority,
      'meshlet.route': t.route?.name ?? 'passthrough',
      'meshlet.version': t.version?.name ?? 'unknown',
      'meshlet.request_id': requestId,
      ...rpcAttributes(grpc),
    }),
    access: {
      requestId,
      authority: t.authority,
      path: pathOf(t.path),
      protocol: protocolOf(req),
      route: t.route?.name ?? null,
      service: t.service?.name ?? null,
      version: t.version?.name ?? null,
      origin: t.origin,
      principal: null,
    },
  };
}

/** The observed inbound request (SERVER span) of this pod's service and version. */
export function inboundRequest(
  req: IncomingMessage,
  requestId: string,
  self: { readonly service: string; readonly version: string },
  principal: string | null,
  recorder: RequestRecorder,
): ObservedRequest {
  const method = req.method!;
  const path = pathOf(req.url ?? '/');
  const grpc = grpcCallOf(req.headers, path);
  return {
    direction: 'inbound',
    method,
    recorder,
    grpc,
    spanName: `${method} ${self.service}`,
    spanHeaders: req.headers,
    spanAttributes: () => ({
      'http.request.method': method,
      'url.path': path,
      'server.address': self.service,
      'network.peer.address': req.socket.remoteAddress ?? '',
      'meshlet.request_id': requestId,
      'meshlet.version': self.version,
      ...rpcAttributes(grpc),
    }),
    access: {
      requestId,
      authority: typeof req.headers.host === 'string' ? req.headers.host : null,
      path,
      protocol: protocolOf(req),
      route: null,
      service: self.service,
      version: self.version,
      origin: null,
      principal,
    },
  };
}

/** The request's protocol as Envoy logs it. */
function protocolOf(req: IncomingMessage): string {
  switch (req.httpVersion) {
    case '1.1':
      return 'HTTP/1.1';
    case '2.0':
      return 'HTTP/2';
    case '1.0':
      return 'HTTP/1.0';
    default:
      return `HTTP/${req.httpVersion}`;
  }
}

/** OpenTelemetry's RPC attributes of a gRPC call (the status code is added when it ends). */
function rpcAttributes(grpc: GrpcCall | null): Record<string, string> {
  if (grpc === null) return {};
  return grpc.method === null
    ? { 'rpc.system': 'grpc' }
    : { 'rpc.system': 'grpc', 'rpc.service': grpc.method.service, 'rpc.method': grpc.method.method };
}
