// The canary guard of a route: it watches each version's answers on this
// sidecar's own traffic over a sliding window, and trips a non-baseline
// version whose error rate or p99 latency passes the route's limit. A tripped
// version stays tripped (the router sends its share to the baseline) until the
// route's weights change in the config. Pure state; times in milliseconds from
// the caller.

export interface GuardPolicy {
  readonly baseline: string;
  /** Highest share of 5xx (or no answer) allowed, 0..1; null: not checked. */
  readonly maxErrorRate: number | null;
  /** Highest p99 latency allowed; null: not checked. */
  readonly maxLatencyP99Ms: number | null;
  readonly windowMs: number;
  /** Fewer requests than this in the window decide nothing. */
  readonly minRequests: number;
}

export interface GuardTrip {
  readonly version: string;
  readonly reason: 'error-rate' | 'latency-p99';
  /** The measured value (a rate, or milliseconds) and the limit it passed. */
  readonly value: number;
  readonly limit: number;
  /** Requests of the version in the window when it tripped. */
  readonly requests: number;
  readonly at: number;
}

const TIME_BUCKETS = 10;
// Latency buckets of 2^(1/8) (9 % wide) from 1 ms up to 2^24 ms: a p99 within
// one bucket's width, in 192 counters per time bucket.
const STEPS_PER_DOUBLING = 8;
const LATENCY_BUCKETS = 24 * STEPS_PER_DOUBLING;

function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  const i = Math.floor(Math.log2(ms) * STEPS_PER_DOUBLING);
  return i < LATENCY_BUCKETS ? i : LATENCY_BUCKETS - 1;
}

/** Sliding-window counts of one version. */
class VersionWindow {
  readonly #requests = new Uint32Array(TIME_BUCKETS);
  readonly #errors = new Uint32Array(TIME_BUCKETS);
  readonly #latency = new Uint32Array(TIME_BUCKETS * LATENCY_BUCKETS);
  #head: number;

  constructor(index: number) {
    this.#head = index;
  }

  add(index: number, error: boolean, latencyMs: number): void {
    this.#advance(index);
    const slot = index % TIME_BUCKETS;
    this.#requests[slot]!++;
    if (error) this.#errors[slot]!++;
    this.#latency[slot * LATENCY_BUCKETS + latencyBucket(latencyMs)]!++;
  }

  totals(index: number): { requests: number; errors: number } {
    this.#advance(index);
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < TIME_BUCKETS; i++) {
      requests += this.#requests[i]!;
      errors += this.#errors[i]!;
    }
    return { requests, errors };
  }

  /** The lower bound of the bucket that holds the p99: the true p99 is at least this. */
  p99Floor(requests: number): number {
    const rank = Math.ceil(requests * 0.99);
    let seen = 0;
    for (let b = 0; b < LATENCY_BUCKETS; b++) {
      for (let t = 0; t < TIME_BUCKETS; t++) seen += this.#latency[t * LATENCY_BUCKETS + b]!;
      if (seen >= rank) return b === 0 ? 0 : 2 ** (b / STEPS_PER_DOUBLING);
    }
    return 2 ** (LATENCY_BUCKETS / STEPS_PER_DOUBLING);
  }

  #advance(index: number): void {
    if (index <= this.#head) return;
    const steps = Math.min(TIME_BUCKETS, index - this.#head);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.#head + i) % TIME_BUCKETS;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
      this.#latency.fill(0, slot * LATENCY_BUCKETS, (slot + 1) * LATENCY_BUCKETS);
    }
    this.#head = index;
  }
}

export class CanaryGuard {
  readonly policy: GuardPolicy;
  readonly #bucketMs: number;
  readonly #windows = new Map<string, VersionWindow>();
  readonly #tripped = new Map<string, GuardTrip>();

  constructor(policy: GuardPolicy) {
    this.policy = policy;
    this.#bucketMs = Math.max(1, policy.windowMs / TIME_BUCKETS);
  }

  /**
   * One answer from `version` (`status` 0: none came). Returns the trip when
   * this observation trips the version, else null (the caller logs and sets
   * the gauge once). The baseline and tripped versions are not watched.
   */
  observe(version: string, status: number, latencyMs: number, now: number): GuardTrip | null {
    if (version === this.policy.baseline || this.#tripped.has(version)) return null;
    const index = Math.floor(now / this.#bucketMs);
    let window = this.#windows.get(version);
    if (window === undefined) {
      window = new VersionWindow(index);
      this.#windows.set(version, window);
    }
    window.add(index, status === 0 || status >= 500, latencyMs);
    const { requests, errors } = window.totals(index);
    if (requests < this.policy.minRequests) return null;
    const trip = this.#breach(version, window, requests, errors, now);
    if (trip !== null) {
      this.#tripped.set(version, trip);
      this.#windows.delete(version);
    }
    return trip;
  }

  isTripped(version: string): boolean {
    return this.#tripped.has(version);
  }

  /** Tripped versions and why, for the router, /config and the gauge. */
  get tripped(): ReadonlyMap<string, GuardTrip> {
    return this.#tripped;
  }

  /** Forgets trips and counts (the route's weights changed). */
  reset(): void {
    this.#tripped.clear();
    this.#windows.clear();
  }

  #breach(
    version: string,
    window: VersionWindow,
    requests: number,
    errors: number,
    now: number,
  ): GuardTrip | null {
    const { maxErrorRate, maxLatencyP99Ms } = this.policy;
    const rate = errors / requests;
    if (maxErrorRate !== null && rate > maxErrorRate) {
      return { version, reason: 'error-rate', value: rate, limit: maxErrorRate, requests, at: now };
    }
    if (maxLatencyP99Ms !== null) {
      const p99 = window.p99Floor(requests);
      if (p99 > maxLatencyP99Ms) {
        return { version, reason: 'latency-p99', value: p99, limit: maxLatencyP99Ms, requests, at: now };
      }
    }
    return null;
  }
}

/**
 * The guards of all routes, kept across reloads by route key: a reload that
 * keeps a route's weights and guard keeps its trips; one that changes either
 * starts the guard afresh.
 */
export class CanaryGuards {
  readonly #guards = new Map<string, { guard: CanaryGuard; signature: string }>();

  /** The guard of `routeKey`; `weights` is any string that changes when the route's split does. */
  guard(routeKey: string, policy: GuardPolicy, weights: string): CanaryGuard {
    const signature = `${weights}|${JSON.stringify(policy)}`;
    const kept = this.#guards.get(routeKey);
    if (kept !== undefined && kept.signature === signature) return kept.guard;
    const guard = new CanaryGuard(policy);
    this.#guards.set(routeKey, { guard, signature });
    return guard;
  }

  /** Drops the guards of routes no longer in the config (bounded by the config). */
  retain(routeKeys: Iterable<string>): void {
    const keep = new Set(routeKeys);
    for (const key of this.#guards.keys()) if (!keep.has(key)) this.#guards.delete(key);
  }

  /** Route key and guard, for /config and the gauge. */
  *entries(): Generator<[string, CanaryGuard]> {
    for (const [key, { guard }] of this.#guards) yield [key, guard];
  }
}
