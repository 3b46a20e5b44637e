// Fault injection (Istio's HTTPFaultInjection): a route can delay a share of
// its requests and answer a share itself with an error, on the caller's side.
// Compiled once; decided per request by a pure function over an injected
// random source, so tests are exact. Delay and abort are drawn independently,
// as Envoy's fault filter does: a request can be delayed and then aborted.
// See docs/configuration.md ("Traffic policy", "fault").
import { parseDuration } from '../config/duration.ts';
import { FLAGS } from '../errors.ts';
import { GRPC_STATUS, type GrpcStatusCode, grpcStatusCode, grpcStatusOfHttp } from '../grpc/status.ts';
import { type Compiled, compiled, type PolicyIssue, percentProblem, thresholdOf } from './issue.ts';

export interface RawFault {
  delay?: { percent?: unknown; duration?: unknown };
  abort?: { percent?: unknown; status?: unknown; grpcStatus?: unknown };
}

/** What an injected abort answers: exactly one of the two is set. */
export interface FaultAbort {
  /** HTTP status (400..599), or null when the fault names a gRPC status. */
  readonly status: number | null;
  /** gRPC status code (1..16), or null when the fault names an HTTP status. */
  readonly grpcStatus: GrpcStatusCode | null;
}

export interface CompiledFault {
  readonly delay: { readonly threshold: number; readonly ms: number } | null;
  readonly abort: (FaultAbort & { readonly threshold: number }) | null;
  /** The three possible decisions, built once so deciding never allocates. */
  readonly delayed: FaultDecision;
  readonly aborted: FaultDecision;
  readonly delayedAbort: FaultDecision;
}

/** One request's fault: `flag` is FI when it is aborted (delayed or not), DI when only delayed. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly abort: FaultAbort | null;
  readonly flag: 'FI' | 'DI';
}

/** The largest delay a route may inject: longer only ties up the caller's connections. */
const MAX_FAULT_DELAY_MS = 3_600_000;

/**
 * Compiles `fault:`; null when it is absent or can never fire (both
 * percentages 0), so the request path skips the step entirely.
 */
export function compileFault(raw: RawFault | undefined): Compiled<CompiledFault | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  let delay: CompiledFault['delay'] = null;
  let abort: CompiledFault['abort'] = null;
  if (raw.delay !== undefined) {
    const p = percentProblem(raw.delay.percent);
    if (p !== null) issues.push({ path: ['delay', 'percent'], message: p });
    let ms = 0;
    try {
      ms = parseDuration(String(raw.delay.duration));
      if (ms > MAX_FAULT_DELAY_MS) throw new Error('at most 1h');
    } catch {
      issues.push({
        path: ['delay', 'duration'],
        message: `duration must be a duration from 0ms to 1h such as 200ms or 2s, got ${JSON.stringify(raw.delay.duration)}`,
      });
    }
    if (p === null && (raw.delay.percent as number) > 0 && ms > 0) {
      delay = Object.freeze({ threshold: thresholdOf(raw.delay.percent as number), ms });
    }
  }
  if (raw.abort !== undefined) {
    const a = raw.abort;
    const p = percentProblem(a.percent);
    if (p !== null) issues.push({ path: ['abort', 'percent'], message: p });
    let status: number | null = null;
    let grpcStatus: GrpcStatusCode | null = null;
    if ((a.status === undefined) === (a.grpcStatus === undefined)) {
      issues.push({ path: ['abort'], message: 'abort needs exactly one of status (HTTP) or grpcStatus' });
    } else if (a.status !== undefined) {
      if (Number.isInteger(a.status) && (a.status as number) >= 400 && (a.status as number) <= 599) {
        status = a.status as number;
      } else {
        issues.push({
          path: ['abort', 'status'],
          message: `status must be an HTTP error status from 400 to 599, got ${JSON.stringify(a.status)}`,
        });
      }
    } else {
      const code = typeof a.grpcStatus === 'string' ? grpcStatusCode(a.grpcStatus) : null;
      if (code === null || code === GRPC_STATUS.ok) {
        issues.push({
          path: ['abort', 'grpcStatus'],
          message: `grpcStatus must be a gRPC error status name such as unavailable or resource-exhausted, got ${JSON.stringify(a.grpcStatus)}`,
        });
      } else {
        grpcStatus = code;
      }
    }
    if (p === null && (a.percent as number) > 0 && (status !== null || grpcStatus !== null)) {
      abort = Object.freeze({ threshold: thresholdOf(a.percent as number), status, grpcStatus });
    }
  }
  if (delay === null && abort === null) return compiled(null, issues);
  const delayMs = delay?.ms ?? 0;
  const answer: FaultAbort | null =
    abort === null ? null : Object.freeze({ status: abort.status, grpcStatus: abort.grpcStatus });
  return compiled(
    Object.freeze({
      delay,
      abort,
      delayed: Object.freeze({ delayMs, abort: null, flag: 'DI' as const }),
      aborted: Object.freeze({ delayMs: 0, abort: answer, flag: 'FI' as const }),
      delayedAbort: Object.freeze({ delayMs, abort: answer, flag: 'FI' as const }),
    }),
    issues,
  );
}

/**
 * This request's fault, or null when none fires. Draws one random number per
 * configured part (delay first, then abort) and never allocates: the
 * decisions are built once per compiled fault.
 */
export function decideFault(fault: CompiledFault, random: () => number): FaultDecision | null {
  const delayed = fault.delay !== null && random() < fault.delay.threshold;
  const aborted = fault.abort !== null && random() < fault.abort.threshold;
  if (!delayed && !aborted) return null;
  return aborted ? (delayed ? fault.delayedAbort : fault.aborted) : fault.delayed;
}

/**
 * What an injected abort answers a caller: a gRPC caller gets the configured
 * gRPC status, or the one the HTTP status maps to; an HTTP caller gets the
 * configured HTTP status, or the FI default (503) when only a gRPC status is set.
 */
export function abortReply(
  abort: FaultAbort,
  grpcCaller: boolean,
): { readonly status: number; readonly grpcStatus: GrpcStatusCode | null } {
  if (grpcCaller) return { status: 200, grpcStatus: abort.grpcStatus ?? grpcStatusOfHttp(abort.status!) };
  return { status: abort.status ?? FLAGS.FI.status, grpcStatus: null };
}
