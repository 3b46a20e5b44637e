// Circuit breaking per version, with Envoy's limits and defaults: past a limit
// a request is refused at once (503 UO), never queued without bound. With one
// request per HTTP/1.1 connection, a request in progress holds a connection:
// at most maxConnections run at once, up to maxPendingRequests more wait in a
// FIFO for one of them to finish, and maxRequests caps both together.

export interface BreakerLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
}

export const BREAKER_DEFAULTS: BreakerLimits = Object.freeze({
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
});

/**
 * The limit a refused request hit: the `limit` label of
 * meshlet_upstream_overflow_total. `connections`: every connection busy and
 * no waiting allowed (maxPendingRequests 0).
 */
export type Overflow = 'connections' | 'pending' | 'requests';

/** One admitted request. */
export interface BreakerLease {
  /** False while it waits for a connection to free up. */
  readonly running: boolean;
  /** Runs `start` once the lease runs (at once when it already does). One callback per lease. */
  whenRunning(start: () => void): void;
  /** The request is over (answered, failed or cancelled); idempotent. A waiting lease leaves the queue. */
  release(): void;
}

export class CircuitBreaker {
  #limits: BreakerLimits;
  #active = 0;
  readonly #waiting: Lease[] = [];

  constructor(limits: BreakerLimits = BREAKER_DEFAULTS) {
    this.#limits = limits;
  }

  /** New limits (a reload); requests in flight stay counted. */
  setLimits(limits: BreakerLimits): void {
    this.#limits = limits;
    this.#promote();
  }

  /** Admits a request (running, or waiting for a connection), or names the limit it would pass. */
  tryAcquire(): BreakerLease | Overflow {
    const limits = this.#limits;
    const pending = this.#waiting.length;
    if (this.#active + pending >= limits.maxRequests) return 'requests';
    if (this.#active < limits.maxConnections && pending === 0) {
      this.#active++;
      return new Lease(this, true);
    }
    if (limits.maxPendingRequests === 0) return 'connections';
    if (pending >= limits.maxPendingRequests) return 'pending';
    const lease = new Lease(this, false);
    this.#waiting.push(lease);
    return lease;
  }

  /** A lease is over (Lease.release calls this once). */
  done(lease: Lease, wasRunning: boolean): void {
    if (wasRunning) {
      this.#active--;
      this.#promote();
    } else {
      const i = this.#waiting.indexOf(lease);
      if (i !== -1) this.#waiting.splice(i, 1);
    }
  }

  get counts(): { pending: number; active: number } {
    return { pending: this.#waiting.length, active: this.#active };
  }

  #promote(): void {
    while (this.#waiting.length > 0 && this.#active < this.#limits.maxConnections) {
      this.#active++;
      this.#waiting.shift()!.run();
    }
  }
}

class Lease implements BreakerLease {
  readonly #breaker: CircuitBreaker;
  #state: 'waiting' | 'running' | 'done';
  #start: (() => void) | null = null;

  constructor(breaker: CircuitBreaker, running: boolean) {
    this.#breaker = breaker;
    this.#state = running ? 'running' : 'waiting';
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  whenRunning(start: () => void): void {
    if (this.#state === 'running') start();
    else if (this.#state === 'waiting') this.#start = start;
  }

  run(): void {
    this.#state = 'running';
    const start = this.#start;
    this.#start = null;
    start?.();
  }

  release(): void {
    if (this.#state === 'done') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'done';
    this.#start = null;
    this.#breaker.done(this, wasRunning);
  }
}
