// Trace context in and out: which incoming format is the parent (W3C, then
// B3 single or multi, then Jaeger), and the W3C + B3 multi headers written for
// the next hop in place of whatever the caller sent.
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';

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

const w3c = new W3CTraceContextPropagator();
const b3 = new B3Propagator();
const jaeger = new JaegerPropagator();
const injector = new CompositePropagator({
  propagators: [w3c, new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
});

/** The parent context the incoming headers name; ROOT_CONTEXT when they name none. */
export function extractParent(headers: IncomingHttpHeaders): Context {
  // The order is the precedence when a request carries more than one format.
  if (headers.traceparent !== undefined) return w3c.extract(ROOT_CONTEXT, headers, headerGetter);
  if (headers.b3 !== undefined || headers['x-b3-traceid'] !== undefined) {
    return b3.extract(ROOT_CONTEXT, headers, headerGetter);
  }
  if (headers['uber-trace-id'] !== undefined) return jaeger.extract(ROOT_CONTEXT, headers, headerGetter);
  return ROOT_CONTEXT;
}

/** Replaces the trace headers in a flat [name, value, ...] array with this span's W3C and B3 ones. */
export function injectSpan(headers: string[], span: Span): void {
  dropTraceHeaders(headers);
  injector.inject(trace.setSpan(ROOT_CONTEXT, span), headers, flatSetter);
}

/**
 * The headers `injectSpan` writes for a new trace this hop did not sample
 * (W3C flags 00, B3 sampled 0, no tracestate, no parent), written directly:
 * this is 99 % of requests at 1 % sampling, and the propagators' context and
 * validation cost more than the request's own header copy.
 * test/unit/telemetry/tracing/propagation.test.ts checks both write the same.
 */
export function injectUnsampled(headers: string[], traceId: string, spanId: string): void {
  dropTraceHeaders(headers);
  headers.push(
    'traceparent',
    `00-${traceId}-${spanId}-00`,
    'x-b3-traceid',
    traceId,
    'x-b3-spanid',
    spanId,
    'x-b3-sampled',
    '0',
  );
}

/** Removes trace headers copied from the incoming request, keeping the array flat. */
function dropTraceHeaders(headers: string[]): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const name = headers[r]!;
    // Every trace header starts with t, b, x or u: only those are lower-cased and looked up.
    const first = name.charCodeAt(0) | 0x20;
    if (
      (first === 0x74 || first === 0x62 || first === 0x78 || first === 0x75) &&
      TRACE_HEADERS.has(name.toLowerCase())
    ) {
      continue;
    }
    headers[w] = name;
    headers[w + 1] = headers[r + 1]!;
    w += 2;
  }
  headers.length = w;
}
