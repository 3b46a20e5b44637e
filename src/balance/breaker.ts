// Circuit breaking per version, with Envoy's limits and defaults: past a limit
// a request is refused at once (503 UO), never queued without bound. The
// breaker counts what it is told: requests from tryAcquire to release, which
// of them still wait for a connection (pending, until started()), and open
// connections (connectionOpened/Closed). See docs/configuration.md.

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

/** The limit a refused request hit: the `limit` label of meshlet_upstream_overflow_total. */
export type Overflow = 'connections' | 'pending' | 'requests';

/** One admitted request. Both methods may be called more than once. */
export interface BreakerLease {
  /** The request got a connection: it no longer counts as pending. */
  started(): void;
  /** The request is over (answered, failed or cancelled). */
  release(): void;
}

export class CircuitBreaker {
  #limits: BreakerLimits;
  #pending = 0;
  #active = 0;
  #connections = 0;

  constructor(limits: BreakerLimits = BREAKER_DEFAULTS) {
    this.#limits = limits;
  }

  /** New limits (a reload); requests in flight stay counted. */
  setLimits(limits: BreakerLimits): void {
    this.#limits = limits;
  }

  /**
   * Admits a request, or names the limit it would pass: `requests` (in flight),
   * `connections` (every connection busy and no new one allowed; one request
   * per connection, as in HTTP/1.1), or `pending` (waiting for a connection).
   */
  tryAcquire(): BreakerLease | Overflow {
    const limits = this.#limits;
    const outstanding = this.#pending + this.#active;
    if (outstanding >= limits.maxRequests) return 'requests';
    if (this.#connections >= limits.maxConnections && outstanding >= this.#connections) return 'connections';
    if (this.#pending >= limits.maxPendingRequests) return 'pending';
    this.#pending++;
    return new Lease(this);
  }

  connectionOpened(): void {
    this.#connections++;
  }

  connectionClosed(): void {
    if (this.#connections > 0) this.#connections--;
  }

  get counts(): { connections: number; pending: number; active: number } {
    return { connections: this.#connections, pending: this.#pending, active: this.#active };
  }

  /** @internal the lease's bookkeeping */
  move(from: 'pending' | 'active', to: 'active' | null): void {
    if (from === 'pending') this.#pending--;
    else this.#active--;
    if (to === 'active') this.#active++;
  }
}

class Lease implements BreakerLease {
  #breaker: CircuitBreaker;
  #state: 'pending' | 'active' | 'done' = 'pending';

  constructor(breaker: CircuitBreaker) {
    this.#breaker = breaker;
  }

  started(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'active';
    this.#breaker.move('pending', 'active');
  }

  release(): void {
    if (this.#state === 'done') return;
    this.#breaker.move(this.#state, null);
    this.#state = 'done';
  }
}
