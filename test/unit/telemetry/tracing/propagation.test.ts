import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import fc from 'fast-check';
import {
  extractParent,
  injectSpan,
  injectUnsampled,
  TRACE_HEADERS,
} from '../../../../src/telemetry/tracing/propagation.ts';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';

function parentOf(headers: Record<string, string>) {
  const ctx = extractParent(headers);
  return ctx === ROOT_CONTEXT ? undefined : trace.getSpanContext(ctx);
}

describe('trace propagation', () => {
  it('takes W3C over B3 over Jaeger when a request carries several', () => {
    const w3c = { traceparent: `00-${TID}-${SID}-01` };
    const b3 = { b3: `${'b'.repeat(32)}-${SID}-1` };
    const jaeger = { 'uber-trace-id': `${'c'.repeat(32)}:${SID}:0:1` };
    assert.equal(parentOf({ ...jaeger, ...b3, ...w3c })?.traceId, TID);
    assert.equal(parentOf({ ...jaeger, ...b3 })?.traceId, 'b'.repeat(32));
    assert.equal(parentOf(jaeger)?.traceId, 'c'.repeat(32));
    assert.equal(parentOf({}), undefined);
    assert.equal(parentOf({ traceparent: 'garbage' }), undefined, 'an invalid parent is no parent');
  });

  it('replaces every incoming trace header with W3C and B3 multi for the next hop, keeping the rest in order', () => {
    const headers = [
      'host',
      'reviews',
      'Uber-Trace-Id',
      'x',
      'b3',
      'x',
      'X-B3-Flags',
      '1',
      'x-request-id',
      'r1',
      'tracestate',
      'stale=1',
    ];
    const span = trace.wrapSpanContext({ traceId: TID, spanId: SID, traceFlags: TraceFlags.SAMPLED });
    injectSpan(headers, span);
    const names = headers.filter((_, i) => i % 2 === 0);
    assert.deepEqual(names.slice(0, 2), ['host', 'x-request-id']);
    assert.deepEqual(names.slice(2).sort(), ['traceparent', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    assert.equal(headers[headers.indexOf('traceparent') + 1], `00-${TID}-${SID}-01`);
    for (const name of names.slice(2)) assert.ok(TRACE_HEADERS.has(name), name);
  });

  it('writes the same headers for an unsampled new trace as the propagators do, whatever the request carried', () => {
    const hex = (n: number) =>
      fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const names = fc.oneof(
      fc.constantFrom(...TRACE_HEADERS),
      fc.constantFrom('Traceparent', 'X-B3-TraceId', 'B3', 'UBER-TRACE-ID', 'x-b3-Sampled'),
      fc.constantFrom('host', 'x-request-id', 'user-agent', 'baggage', 'tracer', 'b3x', 'x-b3'),
      fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,12}$/),
    );
    fc.assert(
      fc.property(
        hex(32).filter((t) => !/^0+$/.test(t)),
        hex(16).filter((t) => !/^0+$/.test(t)),
        fc.array(fc.tuple(names, fc.string({ maxLength: 8 })), { maxLength: 8 }),
        (traceId, spanId, pairs) => {
          const incoming = pairs.flat();
          const fast = [...incoming];
          injectUnsampled(fast, traceId, spanId);
          const viaOtel = [...incoming];
          injectSpan(viaOtel, trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE }));
          assert.deepEqual(fast, viaOtel);
        },
      ),
      { numRuns: 500 },
    );
  });
});
