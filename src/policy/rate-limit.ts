// Inbound rate limiting (Linkerd's HTTPLocalRateLimitPolicy, Envoy's local
// rate limit): `rateLimit: { requestsPerSecond, burst, perCaller }` on a
// service, enforced by its own sidecar with token buckets. Callers listed in
// `perCaller` get a bucket of their own (and only that one: a flood from
// anyone else cannot touch them); everyone else, plaintext callers included
// (they have no verified identity), shares the service's bucket. Buckets exist
// only for configured entries, so nothing a caller sends grows the state.
// See docs/configuration.md ("Traffic policy", "rateLimit").
import { type Compiled, compiled, type PolicyIssue } from './issue.ts';

export interface RawBucket {
  requestsPerSecond?: unknown;
  burst?: unknown;
}

export interface RawRateLimit extends RawBucket {
  /** `from`-style caller → requests per second, or a bucket of its own. */
  perCaller?: Record<string, unknown>;
}

export interface BucketSpec {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export interface CompiledRateLimit {
  readonly service: BucketSpec;
  /** Verified principal (SPIFFE ID) → its own limit. */
  readonly perCaller: ReadonlyMap<string, BucketSpec>;
}

/**
 * Turns a `from` entry (service name, `ns/<ns>/sa/<sa>`, `spiffe://...`) into
 * the SPIFFE ID it names, or an error message (never starting with
 * `spiffe://`): the allow rules' resolver, passed in.
 */
export type PrincipalOf = (entry: string) => string;

const MAX_RPS = 1_000_000;

function bucketSpec(
  raw: RawBucket,
  at: (string | number)[],
  issues: PolicyIssue[],
  rpsAt: (string | number)[] = [...at, 'requestsPerSecond'],
): BucketSpec | null {
  const rps = raw.requestsPerSecond;
  if (typeof rps !== 'number' || !Number.isFinite(rps) || rps <= 0 || rps > MAX_RPS) {
    issues.push({
      path: rpsAt,
      message: `requestsPerSecond must be a number above 0 (fractions allowed, e.g. 0.5) up to ${MAX_RPS}, got ${JSON.stringify(rps)}`,
    });
    return null;
  }
  // One second's worth by default, at least one request.
  const burst = raw.burst ?? Math.max(1, Math.ceil(rps));
  if (!Number.isInteger(burst) || (burst as number) < 1 || (burst as number) > MAX_RPS) {
    issues.push({
      path: [...at, 'burst'],
      message: `burst must be a whole number of requests from 1, got ${JSON.stringify(burst)}`,
    });
    return null;
  }
  return Object.freeze({ requestsPerSecond: rps, burst: burst as number });
}

export function compileRateLimit(
  raw: RawRateLimit | undefined,
  principalOf: PrincipalOf,
): Compiled<CompiledRateLimit | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  const service = bucketSpec(raw, [], issues);
  const perCaller = new Map<string, BucketSpec>();
  for (const [entry, limit] of Object.entries(raw.perCaller ?? {})) {
    const at = ['perCaller', entry];
    if (entry === '*') {
      issues.push({
        path: at,
        message: "perCaller names callers one by one; '*' is what the service's own limit covers",
      });
      continue;
    }
    const principal = principalOf(entry);
    if (!principal.startsWith('spiffe://')) {
      issues.push({ path: at, message: principal });
      continue;
    }
    if (perCaller.has(principal)) {
      issues.push({
        path: at,
        message: `'${entry}' names the same caller (${principal}) as another perCaller entry`,
      });
      continue;
    }
    const spec =
      typeof limit === 'object' && limit !== null
        ? bucketSpec(limit as RawBucket, at, issues)
        : bucketSpec({ requestsPerSecond: limit }, at, issues, at);
    if (spec !== null) perCaller.set(principal, spec);
  }
  if (service === null) return compiled(null, issues);
  return compiled(Object.freeze({ service, perCaller }), issues);
}

export type RateLimitVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

const ALLOWED: RateLimitVerdict = Object.freeze({ allowed: true });

/** A token bucket: `burst` tokens, refilled at `requestsPerSecond`. */
class TokenBucket {
  readonly spec: BucketSpec;
  #tokens: number;
  #at: number;

  constructor(spec: BucketSpec, now: number, tokens = spec.burst) {
    this.spec = spec;
    this.#tokens = Math.min(tokens, spec.burst);
    this.#at = now;
  }

  get tokens(): number {
    return this.#tokens;
  }

  take(now: number): RateLimitVerdict {
    // A clock that steps back refills nothing rather than draining the bucket.
    if (now > this.#at) {
      this.#tokens = Math.min(
        this.spec.burst,
        this.#tokens + ((now - this.#at) / 1000) * this.spec.requestsPerSecond,
      );
      this.#at = now;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return ALLOWED;
    }
    // Whole seconds, at least 1, as `retry-after` carries.
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - this.#tokens) / this.spec.requestsPerSecond)),
    };
  }
}

/**
 * The buckets of one service's compiled limit. Built per config snapshot; a
 * new limiter can take over the token levels of the previous one (same
 * principal, clamped to the new burst) so a reload neither refills nor
 * empties the buckets.
 */
export class RateLimiter {
  readonly limit: CompiledRateLimit;
  readonly #now: () => number;
  readonly #service: TokenBucket;
  readonly #perCaller: Map<string, TokenBucket>;

  /** `now` is a monotonic clock in milliseconds (performance.now in production). */
  constructor(limit: CompiledRateLimit, now: () => number, previous?: RateLimiter) {
    this.limit = limit;
    this.#now = now;
    const t = now();
    this.#service = new TokenBucket(
      limit.service,
      t,
      previous === undefined ? undefined : previous.#service.tokens,
    );
    this.#perCaller = new Map();
    for (const [principal, spec] of limit.perCaller) {
      this.#perCaller.set(
        principal,
        new TokenBucket(
          spec,
          t,
          previous === undefined ? undefined : previous.#perCaller.get(principal)?.tokens,
        ),
      );
    }
  }

  /** Takes one token for a request from `principal` (the verified peer's SPIFFE ID, null for plaintext). */
  take(principal: string | null): RateLimitVerdict {
    const own = principal === null ? undefined : this.#perCaller.get(principal);
    return (own ?? this.#service).take(this.#now());
  }
}
