// Validated mesh.yaml → immutable snapshot. Everything the request path needs
// is precomputed here: host lookup table, compiled regexes, cumulative weights,
// timeouts in ms, SPIFFE ids. The request path never parses or allocates config.

import { grpcStatusCode } from '../grpc/status.ts';
import { pathPrefixMatches } from '../policy/rewrite.ts';
import type { RoutePolicy } from '../policy/route-policy.ts';
import { compileAllowRules } from './compile-allow.ts';
import { compileBalance, compileEndpoints, compileGuard } from './compile-balance.ts';
import { CompileError, CompileErrors } from './compile-error.ts';
import { compileGrpcMatch } from './compile-grpc.ts';
import { compileRoutePolicyAt, compileServiceDefaults, compileServiceRateLimit } from './compile-policy.ts';
import { parseDuration } from './duration.ts';
import { HOST_EXPECTED, originOf } from './host.ts';
import { compileRegex } from './regex.ts';
import type {
  CompiledMesh,
  CompiledRoute,
  CompiledService,
  PodPolicy,
  RawMesh,
  RawRoute,
  RawService,
  RawStringMatch,
  RetryPolicy,
  SidecarIdentity,
  StringMatcher,
  VersionTarget,
} from './types.ts';

export { CompileError, CompileErrors };

const DEFAULT_IDLE_TIMEOUT_MS = 4000;
// Envoy's stream_idle_timeout default.
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_TRACE_SAMPLING = 0.01;
const CLUSTER_DOMAIN = 'cluster.local';

type CompileMeta = { hash: string; source: string; self: SidecarIdentity };

/** Throws CompileErrors listing every semantic problem found (not only the first). */
export function compileMesh(raw: RawMesh, meta: CompileMeta): CompiledMesh {
  const steps = compileMeshSteps(raw, meta);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * compileMesh in steps: it pauses after every `slice` services, so a hot reload
 * can give the event loop back between steps (a 2,000-service config takes
 * about 100-300 ms to compile; see docs/configuration.md, "Reloading"). One
 * service a step: the caller decides by the clock when to yield, and 25 cold
 * services took up to 46 ms before V8 had optimized anything.
 */
export function* compileMeshSteps(raw: RawMesh, meta: CompileMeta, slice = 1): Generator<void, CompiledMesh> {
  const trustDomain = raw.trustDomain ?? 'cluster.local';
  const mtls = raw.mtls ?? 'permissive';
  const rawServices = raw.services ?? {};
  const errors: CompileError[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof CompileErrors) errors.push(...err.errors);
      else if (err instanceof CompileError) errors.push(err);
      else throw err;
      return undefined;
    }
  };
  const streamIdleTimeoutMs =
    collect(() => duration(raw.streamIdleTimeout, ['streamIdleTimeout'])) ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;

  // Identities first: allow rules name other services by their registry entry.
  const identities = new Map<string, { namespace: string; serviceAccount: string }>();
  for (const [name, svc] of Object.entries(rawServices)) {
    identities.set(name, {
      namespace: svc.namespace ?? meta.self.namespace,
      serviceAccount: svc.serviceAccount ?? name,
    });
  }

  const services = new Map<string, CompiledService>();
  const hosts = new Map<string, CompiledService>();
  let compiledCount = 0;
  const regexes = new Map<string, StringMatcher>();
  const shared: Shared = { responseHeaders: new Map(), retries: new Map() };
  for (const [name, svc] of Object.entries(rawServices)) {
    const compiled = collect(() =>
      compileService(name, svc, {
        trustDomain,
        mtls,
        self: meta.self,
        identities,
        streamIdleTimeoutMs,
        regexes,
        shared,
      }),
    );
    if (++compiledCount % slice === 0) yield;
    if (compiled === undefined) continue;
    services.set(name, compiled);
    for (const host of hostSpellings(compiled)) {
      if (!hosts.has(host)) hosts.set(host, compiled);
    }
  }

  const upstreamIdleTimeoutMs =
    collect(() => duration(raw.upstreamIdleTimeout, ['upstreamIdleTimeout'])) ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (errors.length > 0) throw new CompileErrors(errors);

  return Object.freeze({
    hash: meta.hash,
    source: meta.source,
    loadedAt: new Date(),
    raw,
    trustDomain,
    mtls,
    outboundTrafficPolicy: raw.outboundTrafficPolicy ?? 'allowAny',
    upstreamIdleTimeoutMs,
    streamIdleTimeoutMs,
    tracing: Object.freeze({
      sampling: raw.tracing === undefined ? 0 : (raw.tracing.sampling ?? DEFAULT_TRACE_SAMPLING),
      otlpEndpoint: raw.tracing?.otlpEndpoint ?? null,
    }),
    accessLog: Object.freeze({
      enabled: raw.accessLog !== undefined && raw.accessLog.enabled !== false,
      format: raw.accessLog?.format ?? 'json',
    }),
    hosts,
    services,
    self: meta.self,
    pod: podPolicy(services, mtls, trustDomain, meta.self),
  });
}

function podPolicy(
  services: ReadonlyMap<string, CompiledService>,
  mtls: CompiledMesh['mtls'],
  trustDomain: string,
  self: SidecarIdentity,
): PodPolicy {
  let needsCertificates = mtls !== 'disable';
  for (const s of services.values()) if (s.mtls !== 'disable') needsCertificates = true;
  const service = services.get(self.service) ?? null;
  return Object.freeze({
    service,
    mtls: service?.mtls ?? mtls,
    spiffeId: `spiffe://${trustDomain}/ns/${self.namespace}/sa/${self.serviceAccount}`,
    needsCertificates,
  });
}

/**
 * Immutable parts many services compile to the same value, made once per
 * load: a large registry repeats them thousands of times (BENCHMARKS.md, "A
 * 2,000-service config").
 */
interface Shared {
  /** By version name. */
  responseHeaders: Map<string, readonly string[]>;
  /** By the service's `retries` as JSON. */
  retries: Map<string, RetryPolicy | null>;
}

interface ServiceContext {
  /** Regexes compiled so far in this load, by source: a pattern repeated across routes is compiled once. */
  regexes: Map<string, StringMatcher>;
  shared: Shared;
  trustDomain: string;
  mtls: CompiledMesh['mtls'];
  self: SidecarIdentity;
  identities: ReadonlyMap<string, { namespace: string; serviceAccount: string }>;
  streamIdleTimeoutMs: number;
}

function compileService(name: string, svc: RawService, ctx: ServiceContext): CompiledService {
  const at = ['services', name];
  const { namespace, serviceAccount } = ctx.identities.get(name)!;
  const port = svc.port ?? 80;

  const versions = new Map<string, VersionTarget>();
  // A service listed without versions is one backend: its own host name.
  const rawVersions = svc.versions ?? { default: { host: name, port } };
  const errors: CompileError[] = [];
  for (const [version, v] of Object.entries(rawVersions)) {
    const vport = v.port ?? port;
    let endpoints: VersionTarget['endpoints'] = null;
    try {
      endpoints = compileEndpoints(v, vport, [...at, 'versions', version]);
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      errors.push(err);
    }
    // With only `endpoints:`, the first one stands for the version where one address is needed (upgrades).
    const host = v.host ?? endpoints?.[0]?.address ?? '';
    const origin =
      v.host === undefined
        ? endpoints === null
          ? ''
          : `http://${endpoints[0]!.authority}`
        : originOf(host, vport);
    // A refused host is reported and the version kept, so routes naming it are still checked;
    // the service is never published with it (errors are thrown below).
    if (origin === null)
      errors.push(new CompileError([...at, 'versions', version, 'host'], hostMessage(host)));
    versions.set(
      version,
      Object.freeze({
        name: version,
        host: host.startsWith('[') ? host.slice(1, -1) : host,
        port: vport,
        origin: flat(origin ?? ''),
        responseHeader: responseHeaderOf(version, ctx.shared),
        endpoints,
      }),
    );
  }

  const timeoutMs = duration(svc.timeout, [...at, 'timeout']) ?? 0;
  // Without routes, traffic spreads evenly over every version, like a plain Kubernetes Service.
  const rawRoutes: RawRoute[] = svc.routes ?? [
    { split: Object.fromEntries([...versions.keys()].map((v) => [v, 1])) },
  ];
  const versionNames = new Set(versions.keys());
  const defaults = compileServiceDefaults(svc, at, versionNames, errors);
  const routes: CompiledRoute[] = [];
  rawRoutes.forEach((r, i) => {
    try {
      const policy = compileRoutePolicyAt(r, [...at, 'routes', i], versionNames, defaults);
      routes.push(compileRoute(r, i, versions, timeoutMs, [...at, 'routes', i], ctx.regexes, policy));
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      errors.push(err);
    }
  });

  const allowCtx = {
    trustDomain: ctx.trustDomain,
    sidecarNamespace: ctx.self.namespace,
    services: ctx.identities,
  };
  const rateLimit = compileServiceRateLimit(svc, at, allowCtx, errors);
  let allow: CompiledService['allow'] = null;
  try {
    allow = compileAllowRules(svc, [...at], allowCtx);
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    errors.push(err);
  }
  const streamIdleTimeoutMs =
    duration(svc.streamIdleTimeout, [...at, 'streamIdleTimeout']) ?? ctx.streamIdleTimeoutMs;
  if (errors.length > 0) throw new CompileErrors(errors);

  return Object.freeze({
    name,
    namespace,
    serviceAccount,
    spiffeId: flat(`spiffe://${ctx.trustDomain}/ns/${namespace}/sa/${serviceAccount}`),
    fqdn: flat(`${name}.${namespace}.svc.${CLUSTER_DOMAIN}`),
    port,
    mtls: svc.mtls ?? ctx.mtls,
    protocol: svc.protocol ?? 'http',
    versions,
    routes: Object.freeze(routes.slice()),
    timeoutMs,
    streamIdleTimeoutMs,
    retry: sharedRetry(svc.retries, [...at, 'retries'], ctx.shared),
    balance: compileBalance(svc, at),
    allow,
    rateLimit,
  });
}

function compileRoute(
  r: RawRoute,
  index: number,
  versions: ReadonlyMap<string, VersionTarget>,
  serviceTimeoutMs: number,
  at: (string | number)[],
  regexes: Map<string, StringMatcher>,
  policy: RoutePolicy,
): CompiledRoute {
  const targets: VersionTarget[] = [];
  const cumulative: number[] = [];
  let total = 0;
  // A route that only redirects sends nowhere: it needs no split (the schema cannot say "one of").
  if (r.split === undefined && policy.redirect === null)
    throw new CompileError(at, 'a route needs split (or redirect, which answers the caller itself)');
  for (const [version, weight] of Object.entries(r.split ?? {})) {
    const target = versions.get(version);
    if (target === undefined) {
      throw new CompileError(
        [...at, 'split', version],
        `split names version '${version}', which the service does not list under versions (known: ${[...versions.keys()].join(', ')})`,
      );
    }
    if (weight <= 0) continue;
    total += weight;
    targets.push(target);
    cumulative.push(total);
  }
  if (total === 0 && !(r.split === undefined && policy.redirect !== null))
    throw new CompileError([...at, 'split'], 'split needs at least one version with a positive weight');

  const headers: CompiledRoute['headers'][number][] = Object.entries(r.match?.headers ?? {}).map(
    ([name, m]) => ({
      name: name.toLowerCase(),
      present: m.present !== false,
      test: m.present === undefined ? stringMatcher(m, [...at, 'match', 'headers', name], regexes) : null,
    }),
  );
  // A gRPC match is a gRPC content type and the method's path (compile-grpc.ts).
  const grpc = compileGrpcMatch(r.match, [...at, 'match']);
  if (grpc !== null) headers.push(grpc.contentType);
  const methods =
    r.match?.method === undefined
      ? null
      : new Set(Array.isArray(r.match.method) ? r.match.method : [r.match.method]);

  return Object.freeze({
    name: r.name ?? `route-${index}`,
    index,
    headers: Object.freeze(headers.slice()),
    path:
      grpc !== null
        ? grpc.path
        : r.match?.path === undefined
          ? null
          : pathMatcher(r.match.path, [...at, 'match', 'path'], regexes),
    methods,
    // Copies: an array grown by push keeps spare slots, thousands of routes over.
    targets: Object.freeze(targets.slice()),
    cumulative: Object.freeze(cumulative.slice()),
    totalWeight: total,
    sticky:
      r.sticky === undefined ? null : Object.freeze({ ...r.sticky, header: r.sticky.header?.toLowerCase() }),
    timeoutMs: duration(r.timeout, [...at, 'timeout']) ?? serviceTimeoutMs,
    policy,
    guard: r.split === undefined ? null : compileGuard(r.guard, r.split, [...at, 'guard']),
  });
}

/** A path prefix matches on segment boundaries: `/v2` matches `/v2` and `/v2/x`, never `/v2example`. */
function pathMatcher(
  m: RawStringMatch,
  at: (string | number)[],
  regexes: Map<string, StringMatcher>,
): StringMatcher {
  if (m.prefix === undefined) return stringMatcher(m, at, regexes);
  const prefix = m.prefix;
  return (v) => pathPrefixMatches(prefix, v);
}

function stringMatcher(
  m: RawStringMatch,
  at: (string | number)[],
  regexes: Map<string, StringMatcher>,
): StringMatcher {
  if (m.exact !== undefined) {
    const exact = m.exact;
    return (v) => v === exact;
  }
  if (m.prefix !== undefined) {
    const prefix = m.prefix;
    return (v) => v.startsWith(prefix);
  }
  const known = regexes.get(m.regex!);
  if (known !== undefined) return known;
  const compiled = compileRegex(m.regex!);
  if (!compiled.ok) throw new CompileError([...at, 'regex'], compiled.message);
  regexes.set(m.regex!, compiled.test);
  return compiled.test;
}

function hostMessage(host: string): string {
  return `expected ${HOST_EXPECTED} (got '${host}')`;
}

function responseHeaderOf(version: string, shared: Shared): readonly string[] {
  let header = shared.responseHeaders.get(version);
  if (header === undefined) {
    header = Object.freeze(['x-meshlet-upstream-version', version]);
    shared.responseHeaders.set(version, header);
  }
  return header;
}

/** compileRetry, one object for every service with the same `retries`. */
function sharedRetry(r: RawService['retries'], at: (string | number)[], shared: Shared): RetryPolicy | null {
  if (r === undefined) return null;
  const key = JSON.stringify(r);
  let policy = shared.retries.get(key);
  if (policy === undefined) {
    policy = compileRetry(r, at);
    shared.retries.set(key, policy);
  }
  return policy;
}

const RETRY_KEYWORDS: Record<string, readonly number[]> = {
  '5xx': [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511],
  'gateway-error': [502, 503, 504],
};

function compileRetry(r: RawService['retries'], at: (string | number)[]): RetryPolicy | null {
  if (r === undefined || r.attempts === 0) return null;
  const on = r.on ?? ['connect-failure', 'reset', 'gateway-error'];
  const statuses = new Set<number>();
  const grpcStatuses = new Set<number>();
  for (const cond of on) {
    if (typeof cond === 'number') statuses.add(cond);
    else if (RETRY_KEYWORDS[cond] !== undefined) for (const code of RETRY_KEYWORDS[cond]) statuses.add(code);
    else {
      const grpc = grpcStatusCode(cond);
      if (grpc !== null) grpcStatuses.add(grpc);
    }
  }
  return Object.freeze({
    attempts: r.attempts,
    onConnectFailure: on.includes('connect-failure'),
    onReset: on.includes('reset'),
    statuses,
    grpcStatuses,
    perTryTimeoutMs: duration(r.perTryTimeout, [...at, 'perTryTimeout']) ?? 0,
  });
}

// Node's timers take at most 2^31 - 1 ms; a longer delay fires after 1 ms instead.
const MAX_DURATION_MS = 2 ** 31 - 1;

function duration(text: string | undefined, at: (string | number)[]): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new CompileError(at, (err as Error).message);
  }
  if (ms > MAX_DURATION_MS)
    throw new CompileError(at, `${at.join('.')}: expected a duration of at most 596h (got '${text}')`);
  return ms;
}

/** Every host spelling a service answers to (docs/configuration.md), with and without its port. */
function hostSpellings(s: CompiledService): string[] {
  const names = [s.name, `${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc`, s.fqdn];
  return names.flatMap((n) => [flat(n), flat(`${n}:${s.port}`)]);
}

/**
 * The same text as one flat string. A template literal builds a rope (a tree
 * of string pieces); kept by the thousand as keys and labels, the ropes cost
 * more than their text. A property key is stored flat and shared.
 */
function flat(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}
