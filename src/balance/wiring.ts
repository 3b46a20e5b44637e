// Balancing in the running sidecar: one endpoint registry and one DNS
// discovery per process, fed from every published config. Each version's
// endpoint set follows its source (DNS for a name, a static list for an IP
// literal or `endpoints:`); the state of an endpoint survives reloads keyed by
// version and address. The canary guards of routes live here too. The
// outbound listener asks this module for a request's Upstream and for the
// guard's say on its version. See docs/architecture.md ("Choosing an endpoint").
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CompiledMesh, CompiledRoute, VersionTarget } from '../config/types.ts';
import type { EndpointAddress } from '../discovery/address.ts';
import { DnsDiscovery } from '../discovery/dns.ts';
import { type EndpointSource, StaticSource } from '../discovery/source.ts';
import { BalancedUpstream, type EndpointNote, type VersionBalance } from '../forward/balanced-upstream.ts';
import type { CallDone } from '../forward/call.ts';
import type { UpstreamPools } from '../forward/pools.ts';
import type { OutboundTarget } from '../route/resolve.ts';
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { type EjectionEvent, EndpointRegistry } from './endpoint-set.ts';
import { type CanaryGuard, CanaryGuards, type GuardTrip } from './guard.ts';
import { type EndpointsSnapshot, endpointsSnapshot } from './snapshot.ts';

export interface BalancingOptions {
  readonly metrics: MeshMetrics;
  readonly log: Logger;
  /** MESHLET_DNS_SERVERS, parsed; null: the system's resolvers. */
  readonly dnsServers: readonly string[] | null;
}

interface Feed {
  readonly signature: string;
  readonly source: EndpointSource;
  readonly unsubscribe: () => void;
}

interface RouteGuard {
  readonly guard: CanaryGuard;
  readonly service: string;
  readonly route: string;
  readonly baseline: VersionTarget;
}

/** The /config view of one route's guard. */
export interface GuardView {
  readonly service: string;
  readonly route: string;
  readonly baseline: string;
  readonly tripped: ReadonlyArray<Omit<GuardTrip, 'at'> & { readonly forSeconds: number }>;
}

export class Balancing {
  readonly registry: EndpointRegistry;
  readonly dns: DnsDiscovery;
  readonly #metrics: MeshMetrics;
  readonly #log: Logger;
  readonly #feeds = new Map<string, Feed>();
  readonly #guards = new CanaryGuards();
  /** By compiled object, so a request finds its version's state without building a key. */
  #versions = new WeakMap<VersionTarget, VersionBalance>();
  #routeGuards = new WeakMap<CompiledRoute, RouteGuard>();
  #guardList: RouteGuard[] = [];
  /** `service/version` → destination_service label (the FQDN, as on the request series). */
  #fqdn = new Map<string, string>();
  /** Gauges set to 1, so a reset can set them back to 0. */
  #trippedGauges = new Map<string, [string, string, string]>();
  /** Counts applyInSlices passes: a newer config abandons an older pass. */
  #generation = 0;

  constructor(opts: BalancingOptions) {
    this.#metrics = opts.metrics;
    this.#log = opts.log;
    this.registry = new EndpointRegistry({ onEjection: (e) => this.#ejected(e) });
    this.dns = new DnsDiscovery({
      servers: opts.dnsServers,
      onProblem: (host, message) => opts.log.warn({ host, problem: message }, 'endpoint discovery'),
    });
    opts.metrics.balance.endpoints(() => this.#endpointCounts());
  }

  /** Follows a newly published config at once: sets, their sources and the route guards (start-up). */
  apply(mesh: CompiledMesh): void {
    const steps = this.#applySteps(mesh);
    while (!steps.next().done);
  }

  /**
   * apply() for a hot reload, giving the event loop back every few ms: with
   * thousands of versions the sets and sources take hundreds of ms to build.
   * Until its turn comes, a version of the new config is forwarded to its
   * host as one endpoint (upstream() answers null); a newer config abandons
   * this one part-way, and its own pass finishes the work.
   */
  async applyInSlices(mesh: CompiledMesh, sliceMs = 5): Promise<void> {
    const generation = ++this.#generation;
    const steps = this.#applySteps(mesh);
    let sliceStart = performance.now();
    while (!steps.next().done) {
      if (performance.now() - sliceStart < sliceMs) continue;
      await yieldToLoop();
      if (generation !== this.#generation) return;
      sliceStart = performance.now();
    }
  }

  *#applySteps(mesh: CompiledMesh): Generator<void, void> {
    const keys: string[] = [];
    const versions = new WeakMap<VersionTarget, VersionBalance>();
    const fqdn = new Map<string, string>();
    // Published as it fills: each version is balanced from the moment its set is ready.
    this.#versions = versions;
    for (const service of mesh.services.values()) {
      for (const version of service.versions.values()) {
        const key = `${service.name}/${version.name}`;
        keys.push(key);
        fqdn.set(key, service.fqdn);
        const set = this.registry.set(service.name, version.name, service.balance);
        this.#feed(key, version, (endpoints) => set.update(endpoints));
        versions.set(version, { set, counters: this.#metrics.balance.version(service.fqdn, version.name) });
        yield;
      }
    }
    for (const [key, feed] of this.#feeds) {
      if (fqdn.has(key)) continue;
      feed.unsubscribe();
      feed.source.close();
      this.#feeds.delete(key);
    }
    this.registry.retain(keys);
    this.#fqdn = fqdn;
    this.#applyGuards(mesh);
  }

  /** Settles once every source has its first answer, or after `ms`. */
  async ready(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([Promise.all([...this.#feeds.values()].map((f) => f.source.ready)), timeout]);
    clearTimeout(timer);
  }

  /**
   * The guard's say on a resolved target: a version its route's guard has
   * tripped gives way to the baseline (sticky keys included: they were hashed
   * to the tripped version).
   */
  steer(target: OutboundTarget): OutboundTarget {
    const route = target.route;
    if (route === null || route.guard === null) return target;
    const rg = this.#routeGuards.get(route);
    if (rg === undefined || target.version === null || !rg.guard.isTripped(target.version.name))
      return target;
    return { ...target, version: rg.baseline, origin: rg.baseline.origin };
  }

  /**
   * The call's done callback, watched by the route's guard when it has one:
   * each finished request's version, status and time feed the guard.
   */
  watch(target: OutboundTarget, started: number, done: CallDone): CallDone {
    const route = target.route;
    const version = target.version;
    if (route === null || route.guard === null || version === null) return done;
    const rg = this.#routeGuards.get(route);
    if (rg === undefined) return done;
    return (status, flags, requestBytes, responseBytes, error) => {
      const now = performance.now();
      const trip = rg.guard.observe(version.name, status, now - started, now);
      if (trip !== null) this.#tripped(rg, trip);
      done(status, flags, requestBytes, responseBytes, error);
    };
  }

  /** The Upstream for one request to a listed version; null for a version this config does not know. */
  upstream(
    version: VersionTarget,
    pools: UpstreamPools,
    peerId: string | null,
    note: EndpointNote | null,
  ): BalancedUpstream | null {
    const v = this.#versions.get(version);
    return v === undefined ? null : new BalancedUpstream(v, pools, peerId, note);
  }

  /** The admin port's /endpoints. */
  endpoints(): EndpointsSnapshot {
    return endpointsSnapshot(this.registry);
  }

  /** Guards and their tripped versions, for /config. */
  guards(): GuardView[] {
    const now = performance.now();
    return this.#guardList.map((rg) => ({
      service: rg.service,
      route: rg.route,
      baseline: rg.baseline.name,
      tripped: [...rg.guard.tripped.values()].map(({ at, ...trip }) => ({
        ...trip,
        forSeconds: Math.round((now - at) / 100) / 10,
      })),
    }));
  }

  close(): void {
    for (const feed of this.#feeds.values()) {
      feed.unsubscribe();
      feed.source.close();
    }
    this.#feeds.clear();
    this.dns.close();
  }

  /** Keeps a version's source when it names the same endpoints; opens the new one before closing the old (a shared DNS lookup keeps its answer). */
  #feed(key: string, version: VersionTarget, update: (endpoints: readonly EndpointAddress[]) => void): void {
    const signature =
      version.endpoints === null
        ? `dns ${version.host} ${version.port}`
        : `static ${version.endpoints.map((e) => e.authority).join(' ')}`;
    const old = this.#feeds.get(key);
    if (old?.signature === signature) {
      update(old.source.current());
      return;
    }
    const source =
      version.endpoints === null
        ? this.dns.source(version.host, version.port)
        : new StaticSource(version.endpoints);
    const unsubscribe = source.subscribe(update);
    update(source.current());
    this.#feeds.set(key, { signature, source, unsubscribe });
    if (old !== undefined) {
      old.unsubscribe();
      old.source.close();
    }
  }

  #applyGuards(mesh: CompiledMesh): void {
    const routeGuards = new WeakMap<CompiledRoute, RouteGuard>();
    const list: RouteGuard[] = [];
    const keys: string[] = [];
    for (const service of mesh.services.values()) {
      for (const route of service.routes) {
        const policy = route.guard;
        if (policy === null) continue;
        const baseline =
          route.targets.find((t) => t.name === policy.baseline) ?? service.versions.get(policy.baseline);
        if (baseline === undefined) continue;
        const key = `${service.name}\u0000${route.index}\u0000${route.name}`;
        keys.push(key);
        const weights = route.targets.map((t, i) => `${t.name}=${route.cumulative[i]}`).join(',');
        const rg: RouteGuard = {
          guard: this.#guards.guard(key, policy, weights),
          service: service.fqdn,
          route: route.name,
          baseline,
        };
        routeGuards.set(route, rg);
        list.push(rg);
        // A watched version reads 0 until it trips: a dashboard tells "fine" from "no guard".
        for (const t of route.targets)
          if (t !== baseline && !rg.guard.isTripped(t.name))
            this.#metrics.balance.canaryGuard(rg.service, rg.route, t.name, false);
      }
    }
    this.#guards.retain(keys);
    this.#routeGuards = routeGuards;
    this.#guardList = list;
    // A guard the new weights reset reads 0 again.
    const still = new Set<string>();
    for (const rg of list)
      for (const v of rg.guard.tripped.keys()) still.add(`${rg.service}\u0000${rg.route}\u0000${v}`);
    for (const [key, [service, route, version]] of this.#trippedGauges) {
      if (still.has(key)) continue;
      this.#metrics.balance.canaryGuard(service, route, version, false);
      this.#trippedGauges.delete(key);
      this.#log.info({ service, route, version }, 'canary guard reset: the route changed');
    }
  }

  #tripped(rg: RouteGuard, trip: GuardTrip): void {
    const key = `${rg.service}\u0000${rg.route}\u0000${trip.version}`;
    this.#trippedGauges.set(key, [rg.service, rg.route, trip.version]);
    this.#metrics.balance.canaryGuard(rg.service, rg.route, trip.version, true);
    this.#log.warn(
      {
        service: rg.service,
        route: rg.route,
        version: trip.version,
        baseline: rg.baseline.name,
        reason: trip.reason,
        value: trip.value,
        limit: trip.limit,
        requests: trip.requests,
      },
      'canary guard tripped: the version gets no new requests until the route changes',
    );
  }

  #ejected(e: EjectionEvent): void {
    const service = this.#fqdn.get(e.set.key) ?? e.set.service;
    this.#metrics.balance.version(service, e.set.version).ejection();
    this.#log.warn(
      {
        service: e.set.service,
        version: e.set.version,
        endpoint: e.endpoint.address.authority,
        ejectedForMs: Math.round(e.durationMs),
        ejections: e.ejections,
      },
      'endpoint ejected after consecutive gateway failures',
    );
  }

  *#endpointCounts() {
    for (const set of this.registry.sets()) {
      const c = set.counts();
      yield {
        service: this.#fqdn.get(set.key) ?? set.service,
        version: set.version,
        healthy: c.healthy,
        ejected: c.ejected,
      };
    }
  }
}
