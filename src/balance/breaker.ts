// Circuit breaking per version, with Envoy's limits and defaults: past a limit
// a request is refused at once (503 UO), never queued without bound. The
// breaker counts what it is told: requests from tryAcquire to release, which
// of them still wait for a connection (pending, until started()), and open
// connections (connectionOpened/Closed).

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

/** The counts a breaker and its leases share. */
class Counts {
  pending = 0;
  active = 0;
  connections = 0;
}

export class CircuitBreaker {
  #limits: BreakerLimits;
  readonly #counts = new Counts();

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
    const c = this.#counts;
    const outstanding = c.pending + c.active;
    if (outstanding >= limits.maxRequests) return 'requests';
    if (c.connections >= limits.maxConnections && outstanding >= c.connections) return 'connections';
    if (c.pending >= limits.maxPendingRequests) return 'pending';
    c.pending++;
    return new Lease(c);
  }

  connectionOpened(): void {
    this.#counts.connections++;
  }

  connectionClosed(): void {
    if (this.#counts.connections > 0) this.#counts.connections--;
  }

  get counts(): { connections: number; pending: number; active: number } {
    const c = this.#counts;
    return { connections: c.connections, pending: c.pending, active: c.active };
  }
}

class Lease implements BreakerLease {
  readonly #counts: Counts;
  #state: 'pending' | 'active' | 'done' = 'pending';

  constructor(counts: Counts) {
    this.#counts = counts;
  }

  started(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'active';
    this.#counts.pending--;
    this.#counts.active++;
  }

  release(): void {
    if (this.#state === 'pending') this.#counts.pending--;
    else if (this.#state === 'active') this.#counts.active--;
    this.#state = 'done';
  }
}
