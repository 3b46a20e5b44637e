// The two kinds of span handle the listeners hold: one that records and
// exports, and one that only carries a "not sampled" decision to the next hop.
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import type { ResponseFlags } from '../../errors.ts';
import type { SpanHandle, SpanKindName } from '../types.ts';
import { injectSpan, injectUnsampled } from './propagation.ts';

function spanStatusIsError(kind: SpanKindName, statusCode: number, flags: ResponseFlags): boolean {
  // OTel HTTP semconv: 4xx is an error for the client side only; no response (0) is always one.
  return flags !== '-' || statusCode === 0 || statusCode >= 500 || (kind === 'client' && statusCode >= 400);
}

/** A sampled span: recorded, exported, and the parent of the next hop. */
export class RecordingSpanHandle implements SpanHandle {
  readonly traceId: string;
  readonly #span: Span;
  readonly #kind: SpanKindName;

  constructor(span: Span, kind: SpanKindName) {
    this.#span = span;
    this.#kind = kind;
    this.traceId = span.spanContext().traceId;
  }

  inject(headers: string[]): void {
    injectSpan(headers, this.#span);
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
export class PropagateOnlyHandle implements SpanHandle {
  readonly traceId = '';
  readonly #traceId: string;
  readonly #spanId: string;

  constructor(traceId: string, spanId: string) {
    this.#traceId = traceId;
    this.#spanId = spanId;
  }

  inject(headers: string[]): void {
    injectUnsampled(headers, this.#traceId, this.#spanId);
  }

  setAttribute(): void {}

  end(): void {}
}
