// Distributed tracing of DESIGN.md section 7: the OpenTelemetry SDK wired by
// hand (no auto-instrumentation, nothing registered globally). One SERVER span
// per inbound request, one CLIENT span per outbound request, exported over
// OTLP/HTTP protobuf through a bounded batch queue that never blocks a request.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { ResponseFlags } from '../errors.ts';
import type { MeshTracing, SpanHandle, SpanKindName } from './types.ts';

/**
 * Header names (lower case) that carry trace context in any format meshlet
 * reads. `SpanHandle.inject` removes them from the outgoing headers before it
 * writes its own, so the next hop never sees two contradicting parents.
 */
export const TRACE_HEADERS: ReadonlySet<string> = new Set([
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
]);

export interface TracingOptions {
  serviceName: string;
  sampling: number;
  otlpEndpoint: string | null;
  /** Called once per span that is not exported: queue full, or the collector failed. */
  onDropped?: () => void;
  /** Finished spans waiting for export, at most; default 2048. */
  maxQueueSize?: number;
  /** Batch delay in ms; default 1000 (tests use less). */
  scheduledDelayMillis?: number;
  /** Per-export deadline in ms, retries included; default 10000. */
  exportTimeoutMillis?: number;
}

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get(carrier, key) {
    return carrier[key];
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

const flatSetter: TextMapSetter<string[]> = {
  set(carrier, key, value) {
    carrier.push(key, value);
  },
};

/**
 * Bounds the spans handed to the batch processor (queued or being exported)
 * and reports every span that will never reach the collector. The batch
 * processor drops silently when its own queue is full; counting here keeps the
 * `meshlet_tracing_spans_dropped_total` metric exact.
 */
class DropCountingExporter implements SpanExporter {
  target: SpanExporter | null = null;
  pending = 0;
  readonly #onDropped: () => void;

  constructor(onDropped: () => void) {
    this.#onDropped = onDropped;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = (result: ExportResult) => {
      this.pending -= spans.length;
      if (result.code !== ExportResultCode.SUCCESS) for (let i = 0; i < spans.length; i++) this.#onDropped();
      resultCallback(result);
    };
    if (this.target === null) {
      done({ code: ExportResultCode.FAILED, error: new Error('tracing has no OTLP endpoint') });
      return;
    }
    try {
      this.target.export(spans, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    await this.target?.shutdown();
  }
}

class BoundedProcessor implements SpanProcessor {
  readonly #batch: BatchSpanProcessor;
  readonly #exporter: DropCountingExporter;
  readonly #max: number;
  readonly #onDropped: () => void;

  constructor(batch: BatchSpanProcessor, exporter: DropCountingExporter, max: number, onDropped: () => void) {
    this.#batch = batch;
    this.#exporter = exporter;
    this.#max = max;
    this.#onDropped = onDropped;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#exporter.pending >= this.#max) {
      this.#onDropped();
      return;
    }
    this.#exporter.pending++;
    this.#batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#batch.shutdown();
  }
}

function spanStatusIsError(kind: SpanKindName, statusCode: number, flags: ResponseFlags): boolean {
  // OTel HTTP semconv: 4xx is an error for the client side only; no response (0) is always one.
  return flags !== '-' || statusCode === 0 || statusCode >= 500 || (kind === 'client' && statusCode >= 400);
}

/** A sampled span: recorded, exported, and the parent of the next hop. */
class RecordingSpanHandle implements SpanHandle {
  readonly traceId: string;
  readonly sampled = true;
  readonly #span: Span;
  readonly #kind: SpanKindName;
  readonly #inject: TextMapPropagator;

  constructor(span: Span, kind: SpanKindName, inject: TextMapPropagator) {
    this.#span = span;
    this.#kind = kind;
    this.#inject = inject;
    this.traceId = span.spanContext().traceId;
  }

  get span(): Span {
    return this.#span;
  }

  inject(headers: string[]): void {
    injectInto(headers, this.#span, this.#inject);
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.#span.setAttribute(key, value);
  }

  end(statusCode: number, flags: ResponseFlags): void {
    const span = this.#span;
    if (statusCode > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    span.setAttribute('meshlet.response_flags', flags);
    if (spanStatusIsError(this.#kind, statusCode, flags)) {
      const errorType = flags !== '-' ? flags : statusCode === 0 ? '_OTHER' : String(statusCode);
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: flags !== '-' ? flags : undefined });
    }
    span.end();
  }
}

/**
 * A trace that this hop decided not to sample and that had no parent: nothing
 * is recorded, but the next hop must learn "not sampled" (flags 00, B3
 * sampled=0) or it would roll its own dice and start an orphan trace.
 * `traceId` is empty so callers do not attach exemplars to an unrecorded trace.
 */
class PropagateOnlyHandle implements SpanHandle {
  readonly traceId = '';
  readonly sampled = false;
  readonly #span: Span;
  readonly #inject: TextMapPropagator;

  constructor(span: Span, inject: TextMapPropagator) {
    this.#span = span;
    this.#inject = inject;
  }

  get span(): Span {
    return this.#span;
  }

  inject(headers: string[]): void {
    injectInto(headers, this.#span, this.#inject);
  }

  setAttribute(): void {}

  end(): void {}
}

function injectInto(headers: string[], span: Span, propagator: TextMapPropagator): void {
  // Drop trace headers copied from the incoming request, keeping the array flat.
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (TRACE_HEADERS.has(headers[r]!.toLowerCase())) continue;
    headers[w] = headers[r]!;
    headers[w + 1] = headers[r + 1]!;
    w += 2;
  }
  headers.length = w;
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, flatSetter);
}

/**
 * Semconv attributes of an HTTP request, for `start()`; `url.path` leaves the
 * query string out because it often carries user data.
 */
export function httpAttributes(req: IncomingMessage, requestId: string | undefined): Record<string, string> {
  const attrs: Record<string, string> = { [ATTR_HTTP_REQUEST_METHOD]: req.method ?? '_OTHER' };
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  attrs[ATTR_URL_PATH] = q === -1 ? url : url.slice(0, q);
  const host = req.headers.host;
  if (host !== undefined) {
    const colon = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
    attrs[ATTR_SERVER_ADDRESS] = colon > 0 ? host.slice(0, colon) : host;
  }
  const peer = req.socket?.remoteAddress;
  if (peer !== undefined) attrs[ATTR_NETWORK_PEER_ADDRESS] = peer;
  const ua = req.headers['user-agent'];
  if (ua !== undefined) attrs[ATTR_USER_AGENT_ORIGINAL] = ua;
  if (requestId !== undefined) {
    attrs['meshlet.request_id'] = requestId;
    // The tag Envoy and Istio users search Jaeger by.
    attrs['guid:x-request-id'] = requestId;
  }
  return attrs;
}

export function createTracing(opts: TracingOptions): MeshTracing {
  const onDropped = opts.onDropped ?? (() => {});
  const maxQueueSize = opts.maxQueueSize ?? 2048;
  const exportTimeoutMillis = opts.exportTimeoutMillis ?? 10_000;
  // New traces are decided in start(), before the SDK is involved, so a request
  // that will not be sampled costs an id pair and a header inject, not a span.
  let sampling = opts.sampling;
  const ids = new RandomIdGenerator();
  const exporter = new DropCountingExporter(onDropped);
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize,
    maxExportBatchSize: Math.min(512, maxQueueSize),
    scheduledDelayMillis: opts.scheduledDelayMillis ?? 1000,
    exportTimeoutMillis,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BoundedProcessor(batch, exporter, maxQueueSize, onDropped)],
  });
  const tracer = provider.getTracer('meshlet');

  // Extraction order is precedence: W3C, then B3 (single or multi), then Jaeger.
  const w3c = new W3CTraceContextPropagator();
  const b3 = new B3Propagator();
  const jaeger = new JaegerPropagator();
  const injector = new CompositePropagator({
    propagators: [w3c, new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
  });

  function extract(headers: IncomingHttpHeaders): Context {
    if (headers.traceparent !== undefined) return w3c.extract(ROOT_CONTEXT, headers, headerGetter);
    if (headers.b3 !== undefined || headers['x-b3-traceid'] !== undefined) {
      return b3.extract(ROOT_CONTEXT, headers, headerGetter);
    }
    if (headers['uber-trace-id'] !== undefined) return jaeger.extract(ROOT_CONTEXT, headers, headerGetter);
    return ROOT_CONTEXT;
  }

  let endpoint: string | null = null;
  function setEndpoint(url: string | null): void {
    if (url === endpoint) return;
    const old = exporter.target;
    endpoint = url;
    exporter.target =
      url === null ? null : new OTLPTraceExporter({ url, timeoutMillis: exportTimeoutMillis });
    old?.shutdown().catch(() => {});
  }
  setEndpoint(opts.otlpEndpoint);

  return {
    get enabled() {
      return endpoint !== null;
    },

    start(kind, name, headers, parent, attributes) {
      if (endpoint === null) return null;
      let ctx: Context;
      let hasParent: boolean;
      const parentSpan = (parent as { span?: Span } | null)?.span;
      if (parentSpan !== undefined) {
        ctx = trace.setSpan(ROOT_CONTEXT, parentSpan);
        hasParent = true;
      } else {
        ctx = extract(headers);
        const remote = ctx === ROOT_CONTEXT ? undefined : trace.getSpanContext(ctx);
        hasParent = remote !== undefined;
        // ParentBased never samples under an unsampled remote parent: skip building a span.
        if (remote !== undefined && (remote.traceFlags & TraceFlags.SAMPLED) === 0) return null;
        // A new trace the ratio does not pick: only propagate the "not sampled" decision.
        if (remote === undefined && !(Math.random() < sampling)) {
          const unsampled = trace.wrapSpanContext({
            traceId: ids.generateTraceId(),
            spanId: ids.generateSpanId(),
            traceFlags: TraceFlags.NONE,
          });
          return new PropagateOnlyHandle(unsampled, injector);
        }
      }
      const span = tracer.startSpan(
        name,
        { kind: kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, attributes },
        ctx,
      );
      if (span.isRecording()) return new RecordingSpanHandle(span, kind, injector);
      // An unsampled local parent is a propagate-only handle: it carries the decision on.
      if (parentSpan !== undefined) return parent;
      // Unsampled with a remote parent: the incoming trace headers already say "not sampled".
      return hasParent ? null : new PropagateOnlyHandle(span, injector);
    },

    configure(next, otlpEndpoint) {
      sampling = next;
      setEndpoint(otlpEndpoint);
    },

    async shutdown() {
      // A dead collector must not hold up process exit beyond the drain budget.
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 3000);
        timer.unref();
      });
      await Promise.race([provider.shutdown().catch(() => {}), cap]);
      clearTimeout(timer);
    },
  };
}

/** The SpanContext of a handle, for tests and for logs that carry trace ids. */
export function spanContextOf(handle: SpanHandle): SpanContext | undefined {
  return (handle as { span?: Span }).span?.spanContext();
}
