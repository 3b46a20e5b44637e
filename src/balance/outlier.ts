// Outlier detection per endpoint, with Envoy's defaults: a run of consecutive
// gateway failures (connect failure, reset, 502/503/504, gRPC UNAVAILABLE)
// ejects the endpoint for base × times ejected (capped); any other answer ends
// the run. The cap on how many of a version's endpoints may be out at once is
// the endpoint set's to apply (maxEjected below).

export interface OutlierPolicy {
  readonly consecutiveGatewayFailures: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  /** At most this share of a version's endpoints ejected, but always at least one may be. */
  readonly maxEjectionPercent: number;
}

export const OUTLIER_DEFAULTS: OutlierPolicy = Object.freeze({
  consecutiveGatewayFailures: 5,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
});

/** How many of `endpoints` may be ejected at once. */
export function maxEjected(policy: OutlierPolicy, endpoints: number): number {
  return Math.max(1, Math.floor((endpoints * policy.maxEjectionPercent) / 100));
}

/** The ejection time for an endpoint ejected for the `times`-th time (1-based, after decay). */
export function ejectionTimeMs(policy: OutlierPolicy, times: number): number {
  return Math.min(policy.maxEjectionTimeMs, policy.baseEjectionTimeMs * times);
}

export class OutlierState {
  /** Gateway failures in a row. */
  consecutive = 0;
  /** The ejection-time multiplier: grows with each ejection, shrinks while the endpoint behaves. */
  multiplier = 0;
  /** Ejections over the endpoint's life in this set, for /endpoints. */
  ejections = 0;
  /** Ejected until this time; 0 when not ejected. */
  ejectedUntil = 0;
  #readmittedAt = 0;

  /** Records a gateway failure; true when the run has reached the policy's threshold. */
  failure(policy: OutlierPolicy): boolean {
    return ++this.consecutive >= policy.consecutiveGatewayFailures;
  }

  /** Any answer that is not a gateway failure ends the run. */
  success(): void {
    this.consecutive = 0;
  }

  /**
   * Ejects at `now`; returns the time it ends. The multiplier first loses one
   * step for each base ejection time the endpoint spent back in without an
   * ejection (as Envoy lowers it while a host stays healthy), so a flap long
   * ago does not keep an endpoint out for minutes.
   */
  eject(policy: OutlierPolicy, now: number): number {
    if (this.multiplier > 0 && this.#readmittedAt > 0) {
      const behaved = Math.floor((now - this.#readmittedAt) / policy.baseEjectionTimeMs);
      this.multiplier = Math.max(0, this.multiplier - behaved);
    }
    this.multiplier++;
    this.ejections++;
    this.consecutive = 0;
    this.ejectedUntil = now + ejectionTimeMs(policy, this.multiplier);
    return this.ejectedUntil;
  }

  /** The run is over without an ejection (the set was at its cap). */
  skip(): void {
    this.consecutive = 0;
  }

  readmit(now: number): void {
    this.ejectedUntil = 0;
    this.#readmittedAt = now;
  }
}
