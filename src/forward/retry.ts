// The retry decision, pure: what happened on one attempt in, "try again" or
// "give up with this flag" out. No timers, sockets or state; the call (call.ts)
// gathers the facts and acts on the answer. Same split as undici's
// RetryHandler: the handler moves bytes, a function decides.
import type { RetryPolicy } from '../config/types.ts';
import type { Flag, ResponseFlags } from '../errors.ts';

/**
 * What one attempt came to: the upstream's status, or how it failed before a
 * response. `timeout` is the per-try timeout firing; `cancelled` means the
 * call stopped it (the caller left, the route deadline passed).
 */
export type AttemptOutcome = number | 'connect-failure' | 'reset' | 'timeout' | 'cancelled';

export interface AttemptFacts {
  readonly outcome: AttemptOutcome;
  /** Attempts made so far, this one included (1 on the first). */
  readonly attempt: number;
  readonly policy: RetryPolicy | null;
  /** No byte of the request body was read yet (or there is none): it can be sent again. */
  readonly replayable: boolean;
  readonly method: string;
  /** The one free retry for a keep-alive race was already spent. */
  readonly raceRetried: boolean;
  /** The route's whole-request deadline has passed. */
  readonly deadlinePassed: boolean;
  /** The retry budget allows one more retry (absent: yes). */
  readonly budgetAllows?: boolean;
}

/**
 * `race`: this is the one keep-alive race retry, not a policy one. `flag`: for
 * a status, '-' forwards it as is.
 */
export type RetryDecision =
  | { readonly retry: true; readonly race: boolean }
  | { readonly retry: false; readonly flag: ResponseFlags };

/** Methods a reused connection's race may replay once (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const RETRY: RetryDecision = { retry: true, race: false };
const RACE: RetryDecision = { retry: true, race: true };
const FORWARD: RetryDecision = { retry: false, flag: '-' };
const EXHAUSTED: RetryDecision = { retry: false, flag: 'URX' };
const GIVE_UP: Partial<Record<Flag, RetryDecision>> = {
  UF: { retry: false, flag: 'UF' },
  UC: { retry: false, flag: 'UC' },
  UT: { retry: false, flag: 'UT' },
  LR: { retry: false, flag: 'LR' },
};

export function decideRetry(f: AttemptFacts): RetryDecision {
  const { outcome, policy } = f;
  const budgetLeft =
    policy !== null && f.attempt <= policy.attempts && !f.deadlinePassed && f.budgetAllows !== false;
  if (typeof outcome === 'number') {
    const retriable = policy?.statuses.has(outcome) === true;
    if (!retriable) return FORWARD;
    if (budgetLeft && f.replayable) return RETRY;
    // The last retriable answer goes back as it came; URX says retries were spent on it.
    return f.attempt > 1 ? EXHAUSTED : FORWARD;
  }
  if (outcome === 'cancelled') return GIVE_UP.LR!;
  const flag: Flag = outcome === 'connect-failure' ? 'UF' : outcome === 'timeout' ? 'UT' : 'UC';
  if (f.replayable) {
    if (budgetLeft) {
      if (outcome === 'connect-failure' && policy.onConnectFailure) return RETRY;
      if (outcome === 'reset' && policy.onReset) return RETRY;
      if (outcome === 'timeout' && policy.perTryTimeoutMs > 0) return RETRY;
    }
    // A reused keep-alive connection closed by the upstream just as we wrote:
    // an idempotent request is safe to send once more on a fresh connection.
    if (outcome === 'reset' && !f.raceRetried && !f.deadlinePassed && IDEMPOTENT.has(f.method)) return RACE;
  }
  // A timeout stays UT whatever came before it: the caller waited the full time.
  if (flag === 'UT' || f.attempt === 1) return GIVE_UP[flag]!;
  return EXHAUSTED;
}
