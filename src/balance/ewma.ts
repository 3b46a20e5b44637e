// Peak-EWMA latency estimate of one endpoint, as Linkerd (tower) and Finagle
// balance with it: an observation above the estimate replaces it at once (a
// slow endpoint is noticed on its first slow answer), one below pulls it down
// with a weight that grows with the time since the last observation, and an
// endpoint that is not observed decays toward zero, so it is tried again
// later. Times in milliseconds from an injected clock.

export const EWMA_DEFAULTS = {
  /** Linkerd's decay: the estimate forgets a value with this time constant. */
  decayMs: 10_000,
  /** Linkerd's estimate for an endpoint with no answer yet. */
  defaultRttMs: 30,
} as const;

// Keeps ratios of costs meaningful after hours without an observation (exp()
// would reach 0 and every idle endpoint would cost the same, whatever its load).
const FLOOR_MS = 1e-6;

export class PeakEwma {
  #estimate: number;
  #stamp: number;
  readonly #decayMs: number;

  constructor(
    now: number,
    defaultRttMs: number = EWMA_DEFAULTS.defaultRttMs,
    decayMs: number = EWMA_DEFAULTS.decayMs,
  ) {
    this.#estimate = defaultRttMs;
    this.#stamp = now;
    this.#decayMs = decayMs;
  }

  /** The estimate at `now`: the last one decayed for the time since. Does not change state. */
  value(now: number): number {
    const elapsed = now - this.#stamp;
    const v = elapsed > 0 ? this.#estimate * Math.exp(-elapsed / this.#decayMs) : this.#estimate;
    return Math.max(v, FLOOR_MS);
  }

  /** An answer took `rttMs`. */
  observe(rttMs: number, now: number): void {
    const elapsed = now - this.#stamp;
    const w = elapsed > 0 ? Math.exp(-elapsed / this.#decayMs) : 1;
    const decayed = this.#estimate * w;
    // value(now) + rtt × (1 − w): the decay toward zero and the pull toward the
    // observation are one EWMA step, so how often value() is read changes nothing.
    this.#estimate = rttMs > decayed ? rttMs : decayed + rttMs * (1 - w);
    if (now > this.#stamp) this.#stamp = now;
  }
}
