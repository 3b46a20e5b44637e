// Observe: one request's telemetry from start to finish — the in-flight
// count, the span, the metric record and the access log line, all written
// from the same status and flag (the recorded status comes from the error
// table in src/errors.ts). Both listeners, their error paths and their
// upgrade paths go through here.
import type { IncomingMessage } from 'node:http';
import { ProxyError, type ResponseFlags, recordedStatus } from '../errors.ts';
import { pathOf } from '../route/match.ts';
import type { OutboundTarget } from '../route/resolve.ts';
import type { Logger } from './log.ts';
import type { MeshTracing, RequestRecorder, SpanHandle, SpanKindName } from './types.ts';

/** What observing needs of the sidecar. */
export interface ObserveContext {
  readonly tracing: MeshTracing;
  readonly log: Logger;
  readonly accessLog: boolean;
  inFlight: number;
}

/** Where the span and the log line come from; attributes are built only when a tracer runs. */
export interface ObservedRequest {
  readonly direction: 'inbound' | 'outbound';
  readonly method: string;
  readonly recorder: RequestRecorder;
  readonly spanName: string;
  readonly spanHeaders: import('node:http').IncomingHttpHeaders;
  readonly spanAttributes: () => Record<string, string | number | boolean>;
  /** Extra access-log fields (path, principal, ...). */
  readonly logFields?: Record<string, unknown>;
}

export class Observation {
  readonly span: SpanHandle | null;
  readonly #ctx: ObserveContext;
  readonly #req: ObservedRequest;
  readonly #started: number;
  #done = false;

  constructor(ctx: ObserveContext, req: ObservedRequest, started: number) {
    this.#ctx = ctx;
    this.#req = req;
    this.#started = started;
    ctx.inFlight++;
    const kind: SpanKindName = req.direction === 'inbound' ? 'server' : 'client';
    this.span = ctx.tracing.enabled
      ? ctx.tracing.start(kind, req.spanName, req.spanHeaders, req.spanAttributes())
      : null;
  }

  /** Ends the request's telemetry; later calls are ignored. Bound, so it can be handed to the forward step. */
  readonly finish = (status: number, flags: ResponseFlags, requestBytes = 0, responseBytes = 0): void => {
    if (this.#done) return;
    this.#done = true;
    const ctx = this.#ctx;
    ctx.inFlight--;
    const code = recordedStatus(status, flags);
    this.span?.end(code, flags);
    const seconds = (performance.now() - this.#started) / 1000;
    const { method, recorder, direction } = this.#req;
    recorder.record(method, code, flags, seconds, requestBytes, responseBytes, this.span?.traceId);
    if (ctx.accessLog)
      ctx.log.info(
        {
          dir: direction,
          method,
          ...this.#req.logFields,
          status: code,
          flags,
          ms: Math.round(seconds * 1e6) / 1e3,
        },
        'access',
      );
  };
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
      spanHeaders: req.headers,
      spanAttributes: () => ({
        'http.request.method': method,
        'meshlet.route': 'none',
        'meshlet.version': 'unknown',
        'meshlet.request_id': requestId,
      }),
    };
  }
  const t = resolved;
  return {
    direction: 'outbound',
    method,
    recorder,
    spanName: `${method} ${t.service?.name ?? 'passthrough'}`,
    spanHeaders: req.headers,
    spanAttributes: () => ({
      'http.request.method': method,
      'url.path': pathOf(t.path),
      'server.address': t.service?.fqdn ?? t.authority,
      'meshlet.route': t.route?.name ?? 'passthrough',
      'meshlet.version': t.version?.name ?? 'unknown',
      'meshlet.request_id': requestId,
    }),
    logFields: { authority: t.authority, route: t.route?.name, version: t.version?.name },
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
  return {
    direction: 'inbound',
    method,
    recorder,
    spanName: `${method} ${self.service}`,
    spanHeaders: req.headers,
    spanAttributes: () => ({
      'http.request.method': method,
      'url.path': path,
      'server.address': self.service,
      'network.peer.address': req.socket.remoteAddress ?? '',
      'meshlet.request_id': requestId,
      'meshlet.version': self.version,
    }),
    logFields: { path, principal },
  };
}
