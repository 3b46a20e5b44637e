// The balancing series (docs/observability.md): endpoints by state, outlier
// ejections, circuit-breaker overflows, retries by outcome and the canary
// guard. Per-version counters are made on a version's first request (the
// balancing code asks for them then) and mutated in place; a version the
// config drops loses them. The endpoint gauge is read from the endpoint sets
// at scrape time.
import type { Overflow } from '../../balance/breaker.ts';
import { type CounterSeries, type Family, ValueFamily } from './series.ts';

export type RetryOutcome = 'success' | 'failure' | 'budget_exhausted';

/** The counters of one service version. */
export interface VersionCounters {
  ejection(): void;
  overflow(limit: Overflow): void;
  retry(outcome: RetryOutcome): void;
}

/** One version's endpoint counts, for meshlet_endpoints{state}. */
export interface EndpointCounts {
  readonly service: string;
  readonly version: string;
  readonly healthy: number;
  readonly ejected: number;
}

export interface BalanceMetrics {
  /** The counters of a version (labels destination_service, destination_version); the same object each time. */
  version(service: string, version: string): VersionCounters;
  /** Drops a version's counters and their series: the config no longer lists it. */
  forget(service: string, version: string): void;
  /** meshlet_canary_guard_tripped: 1 while tripped, 0 once reset. */
  canaryGuard(service: string, route: string, version: string, tripped: boolean): void;
  /** Where meshlet_endpoints is read from at each scrape. */
  endpoints(source: () => Iterable<EndpointCounts>): void;
}

const NOOP_COUNTERS: VersionCounters = { ejection() {}, overflow() {}, retry() {} };

export const noopBalanceMetrics: BalanceMetrics = {
  version: () => NOOP_COUNTERS,
  forget() {},
  canaryGuard() {},
  endpoints() {},
};

/** A gauge family filled from a callback just before it is read. */
class SampledFamily extends ValueFamily {
  fill: (() => void) | null = null;

  override async get() {
    if (this.fill !== null) {
      this.reset();
      this.fill();
    }
    return super.get();
  }
}

export function createBalanceMetrics(add: <T extends Family>(family: T) => T): BalanceMetrics {
  const endpoints = add(
    new SampledFamily('meshlet_endpoints', 'Endpoints of each service version by state.', 'gauge'),
  );
  const ejections = add(
    new ValueFamily('meshlet_outlier_ejections_total', 'Endpoints ejected by outlier detection.', 'counter'),
  );
  const overflows = add(
    new ValueFamily(
      'meshlet_upstream_overflow_total',
      'Requests refused by the circuit breaker (503 UO), by the limit they passed.',
      'counter',
    ),
  );
  const retries = add(new ValueFamily('meshlet_retries_total', 'Retries by outcome.', 'counter'));
  const guard = add(
    new ValueFamily('meshlet_canary_guard_tripped', 'Canary guard: 1 while a version is tripped.', 'gauge'),
  );
  // Bounded by the config: one entry per service version it lists that has had a request.
  const versions = new Map<string, VersionCounters>();
  const OVERFLOWS: readonly Overflow[] = ['connections', 'pending', 'requests'];
  const RETRIES: readonly RetryOutcome[] = ['success', 'failure', 'budget_exhausted'];

  return {
    version(service, version) {
      const key = `${service}\u0000${version}`;
      let counters = versions.get(key);
      if (counters !== undefined) return counters;
      const base = { destination_service: service, destination_version: version };
      const ejected = ejections.series(base);
      const over: Record<Overflow, CounterSeries> = {
        connections: overflows.series({ ...base, limit: 'connections' }),
        pending: overflows.series({ ...base, limit: 'pending' }),
        requests: overflows.series({ ...base, limit: 'requests' }),
      };
      const retried: Record<RetryOutcome, CounterSeries> = {
        success: retries.series({ ...base, outcome: 'success' }),
        failure: retries.series({ ...base, outcome: 'failure' }),
        budget_exhausted: retries.series({ ...base, outcome: 'budget_exhausted' }),
      };
      counters = {
        ejection() {
          ejected.value++;
        },
        overflow(limit) {
          over[limit].value++;
        },
        retry(outcome) {
          retried[outcome].value++;
        },
      };
      versions.set(key, counters);
      return counters;
    },

    forget(service, version) {
      if (!versions.delete(`${service}\u0000${version}`)) return;
      const base = { destination_service: service, destination_version: version };
      ejections.remove(base);
      for (const limit of OVERFLOWS) overflows.remove({ ...base, limit });
      for (const outcome of RETRIES) retries.remove({ ...base, outcome });
    },

    canaryGuard(service, route, version, tripped) {
      guard.series({ destination_service: service, route, version }).value = tripped ? 1 : 0;
    },

    endpoints(source) {
      endpoints.fill = () => {
        for (const c of source()) {
          const base = { destination_service: c.service, destination_version: c.version };
          endpoints.series({ ...base, state: 'healthy' }).value = c.healthy;
          endpoints.series({ ...base, state: 'ejected' }).value = c.ejected;
        }
      };
    },
  };
}
