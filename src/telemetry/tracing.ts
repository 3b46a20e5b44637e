// Distributed tracing (docs/observability.md): the OpenTelemetry SDK wired by
// hand, no auto-instrumentation and nothing registered globally. One SERVER
// span per inbound request, one CLIENT span per outbound request. This file
// makes the sampling decision; tracing/propagation.ts reads and writes trace
// headers, tracing/span.ts holds the handles, tracing/export.ts ships spans.
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import type { RandomSource } from '../route/pick.ts';
import { createSpanExport } from './tracing/export.ts';
import { extractParent } from './tracing/propagation.ts';
import { PropagateOnlyHandle, RecordingSpanHandle } from './tracing/span.ts';
import type { MeshTracing, SpanHandle, SpanKindName } from './types.ts';

export interface TracingOptions {
  serviceName: string;
  /** Share of new traces recorded, 0..1. */
  sampling: number;
  otlpEndpoint: string | null;
  /** Decides which new traces the ratio picks (`Math.random` in the sidecar, fixed in tests). */
  random: RandomSource;
  /** Called once per span that is not exported: queue full, or the collector failed. */
  onDropped?: () => void;
  /** Finished spans waiting for export, at most; default 2048. */
  maxQueueSize?: number;
  /** Batch delay in ms; default 1000 (tests use less). */
  scheduledDelayMillis?: number;
  /** Per-export deadline in ms, retries included; default 10000. */
  exportTimeoutMillis?: number;
}

export function createTracing(opts: TracingOptions): MeshTracing {
  const random = opts.random;
  let sampling = opts.sampling;
  const ids = new RandomIdGenerator();
  const spanExport = createSpanExport({
    serviceName: opts.serviceName,
    otlpEndpoint: opts.otlpEndpoint,
    onDropped: opts.onDropped ?? (() => {}),
    maxQueueSize: opts.maxQueueSize ?? 2048,
    scheduledDelayMillis: opts.scheduledDelayMillis ?? 1000,
    exportTimeoutMillis: opts.exportTimeoutMillis ?? 10_000,
  });

  return {
    get enabled() {
      return spanExport.endpoint !== null;
    },

    start(
      kind: SpanKindName,
      name: string,
      headers: IncomingHttpHeaders,
      attributes: () => Record<string, string | number | boolean>,
    ): SpanHandle | null {
      if (spanExport.endpoint === null) return null;
      const ctx = extractParent(headers);
      const parent = ctx === ROOT_CONTEXT ? undefined : trace.getSpanContext(ctx);
      // Parent-based: an unsampled parent's headers already say "not sampled"; build nothing.
      if (parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0) return null;
      // A new trace is decided here, before the SDK, so one the ratio does not
      // pick costs an id pair and a header inject, not a span.
      if (parent === undefined && !(random() < sampling)) {
        return new PropagateOnlyHandle(ids.generateTraceId(), ids.generateSpanId());
      }
      const span = spanExport.tracer.startSpan(
        name,
        { kind: kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, attributes: attributes() },
        ctx,
      );
      return new RecordingSpanHandle(span, kind);
    },

    configure(next, otlpEndpoint) {
      sampling = next;
      spanExport.setEndpoint(otlpEndpoint);
    },

    shutdown() {
      return spanExport.shutdown();
    },
  };
}
