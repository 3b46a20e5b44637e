// The Upstream of one request to a service version: each attempt takes a slot
// from the version's circuit breaker, picks an endpoint from its set (a retry
// prefers one not yet tried), and goes to that endpoint's connection pool.
// Outcomes feed the endpoint's latency estimate and outlier state; a retry
// asks the version's retry budget first. See docs/architecture.md
// ("Choosing an endpoint").

import type { Dispatcher } from 'undici';
import type { BreakerLease } from '../balance/breaker.ts';
import type { EndpointSet, Outcome } from '../balance/endpoint-set.ts';
import { ProxyError } from '../errors.ts';
import type { VersionCounters } from '../telemetry/metrics/balance.ts';
import type { SpanHandle } from '../telemetry/types.ts';
import type { UpstreamPools } from './pools.ts';
import type { AttemptOutcome } from './retry.ts';
import type { Endpoint, Transport, Upstream } from './upstream.ts';

/** A version's balancing state and counters, looked up once per request. */
export interface VersionBalance {
  readonly set: EndpointSet;
  readonly counters: VersionCounters;
}

/** Where the chosen endpoint is noted for the span and the access log (an Observation fits). */
export interface EndpointNote {
  endpoint: string | null;
  readonly span: SpanHandle | null;
}

export class BalancedUpstream implements Upstream {
  readonly #v: VersionBalance;
  readonly #pools: UpstreamPools;
  readonly #peerId: string | null;
  readonly #note: EndpointNote | null;
  #lease: BreakerLease | null = null;
  /** The endpoint of the current attempt until its outcome is reported. */
  #key: string | null = null;
  #attempt = 0;

  constructor(v: VersionBalance, pools: UpstreamPools, peerId: string | null, note: EndpointNote | null) {
    this.#v = v;
    this.#pools = pools;
    this.#peerId = peerId;
    this.#note = note;
  }

  pick(attempt: number, tried: ReadonlySet<string>): Endpoint | ProxyError {
    this.#endAttempt();
    this.#attempt = attempt;
    const set = this.#v.set;
    const lease = set.breaker.tryAcquire();
    if (typeof lease === 'string') {
      this.#v.counters.overflow(lease);
      return new ProxyError('UO', `${set.service} ${set.version}: circuit breaker limit '${lease}' reached`);
    }
    if (attempt === 1) set.budget.recordRequest(performance.now());
    const picked = set.pick(tried.size === 0 ? undefined : tried);
    if (picked instanceof ProxyError) {
      lease.release();
      return picked;
    }
    let pool: Transport;
    try {
      pool = this.#pools.get(picked.origin, this.#peerId);
    } catch (err) {
      set.report(picked.key, 'cancelled', 0);
      lease.release();
      return err instanceof ProxyError
        ? err
        : new ProxyError('UF', `upstream unusable: ${(err as Error).message}`);
    }
    this.#lease = lease;
    this.#key = picked.key;
    const note = this.#note;
    if (note !== null) {
      note.endpoint = picked.address.authority;
      if (note.span !== null) {
        note.span.setAttribute('network.peer.address', picked.address.address);
        note.span.setAttribute('network.peer.port', picked.address.port);
      }
    }
    return { key: picked.key, transport: lease.running ? pool : new Waiting(lease, pool) };
  }

  report(key: string, outcome: AttemptOutcome, latencyMs: number): void {
    if (key !== this.#key) return;
    this.#key = null;
    // Stopped while waiting for a connection: nothing was learnt about the endpoint.
    const waited = this.#lease !== null && !this.#lease.running;
    const health = waited ? 'cancelled' : healthOf(outcome);
    this.#v.set.report(key, health, latencyMs);
    if (this.#attempt > 1 && health !== 'cancelled') {
      const answered = typeof outcome === 'number' && outcome < 500;
      this.#v.counters.retry(answered ? 'success' : 'failure');
    }
    if (waited) {
      this.#lease!.release();
      this.#lease = null;
    }
  }

  retryAllowed(): boolean {
    if (this.#v.set.budget.tryRetry(performance.now())) return true;
    this.#v.counters.retry('budget_exhausted');
    return false;
  }

  finished(): void {
    this.#endAttempt();
  }

  /** Frees what the last attempt held: its breaker slot, and its pending count if never reported. */
  #endAttempt(): void {
    if (this.#key !== null) {
      this.#v.set.report(this.#key, 'cancelled', 0);
      this.#key = null;
    }
    if (this.#lease !== null) {
      this.#lease.release();
      this.#lease = null;
    }
  }
}

/**
 * Gateway failures (connect failure, reset, timeout, 502/503/504) count
 * toward ejection; any other answer is a success for the endpoint's health.
 */
function healthOf(outcome: AttemptOutcome): Outcome {
  if (typeof outcome === 'number') return outcome >= 502 && outcome <= 504 ? 'gateway-failure' : 'success';
  return outcome === 'cancelled' ? 'cancelled' : 'gateway-failure';
}

/** A request that waits for a breaker slot: dispatched to the pool once its lease runs. */
class Waiting implements Transport {
  readonly #lease: BreakerLease;
  readonly #pool: Transport;

  constructor(lease: BreakerLease, pool: Transport) {
    this.#lease = lease;
    this.#pool = pool;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.#lease.whenRunning(() => {
      try {
        this.#pool.dispatch(options, handler);
      } catch (err) {
        // Not on the caller's stack any more: hand the failure to the call as an upstream error.
        handler.onResponseError?.(undefined as never, err as Error);
      }
    });
    return true;
  }
}
