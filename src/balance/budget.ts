// Retry budget, Linkerd's: retries may add at most 20 % to the requests of the
// last 10 s, plus 10 retries a second, so a full outage cannot multiply the
// load on a service. A sliding window of one-second buckets (times from an
// injected clock, in milliseconds).

export interface BudgetPolicy {
  /** Retries allowed per request in the window. */
  readonly ratio: number;
  /** Retries allowed per second on top, so low traffic can still retry. */
  readonly minRetriesPerSecond: number;
  readonly windowMs: number;
}

export const BUDGET_DEFAULTS: BudgetPolicy = Object.freeze({
  ratio: 0.2,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
});

const BUCKETS = 10;

export class RetryBudget {
  #policy: BudgetPolicy;
  #bucketMs: number;
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  #requestSum = 0;
  #retrySum = 0;
  /** Index (time / bucketMs) of the newest bucket. */
  #head = 0;

  constructor(policy: BudgetPolicy = BUDGET_DEFAULTS, now = 0) {
    this.#policy = policy;
    this.#bucketMs = policy.windowMs / BUCKETS;
    this.#head = Math.floor(now / this.#bucketMs);
  }

  /** A new policy (a reload); the counts so far stay. */
  setPolicy(policy: BudgetPolicy): void {
    this.#policy = policy;
    this.#bucketMs = policy.windowMs / BUCKETS;
  }

  /** An original request (not a retry) was sent. */
  recordRequest(now: number): void {
    this.#advance(now);
    this.#requests[this.#head % BUCKETS]!++;
    this.#requestSum++;
  }

  /** Takes one retry from the budget; false when it is spent (the caller gives up). */
  tryRetry(now: number): boolean {
    this.#advance(now);
    const p = this.#policy;
    const allowed = p.ratio * this.#requestSum + (p.minRetriesPerSecond * p.windowMs) / 1000;
    if (this.#retrySum + 1 > allowed) return false;
    this.#retries[this.#head % BUCKETS]!++;
    this.#retrySum++;
    return true;
  }

  #advance(now: number): void {
    const index = Math.floor(now / this.#bucketMs);
    if (index <= this.#head) return;
    // Empty the buckets that fell out of the window (all of them after a long quiet spell).
    const steps = Math.min(BUCKETS, index - this.#head);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.#head + i) % BUCKETS;
      this.#requestSum -= this.#requests[slot]!;
      this.#retrySum -= this.#retries[slot]!;
      this.#requests[slot] = 0;
      this.#retries[slot] = 0;
    }
    this.#head = index;
  }
}
