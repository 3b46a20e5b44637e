// Balancing in the running sidecar: one endpoint registry and one DNS
// discovery per process, fed from every published config. A version's
// balancing state (its endpoint set, breaker, retry budget and counters) is
// made on the first request that picks it, not for every version a config
// lists: a large registry costs little until its services get traffic. The
// state survives reloads keyed by service/version and address, and goes when
// the config drops the version. Discovery of a DNS-named version starts when
// the config is applied, so its first request already has its endpoints. The
// canary guards of routes live here too. The outbound listener asks this
// module for a request's Upstream and for the guard's say on its version. See
// docs/architecture.md ("Choosing an endpoint").
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CompiledMesh, CompiledRoute, CompiledService, VersionTarget } from '../config/types.ts';
import { type EndpointAddress, endpointAddress, ipFamily } from '../discovery/address.ts';
import { DnsDiscovery, type DnsResolver } from '../discovery/dns.ts';
import { type EndpointSource, StaticSource } from '../discovery/source.ts';
import { BalancedUpstream, type EndpointNote, type VersionBalance } from '../forward/balanced-upstream.ts';
import type { CallDone } from '../forward/call.ts';
import type { UpstreamPools } from '../forward/pools.ts';
import type { OutboundTarget } from '../route/resolve.ts';
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { type EjectionEvent, EndpointRegistry, type VersionEndpointsSnapshot } from './endpoint-set.ts';
import { type CanaryGuard, CanaryGuards, type GuardTrip } from './guard.ts';
import { type EndpointsSnapshot, endpointsSnapshot, idleSnapshot } from './snapshot.ts';

export interface BalancingOptions {
  readonly metrics: MeshMetrics;
  readonly log: Logger;
  /** MESHLET_DNS_SERVERS, parsed; null: the system's resolvers. */
  readonly dnsServers: readonly string[] | null;
  /** Replaces the DNS resolver (tests). */
  readonly dnsResolver?: DnsResolver;
}

interface Feed {
  readonly signature: string;
  readonly source: EndpointSource;
  readonly unsubscribe: () => void;
  /** The source has given its first answer (or failed to): an empty set now means no endpoints. */
  settled: boolean;
}

/** A version's balancing state, made on its first request. */
interface Live extends VersionBalance {
  /** The destination_service label of its series (the FQDN, as on the request series). */
  readonly fqdn: string;
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
  /** By `service/version`: DNS-named versions of the config, and every version with state. */
  readonly #feeds = new Map<string, Feed>();
  readonly #guards = new CanaryGuards();
  /** By `service/version`: the versions that have had a request. Bounded by the config. */
  readonly #live = new Map<string, Live>();
  /** By compiled object, so a request finds its version's state without building a key. */
  #versions = new WeakMap<VersionTarget, Live>();
  /** The service of each version of the config being applied (those its pass has reached). */
  #owners = new WeakMap<VersionTarget, CompiledService>();
  #mesh: CompiledMesh | null = null;
  #routeGuards = new WeakMap<CompiledRoute, RouteGuard>();
  #guardList: RouteGuard[] = [];
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
      ...(opts.dnsResolver && { resolver: opts.dnsResolver }),
      onProblem: (host, message) => opts.log.warn({ host, problem: message }, 'endpoint discovery'),
    });
    opts.metrics.balance.endpoints(() => this.#endpointCounts());
  }

  /** Follows a newly published config at once: state carried over, DNS discovery, route guards (start-up). */
  apply(mesh: CompiledMesh): void {
    const steps = this.#applySteps(mesh);
    while (!steps.next().done);
  }

  /**
   * apply() for a hot reload, giving the event loop back every few ms. Until
   * its turn comes, a version of the new config is forwarded to its host as
   * one endpoint (upstream() answers null); a newer config abandons this one
   * part-way, and its own pass finishes the work.
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
    const keys = new Set<string>();
    const owners = new WeakMap<VersionTarget, CompiledService>();
    const versions = new WeakMap<VersionTarget, Live>();
    // Published as it fills: each version is balanced from the moment its pass reaches it.
    this.#owners = owners;
    this.#versions = versions;
    this.#mesh = mesh;
    for (const service of mesh.services.values()) {
      for (const version of service.versions.values()) {
        const key = `${service.name}/${version.name}`;
        keys.add(key);
        owners.set(version, service);
        const live = this.#live.get(key);
        if (live !== undefined) versions.set(version, this.#carry(key, live, service, version));
        else if (dnsNamed(version)) this.#feed(key, version);
        else this.#closeFeed(key);
        yield;
      }
    }
    for (const key of this.#feeds.keys()) if (!keys.has(key)) this.#closeFeed(key);
    // A version the config dropped: its series go now, its set drains (registry.retain).
    for (const [key, live] of this.#live) {
      if (keys.has(key)) continue;
      this.#live.delete(key);
      this.#metrics.balance.forget(live.fqdn, live.set.version);
    }
    this.registry.retain(this.#live.keys());
    this.#applyGuards(mesh);
  }

  /** A version with state in the config being applied: the new policy, source and labels, the same set. */
  #carry(key: string, live: Live, service: CompiledService, version: VersionTarget): Live {
    this.registry.set(service.name, version.name, service.balance);
    this.#feed(key, version);
    if (live.fqdn === service.fqdn) return live;
    this.#metrics.balance.forget(live.fqdn, version.name);
    const next: Live = {
      set: live.set,
      counters: this.#metrics.balance.version(service.fqdn, version.name),
      fqdn: service.fqdn,
    };
    this.#live.set(key, next);
    return next;
  }

  /** A version's state on its first request; null: not in the config, or its name not answered yet. */
  #start(version: VersionTarget): Live | null {
    const service = this.#owners.get(version);
    if (service === undefined) return null;
    const key = `${service.name}/${version.name}`;
    let live = this.#live.get(key);
    if (live === undefined) {
      const feed = this.#feed(key, version);
      const endpoints = feed.source.current();
      // A reload's new name, still being looked up: the host as one endpoint (the system's lookup) rather than a 503.
      if (!feed.settled && endpoints.length === 0) return null;
      const set = this.registry.set(service.name, version.name, service.balance);
      set.update(endpoints);
      live = { set, counters: this.#metrics.balance.version(service.fqdn, version.name), fqdn: service.fqdn };
      this.#live.set(key, live);
    }
    this.#versions.set(version, live);
    return live;
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
    const v = this.#versions.get(version) ?? this.#start(version);
    return v === null ? null : new BalancedUpstream(v, pools, peerId, note);
  }

  /** The admin port's /endpoints: every version of the config, and those still draining. */
  endpoints(): EndpointsSnapshot {
    return endpointsSnapshot(this.registry, this.#idleVersions());
  }

  /** Versions without state, as a fresh set of their known endpoints would show them. */
  *#idleVersions(): Generator<VersionEndpointsSnapshot> {
    const mesh = this.#mesh;
    if (mesh === null) return;
    for (const service of mesh.services.values()) {
      for (const version of service.versions.values()) {
        const key = `${service.name}/${version.name}`;
        if (this.#live.has(key)) continue;
        const known = this.#feeds.get(key)?.source.current() ?? listed(version) ?? [];
        yield idleSnapshot(service.name, version.name, service.balance.loadBalancer, known);
      }
    }
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

  /**
   * A version's source: kept when it names the same endpoints, else the new
   * one is opened before the old is closed (a shared DNS lookup keeps its
   * answer) and the version's set, if it has one, takes the new endpoints.
   */
  #feed(key: string, version: VersionTarget): Feed {
    const list = listed(version);
    const signature =
      list === null
        ? `dns ${version.host} ${version.port}`
        : `static ${list.map((e) => e.authority).join(' ')}`;
    const old = this.#feeds.get(key);
    if (old?.signature === signature) return old;
    const source = list === null ? this.dns.source(version.host, version.port) : new StaticSource(list);
    const unsubscribe = source.subscribe((endpoints) => this.#live.get(key)?.set.update(endpoints));
    const feed: Feed = { signature, source, unsubscribe, settled: list !== null };
    if (!feed.settled)
      void source.ready.then(() => {
        feed.settled = true;
      });
    this.#feeds.set(key, feed);
    this.#live.get(key)?.set.update(source.current());
    if (old !== undefined) {
      old.unsubscribe();
      old.source.close();
    }
    return feed;
  }

  #closeFeed(key: string): void {
    const feed = this.#feeds.get(key);
    if (feed === undefined) return;
    feed.unsubscribe();
    feed.source.close();
    this.#feeds.delete(key);
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
    this.#live.get(e.set.key)?.counters.ejection();
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
        service: this.#live.get(set.key)?.fqdn ?? set.service,
        version: set.version,
        healthy: c.healthy,
        ejected: c.ejected,
      };
    }
  }
}

/** A DNS name to look up (no `endpoints:`, a host that is not an IP literal). */
function dnsNamed(version: VersionTarget): boolean {
  return version.endpoints === null && ipFamily(version.host) === 0;
}

/** The endpoints the config names itself: `endpoints:`, or a host that is an IP literal; null: a name. */
function listed(version: VersionTarget): readonly EndpointAddress[] | null {
  if (version.endpoints !== null) return version.endpoints;
  return ipFamily(version.host) === 0 ? null : [endpointAddress(version.host, version.port)];
}
