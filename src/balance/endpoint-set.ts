// The endpoints of one service version and their mutable health: latency
// estimate, requests in flight, outlier state, circuit breaker and retry
// budget. This state lives here, outside the immutable config snapshot, keyed
// by a stable identity (service/version|address:port), so a reload that keeps
// an endpoint keeps its state. An endpoint that leaves the set drains: no new
// requests, those in flight finish and are reported, then its state is
// dropped. See docs/kubernetes.md (headless Services).

import type { EndpointAddress } from '../discovery/address.ts';
import { ProxyError } from '../errors.ts';
import type { RandomSource } from '../route/pick.ts';
import { BREAKER_DEFAULTS, type BreakerLimits, CircuitBreaker } from './breaker.ts';
import { BUDGET_DEFAULTS, type BudgetPolicy, RetryBudget } from './budget.ts';
import { EWMA_DEFAULTS, PeakEwma } from './ewma.ts';
import { maxEjected, OUTLIER_DEFAULTS, type OutlierPolicy, OutlierState } from './outlier.ts';
import { pickLeastRequest, pickPeakEwma } from './pick.ts';

export type LoadBalancer = 'peak-ewma' | 'round-robin' | 'least-request';

/**
 * How an attempt on an endpoint ended, for its health:
 * - `success`: an answer that is not a gateway failure (any 2xx-4xx, a 500);
 *   its latency feeds the estimate and it ends a failure run;
 * - `gateway-failure`: connect failure, reset, timeout, 502/503/504, gRPC
 *   UNAVAILABLE; counts toward ejection;
 * - `cancelled`: the caller gave up first; says nothing about the endpoint.
 */
export type Outcome = 'success' | 'gateway-failure' | 'cancelled';

export type EndpointState = 'healthy' | 'ejected' | 'draining';

export interface BalancePolicy {
  readonly loadBalancer: LoadBalancer;
  /** null: outlier detection off. */
  readonly outlier: OutlierPolicy | null;
  readonly breaker: BreakerLimits;
  readonly budget: BudgetPolicy;
}

export const BALANCE_DEFAULTS: BalancePolicy = Object.freeze({
  loadBalancer: 'peak-ewma',
  outlier: OUTLIER_DEFAULTS,
  breaker: BREAKER_DEFAULTS,
  budget: BUDGET_DEFAULTS,
});

/** What a pick hands to the caller. */
export interface Endpoint {
  /** Stable identity: `service/version|address:port`; the key for report(). */
  readonly key: string;
  readonly address: EndpointAddress;
  /** `http://address:port`: the key of the endpoint's connection pool. */
  readonly origin: string;
}

export type Clock = () => number;

export interface EjectionEvent {
  readonly set: EndpointSet;
  readonly endpoint: Endpoint;
  /** How long this ejection lasts, and the how-many-th it is. */
  readonly durationMs: number;
  readonly ejections: number;
}

export interface EndpointSetOptions {
  /** Milliseconds, monotonic; default performance.now. */
  clock?: Clock;
  /** [0, 1); default Math.random. */
  random?: RandomSource;
  policy?: BalancePolicy;
  /** For the ejection counter and a log line. */
  onEjection?: (event: EjectionEvent) => void;
}

class Member implements Endpoint {
  readonly key: string;
  readonly address: EndpointAddress;
  readonly origin: string;
  pending = 0;
  readonly ewma: PeakEwma;
  readonly outlier = new OutlierState();
  draining = false;

  constructor(key: string, address: EndpointAddress, now: number, initialRttMs: number) {
    this.key = key;
    this.address = address;
    this.origin = `http://${address.authority}`;
    this.ewma = new PeakEwma(now, initialRttMs, EWMA_DEFAULTS.decayMs);
  }

  get state(): EndpointState {
    return this.draining ? 'draining' : this.outlier.ejectedUntil > 0 ? 'ejected' : 'healthy';
  }
}

export interface EndpointSnapshot {
  readonly address: string;
  readonly state: EndpointState;
  /** Times ejected while in this set. */
  readonly ejections: number;
  /** Milliseconds left of the current ejection; 0 when not ejected. */
  readonly ejectedForMs: number;
  readonly pending: number;
  /** The peak-EWMA latency estimate now, in milliseconds. */
  readonly latencyMs: number;
}

export interface VersionEndpointsSnapshot {
  readonly service: string;
  readonly version: string;
  readonly loadBalancer: LoadBalancer;
  readonly endpoints: readonly EndpointSnapshot[];
  readonly breaker: { readonly pending: number; readonly active: number };
}

export class EndpointSet {
  readonly service: string;
  readonly version: string;
  /** `service/version`: the registry key and the prefix of every endpoint key. */
  readonly key: string;
  readonly breaker: CircuitBreaker;
  readonly budget: RetryBudget;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #onEjection: ((event: EjectionEvent) => void) | null;
  #policy: BalancePolicy;
  /** Current members by authority, in the order discovery gave them. */
  #members = new Map<string, Member>();
  /** Members and draining endpoints by key: what report() can still reach. */
  readonly #byKey = new Map<string, Member>();
  /** Members neither ejected nor draining: what pick() chooses from. */
  #eligible: Member[] = [];
  /** Every member, ejected or not: what pick() chooses from when all are ejected (panic). */
  #all: Member[] = [];
  #ejected = 0;
  #nextReadmitAt = Number.POSITIVE_INFINITY;
  #roundRobin = 0;

  constructor(service: string, version: string, opts: EndpointSetOptions = {}) {
    this.service = service;
    this.version = version;
    this.key = `${service}/${version}`;
    this.#clock = opts.clock ?? performance.now.bind(performance);
    this.#random = opts.random ?? Math.random;
    this.#onEjection = opts.onEjection ?? null;
    this.#policy = opts.policy ?? BALANCE_DEFAULTS;
    this.breaker = new CircuitBreaker(this.#policy.breaker);
    this.budget = new RetryBudget(this.#policy.budget, this.#clock());
  }

  /** A new policy from a reload: endpoint state, breaker counts and budget stay. */
  configure(policy: BalancePolicy): void {
    this.#policy = policy;
    this.breaker.setLimits(policy.breaker);
    this.budget.setPolicy(policy.budget);
    if (policy.outlier === null && this.#ejected > 0) {
      const now = this.#clock();
      for (const m of this.#members.values()) if (m.outlier.ejectedUntil > 0) m.outlier.readmit(now);
      this.#rebuild();
    }
  }

  get policy(): BalancePolicy {
    return this.#policy;
  }

  /** The whole new set from discovery: kept endpoints keep their state, new ones start fresh, gone ones drain. */
  update(addresses: readonly EndpointAddress[]): void {
    const now = this.#clock();
    const initialRttMs = this.#peerEstimate(now);
    const next = new Map<string, Member>();
    for (const address of addresses) {
      if (next.has(address.authority)) continue;
      const key = `${this.key}|${address.authority}`;
      let member = this.#byKey.get(key);
      if (member === undefined) {
        member = new Member(key, address, now, initialRttMs);
        this.#byKey.set(key, member);
      }
      member.draining = false;
      next.set(address.authority, member);
    }
    for (const old of this.#members.values()) {
      if (next.has(old.address.authority)) continue;
      old.draining = true;
      if (old.pending === 0) this.#byKey.delete(old.key);
    }
    this.#members = next;
    this.#rebuild();
  }

  /**
   * The endpoint for the next attempt, counted as pending until report(). An
   * endpoint already in `tried` (keys) is taken only when no other is
   * eligible; when every endpoint is ejected, all are eligible (panic). No
   * endpoint at all: a 503 UH error to answer with.
   */
  pick(tried?: ReadonlySet<string>): Endpoint | ProxyError {
    const now = this.#clock();
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    let list = this.#eligible;
    if (list.length === 0) {
      // Every endpoint ejected: as Envoy's panic mode, try them all rather than refuse every
      // request. A version whose host is a ClusterIP Service is one endpoint backed by many pods;
      // ejecting it would stop all traffic to the version for the ejection time.
      list = this.#all;
      if (list.length === 0) return this.#noEndpoint();
    }
    if (tried !== undefined && tried.size > 0 && list.length > 1) {
      const untried = list.filter((m) => !tried.has(m.key));
      if (untried.length > 0) list = untried;
    }
    let chosen: Member;
    switch (this.#policy.loadBalancer) {
      case 'peak-ewma':
        chosen = pickPeakEwma(list, this.#random, now);
        break;
      case 'least-request':
        chosen = pickLeastRequest(list, this.#random);
        break;
      case 'round-robin':
        chosen = list[this.#roundRobin++ % list.length]!;
        if (this.#roundRobin >= 0x3fffffff) this.#roundRobin = 0;
        break;
    }
    chosen.pending++;
    return chosen;
  }

  /** The attempt on `key` is over; `latencyMs` is the time to its answer (headers). */
  report(key: string, outcome: Outcome, latencyMs: number): void {
    const member = this.#byKey.get(key);
    if (member === undefined) return;
    if (member.pending > 0) member.pending--;
    if (outcome === 'success') {
      if (latencyMs >= 0 && latencyMs < Number.POSITIVE_INFINITY)
        member.ewma.observe(latencyMs, this.#clock());
      member.outlier.success();
    } else if (outcome === 'gateway-failure') {
      const policy = this.#policy.outlier;
      // Failures of requests sent before an ejection do not start the next run.
      if (
        policy !== null &&
        !member.draining &&
        member.outlier.ejectedUntil === 0 &&
        member.outlier.failure(policy)
      ) {
        this.#eject(member, policy);
      }
    }
    if (member.draining && member.pending === 0) this.#byKey.delete(key);
  }

  /** Members and endpoints still draining. */
  get size(): number {
    return this.#byKey.size;
  }

  /** No member and nothing left to drain: the registry may forget this set. */
  get drained(): boolean {
    return this.#members.size === 0 && this.#byKey.size === 0;
  }

  /** Healthy (eligible) and ejected member counts, for meshlet_endpoints{state}. */
  counts(): { healthy: number; ejected: number; draining: number } {
    const now = this.#clock();
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    return {
      healthy: this.#eligible.length,
      ejected: this.#ejected,
      draining: this.#byKey.size - this.#members.size,
    };
  }

  snapshot(): VersionEndpointsSnapshot {
    const now = this.#clock();
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    const endpoints: EndpointSnapshot[] = [];
    const draining = [...this.#byKey.values()].filter((m) => m.draining);
    for (const m of [...this.#members.values(), ...draining]) {
      endpoints.push({
        address: m.address.authority,
        state: m.state,
        ejections: m.outlier.ejections,
        ejectedForMs: m.outlier.ejectedUntil > 0 ? Math.max(0, m.outlier.ejectedUntil - now) : 0,
        pending: m.pending,
        latencyMs: m.ewma.value(now),
      });
    }
    return {
      service: this.service,
      version: this.version,
      loadBalancer: this.#policy.loadBalancer,
      endpoints,
      breaker: this.breaker.counts,
    };
  }

  /**
   * The first estimate of a new endpoint: the mean of its healthy peers', or
   * Linkerd's default when there are none. Starting a new pod of a set whose
   * pods answer in 1 ms at the 30 ms default would keep it out of P2C's choice
   * until the others' estimates decayed toward it (tens of seconds).
   */
  #peerEstimate(now: number): number {
    const peers = this.#eligible;
    if (peers.length === 0) return EWMA_DEFAULTS.defaultRttMs;
    let sum = 0;
    for (const m of peers) sum += m.ewma.value(now);
    return sum / peers.length;
  }

  #eject(member: Member, policy: OutlierPolicy): void {
    const now = this.#clock();
    // Ejections that have run out no longer count toward the cap.
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    if (this.#ejected >= maxEjected(policy, this.#members.size)) {
      member.outlier.skip();
      return;
    }
    const until = member.outlier.eject(policy, now);
    this.#rebuild();
    this.#onEjection?.({
      set: this,
      endpoint: member,
      durationMs: until - now,
      ejections: member.outlier.ejections,
    });
  }

  #readmit(now: number): void {
    for (const m of this.#members.values()) {
      const until = m.outlier.ejectedUntil;
      if (until > 0 && until <= now) m.outlier.readmit(now);
    }
    this.#rebuild();
  }

  #rebuild(): void {
    const eligible: Member[] = [];
    let ejected = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.#members.values()) {
      const until = m.outlier.ejectedUntil;
      if (until > 0) {
        ejected++;
        if (until < next) next = until;
      } else {
        eligible.push(m);
      }
    }
    this.#eligible = eligible;
    this.#all = ejected === 0 ? eligible : [...this.#members.values()];
    this.#ejected = ejected;
    this.#nextReadmitAt = next;
  }

  #noEndpoint(): ProxyError {
    return new ProxyError('UH', `${this.service} ${this.version}: no endpoints (none resolved or listed)`);
  }
}

export interface EndpointRegistryOptions {
  clock?: Clock;
  random?: RandomSource;
  onEjection?: (event: EjectionEvent) => void;
}

/**
 * Every version's endpoint set, across config reloads. Sets are created on
 * first use and looked up by `service/version`; a version the config drops
 * drains and is forgotten once its last request is reported.
 */
export class EndpointRegistry {
  readonly #opts: EndpointRegistryOptions;
  readonly #sets = new Map<string, EndpointSet>();
  readonly #retired = new Map<string, EndpointSet>();

  constructor(opts: EndpointRegistryOptions = {}) {
    this.#opts = opts;
  }

  /** The set of a version, created on first use, revived if it was retiring. */
  set(service: string, version: string, policy?: BalancePolicy): EndpointSet {
    const key = `${service}/${version}`;
    let set = this.#sets.get(key);
    if (set === undefined) {
      set = this.#retired.get(key);
      if (set !== undefined) this.#retired.delete(key);
      else set = new EndpointSet(service, version, { ...this.#opts, ...(policy && { policy }) });
      this.#sets.set(key, set);
    }
    if (policy !== undefined && set.policy !== policy) set.configure(policy);
    return set;
  }

  get(key: string): EndpointSet | undefined {
    return this.#sets.get(key);
  }

  /** After a reload: versions not in `keys` (`service/version`) drain and are then dropped. */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const [key, set] of this.#sets) {
      if (keep.has(key)) continue;
      this.#sets.delete(key);
      set.update([]);
      this.#retired.set(key, set);
    }
    this.#sweep();
  }

  /** Live sets first, then those still draining. */
  sets(): EndpointSet[] {
    this.#sweep();
    return [...this.#sets.values(), ...this.#retired.values()];
  }

  #sweep(): void {
    for (const [key, set] of this.#retired) if (set.drained) this.#retired.delete(key);
  }
}
