// A version's endpoints from DNS: every A and AAAA record of its host is an
// endpoint (a headless Service answers one record per ready pod). The host is
// looked up again when its records expire, with the TTL held between 1 s and
// 30 s; a lookup that fails or finds nothing keeps the last good set, so a DNS
// hiccup never empties a version. A name DNS does not know (a short name the
// search domains complete, an /etc/hosts entry) is looked up as the system
// does. Only configured hosts are looked up, each by one shared loop however
// many versions name it. See docs/kubernetes.md (headless Services).
import { lookup, Resolver } from 'node:dns/promises';
import { DNS_SERVERS_ENV } from '../contract.ts';
import { type EndpointAddress, endpointAddress, ipFamily, parseDnsServers } from './address.ts';
import { type EndpointSource, type EndpointsListener, StaticSource, sameEndpoints } from './source.ts';

export interface RecordWithTtl {
  address: string;
  ttl: number;
}

/** The two queries this module makes; node:dns/promises' Resolver has them. */
export interface DnsResolver {
  resolve4(host: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(host: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

/** The system's name lookup (getaddrinfo): /etc/hosts and the search domains, no TTL. */
export type SystemLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface DnsDiscoveryOptions {
  /** Server list in Resolver.setServers form (see parseDnsServers); default: the system's. */
  servers?: readonly string[] | null;
  /** Replaces the resolver (tests); `servers` is then ignored. */
  resolver?: DnsResolver;
  /** Asked when DNS has no record of the name; null: never. Default: node:dns lookup. */
  systemLookup?: SystemLookup | null;
  /** Addresses kept per host; a larger answer keeps the lowest ones, so the choice is stable. */
  maxEndpointsPerHost?: number;
  minRefreshMs?: number;
  maxRefreshMs?: number;
  /** A lookup failed (the last good set stays) or its answer was cut to the maximum. */
  onProblem?: (host: string, message: string) => void;
}

export const DNS_DEFAULTS = {
  maxEndpointsPerHost: 1024,
  minRefreshMs: 1_000,
  maxRefreshMs: 30_000,
  // One server gets 1 s and two tries before a lookup counts as failed, so a
  // dead server costs seconds, not c-ares' default of half a minute.
  queryTimeoutMs: 1_000,
  queryTries: 2,
  // getaddrinfo gives no TTL: look again as often as CoreDNS's default TTL.
  systemLookupRefreshMs: 5_000,
} as const;

const systemLookup: SystemLookup = (host) => lookup(host, { all: true });

/** MESHLET_DNS_SERVERS, parsed; null when unset. Throws on a bad value. */
export function dnsServersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | null {
  const raw = env[DNS_SERVERS_ENV];
  return raw === undefined || raw.trim() === '' ? null : parseDnsServers(raw);
}

interface LookupOptions {
  systemLookup: SystemLookup | null;
  maxEndpointsPerHost: number;
  minRefreshMs: number;
  maxRefreshMs: number;
}

interface Ip {
  readonly address: string;
  readonly family: 4 | 6;
}

// Answers that mean "no such records" rather than "the lookup failed".
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

export class DnsDiscovery {
  readonly #resolver: DnsResolver;
  readonly #opts: LookupOptions;
  readonly #onProblem: (host: string, message: string) => void;
  readonly #lookups = new Map<string, HostLookup>();

  constructor(opts: DnsDiscoveryOptions = {}) {
    if (opts.resolver !== undefined) {
      this.#resolver = opts.resolver;
    } else {
      const resolver = new Resolver({ timeout: DNS_DEFAULTS.queryTimeoutMs, tries: DNS_DEFAULTS.queryTries });
      if (opts.servers != null) resolver.setServers([...opts.servers]);
      this.#resolver = resolver;
    }
    this.#opts = {
      systemLookup: opts.systemLookup === undefined ? systemLookup : opts.systemLookup,
      maxEndpointsPerHost: opts.maxEndpointsPerHost ?? DNS_DEFAULTS.maxEndpointsPerHost,
      minRefreshMs: opts.minRefreshMs ?? DNS_DEFAULTS.minRefreshMs,
      maxRefreshMs: opts.maxRefreshMs ?? DNS_DEFAULTS.maxRefreshMs,
    };
    this.#onProblem = opts.onProblem ?? (() => {});
  }

  /**
   * The endpoints of `host` on `port`. An IP literal is its one endpoint with
   * no lookup; a name is looked up until every source for it is closed.
   */
  source(host: string, port: number): EndpointSource {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (ipFamily(bare) !== 0) return new StaticSource([endpointAddress(bare, port)]);
    const name = host.toLowerCase();
    let lookup = this.#lookups.get(name);
    if (lookup === undefined) {
      lookup = new HostLookup(name, this.#resolver, this.#opts, this.#onProblem, () =>
        this.#lookups.delete(name),
      );
      this.#lookups.set(name, lookup);
    }
    return lookup.open(port);
  }

  /** Host names being looked up now (one loop each). */
  get hosts(): readonly string[] {
    return [...this.#lookups.keys()];
  }

  close(): void {
    for (const lookup of [...this.#lookups.values()]) lookup.stop();
    this.#lookups.clear();
  }
}

/** One host's lookup loop, shared by every source that names it. */
class HostLookup {
  readonly #host: string;
  readonly #resolver: DnsResolver;
  readonly #opts: LookupOptions;
  readonly #onProblem: (host: string, message: string) => void;
  readonly #onIdle: () => void;
  readonly #sources = new Set<DnsSource>();
  #ips: readonly Ip[] = [];
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly ready: Promise<void>;
  #markReady!: () => void;

  constructor(
    host: string,
    resolver: DnsResolver,
    opts: LookupOptions,
    onProblem: (host: string, message: string) => void,
    onIdle: () => void,
  ) {
    this.#host = host;
    this.#resolver = resolver;
    this.#opts = opts;
    this.#onProblem = onProblem;
    this.#onIdle = onIdle;
    this.ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    void this.#refresh();
  }

  get ips(): readonly Ip[] {
    return this.#ips;
  }

  open(port: number): DnsSource {
    const source = new DnsSource(this, port);
    this.#sources.add(source);
    return source;
  }

  problem(message: string): void {
    this.#onProblem(this.#host, message);
  }

  release(source: DnsSource): void {
    this.#sources.delete(source);
    if (this.#sources.size === 0) {
      this.stop();
      this.#onIdle();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#markReady();
  }

  async #refresh(): Promise<void> {
    this.#timer = null;
    let delay = this.#opts.maxRefreshMs;
    try {
      delay = await this.#lookupOnce();
    } catch (err) {
      // Nothing from a DNS answer or a listener may stop the loop or reach the process.
      this.#onProblem(this.#host, `lookup error: ${(err as Error).message}`);
    }
    this.#markReady();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#refresh(), delay);
    this.#timer.unref();
  }

  /** One lookup; returns the delay until the next. */
  async #lookupOnce(): Promise<number> {
    const [v4, v6] = await Promise.allSettled([
      this.#resolver.resolve4(this.#host, { ttl: true }),
      this.#resolver.resolve6(this.#host, { ttl: true }),
    ]);
    if (this.#stopped) return 0;
    const next: Ip[] = [];
    let ttl = Number.POSITIVE_INFINITY;
    const problems: string[] = [];
    for (const [family, result] of [
      [4, v4],
      [6, v6],
    ] as const) {
      if (result.status === 'fulfilled') {
        for (const r of result.value) {
          // An answer is network input: take only real addresses of the family asked for.
          if (ipFamily(r.address) !== family) continue;
          next.push({ address: family === 6 ? r.address.toLowerCase() : r.address, family });
          ttl = Math.min(ttl, Number.isFinite(r.ttl) && r.ttl > 0 ? r.ttl * 1000 : 0);
        }
        continue;
      }
      const code = (result.reason as { code?: string } | null)?.code ?? '';
      if (NO_RECORDS.has(code)) continue;
      // This family's lookup failed: keep what it gave last time.
      problems.push(`${family === 4 ? 'A' : 'AAAA'}: ${code || String(result.reason)}`);
      for (const ip of this.#ips) if (ip.family === family) next.push(ip);
    }
    if (next.length === 0 && problems.length === 0 && this.#opts.systemLookup !== null) {
      // DNS knows no such name: it may be a short name the search domains
      // complete, or an /etc/hosts entry (localhost), as getaddrinfo sees them.
      try {
        for (const r of await this.#opts.systemLookup(this.#host)) {
          if ((r.family === 4 || r.family === 6) && ipFamily(r.address) === r.family) {
            next.push({ address: r.address.toLowerCase(), family: r.family });
          }
        }
        ttl = DNS_DEFAULTS.systemLookupRefreshMs;
      } catch (err) {
        problems.push(`system lookup: ${(err as { code?: string }).code ?? (err as Error).message}`);
      }
      if (this.#stopped) return 0;
    }
    let delay: number;
    if (next.length === 0 || problems.length === 2) {
      this.#failures++;
      delay = Math.min(this.#opts.maxRefreshMs, this.#opts.minRefreshMs * 2 ** (this.#failures - 1));
      const why = problems.length > 0 ? problems.join(', ') : 'no A or AAAA records';
      this.#onProblem(this.#host, `lookup failed (${why}); keeping ${this.#ips.length} endpoints`);
    } else {
      if (problems.length > 0) this.#onProblem(this.#host, `partial lookup failure (${problems.join(', ')})`);
      this.#failures = 0;
      delay = Math.min(this.#opts.maxRefreshMs, Math.max(this.#opts.minRefreshMs, ttl));
      this.#apply(next);
    }
    return delay;
  }

  #apply(answer: Ip[]): void {
    const unique = new Map<string, Ip>();
    for (const ip of answer) unique.set(ip.address, ip);
    // Sorted so that a rotated answer is the same set and a cut keeps the same addresses.
    let ips = [...unique.values()].sort((a, b) =>
      a.family !== b.family
        ? a.family - b.family
        : a.address < b.address
          ? -1
          : a.address > b.address
            ? 1
            : 0,
    );
    if (ips.length > this.#opts.maxEndpointsPerHost) {
      this.#onProblem(
        this.#host,
        `${ips.length} addresses, keeping the first ${this.#opts.maxEndpointsPerHost}`,
      );
      ips = ips.slice(0, this.#opts.maxEndpointsPerHost);
    }
    const same =
      ips.length === this.#ips.length && ips.every((ip, i) => ip.address === this.#ips[i]!.address);
    if (same) return;
    this.#ips = ips;
    for (const source of this.#sources) source.changed();
  }
}

class DnsSource implements EndpointSource {
  readonly #lookup: HostLookup;
  readonly #port: number;
  readonly #listeners = new Set<EndpointsListener>();
  #endpoints: readonly EndpointAddress[] = [];
  #closed = false;

  constructor(lookup: HostLookup, port: number) {
    this.#lookup = lookup;
    this.#port = port;
    this.#endpoints = this.#map();
  }

  get ready(): Promise<void> {
    return this.#lookup.ready;
  }

  current(): readonly EndpointAddress[] {
    return this.#endpoints;
  }

  subscribe(listener: EndpointsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed(): void {
    const next = this.#map();
    if (sameEndpoints(next, this.#endpoints)) return;
    this.#endpoints = next;
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (err) {
        this.#lookup.problem(`endpoint listener failed: ${(err as Error).message}`);
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#lookup.release(this);
  }

  #map(): readonly EndpointAddress[] {
    return Object.freeze(this.#lookup.ips.map((ip) => endpointAddress(ip.address, this.#port)));
  }
}
