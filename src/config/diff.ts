// What an edit to mesh.yaml changes in effect, for `meshlet diff`: routes
// (added, removed, moved, their match conditions), each version's share of a
// route, versions and their hosts, allow rules and policies. Both configs are
// compiled first, so spellings that mean the same (`5s` and `5000ms`, weights
// 1:1 and 50:50, `from: [reviews]` and `ns/default/sa/reviews`) are no change.
// See docs/cli.md, "meshlet diff".
import { principalOf } from '../authz/allow.ts';
import type { CompiledMesh, CompiledRoute, CompiledService, RawRoute, RawService } from './types.ts';

export interface Change {
  /** Where: `mesh`, or `service reviews`, `service reviews route api`. */
  readonly scope: string;
  /** What: `split`, `match`, `timeout`, `allow rule #0`, `version v2`, ... */
  readonly what: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly old?: unknown;
  readonly new?: unknown;
}

type Json = unknown;

// Route options compared as written.
const ROUTE_OPTIONS = ['fault', 'mirror', 'headers', 'redirect', 'rewrite', 'guard'] as const;
// Settings compared in their compiled form; any other key is compared as written.
const MESH_KEYS = new Set([
  'trustDomain',
  'mtls',
  'outboundTrafficPolicy',
  'tracing',
  'upstreamIdleTimeout',
  'streamIdleTimeout',
  'services',
]);
const SERVICE_KEYS = new Set([
  'namespace',
  'serviceAccount',
  'port',
  'mtls',
  'versions',
  'timeout',
  'streamIdleTimeout',
  'retries',
  'routes',
  'allow',
]);

/** Keys either side has that are not in `handled`, in a stable order. */
function otherKeys(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  handled: ReadonlySet<string>,
): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !handled.has(k)).sort();
}

export function diffMeshes(before: CompiledMesh, after: CompiledMesh): Change[] {
  const out: Change[] = [];
  const mesh = (what: string, a: Json, b: Json) => compare(out, 'mesh', what, a, b);
  mesh('trustDomain', before.trustDomain, after.trustDomain);
  mesh('mtls', before.mtls, after.mtls);
  mesh('outboundTrafficPolicy', before.outboundTrafficPolicy, after.outboundTrafficPolicy);
  mesh('tracing', before.tracing, after.tracing);
  mesh('upstreamIdleTimeout', ms(before.upstreamIdleTimeoutMs), ms(after.upstreamIdleTimeoutMs));
  mesh('streamIdleTimeout', ms(before.streamIdleTimeoutMs), ms(after.streamIdleTimeoutMs));
  // Any other mesh-wide setting (accessLog, ...), as written.
  const rawA = before.raw as Record<string, unknown>;
  const rawB = after.raw as Record<string, unknown>;
  for (const key of otherKeys(rawA, rawB, MESH_KEYS)) mesh(key, rawA[key] ?? null, rawB[key] ?? null);
  for (const [name, a] of before.services) {
    const b = after.services.get(name);
    if (b === undefined)
      out.push({ scope: `service ${name}`, what: 'service', kind: 'removed', old: summary(a) });
    else diffService(out, before, after, a, b);
  }
  for (const [name, b] of after.services) {
    if (!before.services.has(name))
      out.push({ scope: `service ${name}`, what: 'service', kind: 'added', new: summary(b) });
  }
  return out;
}

function diffService(
  out: Change[],
  meshA: CompiledMesh,
  meshB: CompiledMesh,
  a: CompiledService,
  b: CompiledService,
): void {
  const scope = `service ${a.name}`;
  const rawA: RawService = meshA.raw.services?.[a.name] ?? {};
  const rawB: RawService = meshB.raw.services?.[b.name] ?? {};
  const cmp = (what: string, x: Json, y: Json) => compare(out, scope, what, x, y);
  cmp('namespace', a.namespace, b.namespace);
  cmp('serviceAccount', a.serviceAccount, b.serviceAccount);
  cmp('port', a.port, b.port);
  cmp('mtls', a.mtls, b.mtls);
  for (const [v, x] of a.versions) {
    const y = b.versions.get(v);
    if (y === undefined) out.push({ scope, what: `version ${v}`, kind: 'removed', old: where(x) });
    else cmp(`version ${v}`, where(x), where(y));
  }
  for (const [v, y] of b.versions)
    if (!a.versions.has(v)) out.push({ scope, what: `version ${v}`, kind: 'added', new: where(y) });
  cmp('timeout', ms(a.timeoutMs), ms(b.timeoutMs));
  cmp('streamIdleTimeout', ms(a.streamIdleTimeoutMs), ms(b.streamIdleTimeoutMs));
  cmp('retries', retries(a), retries(b));
  // The route options and every other service setting, as written.
  const optsA = rawA as Record<string, unknown>;
  const optsB = rawB as Record<string, unknown>;
  for (const key of otherKeys(optsA, optsB, SERVICE_KEYS)) cmp(key, optsA[key] ?? null, optsB[key] ?? null);
  diffAllow(out, scope, meshA, meshB, rawA, rawB);
  diffRoutes(out, a, b, rawA, rawB);
}

/** Routes are paired by name (unnamed ones by position); first match wins, so a move is a change too. */
function diffRoutes(
  out: Change[],
  a: CompiledService,
  b: CompiledService,
  rawA: RawService,
  rawB: RawService,
): void {
  const byName = new Map(b.routes.map((r) => [r.name, r]));
  for (const ra of a.routes) {
    const scope = `service ${a.name} route ${ra.name}`;
    const rb = byName.get(ra.name);
    if (rb === undefined) {
      out.push({ scope, what: 'route', kind: 'removed', old: routeSummary(ra, rawA.routes?.[ra.index]) });
      continue;
    }
    const x = rawA.routes?.[ra.index];
    const y = rawB.routes?.[rb.index];
    const cmp = (what: string, p: Json, q: Json) => compare(out, scope, what, p, q);
    cmp('position', `#${ra.index}`, `#${rb.index}`);
    cmp('match', matchOf(x), matchOf(y));
    diffSplit(out, scope, ra, rb);
    cmp('sticky', ra.sticky, rb.sticky);
    // A route without its own timeout follows the service's, whose change is reported once.
    cmp(
      'timeout',
      x?.timeout === undefined ? null : ms(ra.timeoutMs),
      y?.timeout === undefined ? null : ms(rb.timeoutMs),
    );
    for (const key of ROUTE_OPTIONS) cmp(key, x?.[key] ?? null, y?.[key] ?? null);
  }
  const names = new Set(a.routes.map((r) => r.name));
  for (const rb of b.routes) {
    if (!names.has(rb.name))
      out.push({
        scope: `service ${a.name} route ${rb.name}`,
        what: 'route',
        kind: 'added',
        new: routeSummary(rb, rawB.routes?.[rb.index]),
      });
  }
}

/** Each version's share in percent: weights that keep the same proportions are no change. */
export function sharesOf(route: CompiledRoute): Record<string, number> {
  const out: Record<string, number> = {};
  route.targets.forEach((t, i) => {
    const w = route.cumulative[i]! - (i === 0 ? 0 : route.cumulative[i - 1]!);
    out[t.name] = Math.round((w / route.totalWeight) * 10000) / 100;
  });
  return out;
}

function diffSplit(out: Change[], scope: string, a: CompiledRoute, b: CompiledRoute): void {
  const x = sharesOf(a);
  const y = sharesOf(b);
  const versions = [...new Set([...Object.keys(x), ...Object.keys(y)])];
  if (versions.every((v) => x[v] === y[v])) return;
  out.push({
    scope,
    what: 'split',
    kind: 'changed',
    old: Object.fromEntries(versions.map((v) => [v, x[v] ?? 0])),
    new: Object.fromEntries(versions.map((v) => [v, y[v] ?? 0])),
  });
}

/** A route's match as the data path reads it: header names in lower case, methods as a sorted list. */
function matchOf(raw: RawRoute | undefined): Json {
  const m = raw?.match;
  if (m === undefined) return null;
  const out: Record<string, Json> = {};
  if (m.method !== undefined) out.method = [...(Array.isArray(m.method) ? m.method : [m.method])].sort();
  if (m.path !== undefined) out.path = m.path;
  if (m.headers !== undefined)
    out.headers = Object.fromEntries(
      Object.entries(m.headers)
        .map(([k, v]) => [k.toLowerCase(), v] as const)
        .sort(([p], [q]) => (p < q ? -1 : 1)),
    );
  const query = (m as { query?: unknown }).query;
  if (query !== undefined) out.query = query;
  return Object.keys(out).length === 0 ? null : out;
}

/** Allow rules compared by what they let in: each `from` entry as the SPIFFE ID it names. */
function diffAllow(
  out: Change[],
  scope: string,
  meshA: CompiledMesh,
  meshB: CompiledMesh,
  rawA: RawService,
  rawB: RawService,
): void {
  const a = rawA.allow;
  const b = rawB.allow;
  if (a === undefined && b === undefined) return;
  if (a === undefined || b === undefined) {
    compare(out, scope, 'allow', a ?? 'absent (anyone may call)', b ?? 'absent (anyone may call)');
    return;
  }
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) out.push({ scope, what: `allow rule #${i}`, kind: 'added', new: y });
    else if (y === undefined) out.push({ scope, what: `allow rule #${i}`, kind: 'removed', old: x });
    else if (canonical(ruleKey(meshA, x)) !== canonical(ruleKey(meshB, y)))
      out.push({ scope, what: `allow rule #${i}`, kind: 'changed', old: x, new: y });
  }
}

function ruleKey(mesh: CompiledMesh, rule: NonNullable<RawService['allow']>[number]): Json {
  const ctx = {
    trustDomain: mesh.trustDomain,
    sidecarNamespace: mesh.self.namespace,
    services: mesh.services,
  };
  return {
    from: rule.from.map((f) => (f === '*' ? f : principalOf(f, ctx))).sort(),
    methods: rule.methods === undefined ? null : [...rule.methods].sort(),
    paths: rule.paths === undefined ? null : [...rule.paths].sort(),
  };
}

function retries(s: CompiledService): Json {
  const r = s.retry;
  if (r === null) return null;
  return {
    attempts: r.attempts,
    on: [
      ...(r.onConnectFailure ? ['connect-failure'] : []),
      ...(r.onReset ? ['reset'] : []),
      ...[...r.statuses].sort((p, q) => p - q),
    ],
    perTryTimeout: ms(r.perTryTimeoutMs),
  };
}

function where(v: { host: string; port: number; endpoints?: readonly { authority: string }[] | null }): Json {
  const host = v.host.includes(':') ? `[${v.host}]` : v.host;
  return v.endpoints == null
    ? `${host}:${v.port}`
    : { host: `${host}:${v.port}`, endpoints: v.endpoints.map((e) => e.authority) };
}

function summary(s: CompiledService): Json {
  return { versions: [...s.versions.keys()], routes: s.routes.map((r) => r.name) };
}

function routeSummary(r: CompiledRoute, raw: RawRoute | undefined): Json {
  return { position: `#${r.index}`, match: matchOf(raw), split: sharesOf(r) };
}

function ms(n: number): string | null {
  if (n === 0) return null;
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}

/** JSON with object keys sorted, so two spellings of the same value compare equal. */
function canonical(value: Json): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1)))
      : v instanceof Set
        ? [...v]
        : v,
  );
}

function compare(out: Change[], scope: string, what: string, a: Json, b: Json): void {
  if (canonical(a) === canonical(b)) return;
  if (a === null || a === undefined) out.push({ scope, what, kind: 'added', new: b });
  else if (b === null || b === undefined) out.push({ scope, what, kind: 'removed', old: a });
  else out.push({ scope, what, kind: 'changed', old: a, new: b });
}
