// `meshlet explain` and the admin port's /explain: why a request goes where it
// goes. The decision itself is the data path's own: resolveOutbound (with the
// random draw injected), pickVersion for the sticky pin and allowDecision for
// the caller. Only the "why not" of each earlier route is computed here, one
// condition at a time, with the very matchers matchRoute calls (see
// docs/cli.md, "meshlet explain").
import type { IncomingHttpHeaders } from 'node:http';
import { allowDecision, principalOf } from '../authz/allow.ts';
import type { CompiledMesh, CompiledRoute, CompiledService, RawRoute, RawService } from '../config/types.ts';
import { ProxyError } from '../errors.ts';
import { queryParam } from '../policy/query.ts';
import { redirectLocation } from '../policy/redirect.ts';
import { rewriteTarget } from '../policy/rewrite.ts';
import { headerMatches, headerValue, pathOf } from './match.ts';
import { pickVersion, stickyKeyOf } from './pick.ts';
import { type OutboundTarget, parseAuthority, type RequestHead, resolveOutbound } from './resolve.ts';

/** A request as a person describes it. */
export interface ExplainInput {
  /** The authority the app calls (`reviews`, `reviews:9080`, `reviews.default.svc`). */
  readonly host: string;
  readonly method: string;
  /** Request target, origin-form, query included. */
  readonly target: string;
  /** Request headers in the order given; names in any case. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The caller, as an allow rule's `from` entry names it; absent: this sidecar itself. */
  readonly from?: string | undefined;
  /** A value in [0, 1) standing for the weighted pick's random draw. */
  readonly random?: number | undefined;
}

/** One endpoint of a version and its state, as the balancing registry or the config knows it. */
export interface EndpointView {
  readonly address: string;
  /** healthy, ejected, draining (live, with more details beside it), or where the config says it is. */
  readonly state: string;
}

/** Live endpoint states by service and version; null when nothing is known of that version. */
export type EndpointLookup = (service: string, version: string) => readonly EndpointView[] | null;

/** What a running sidecar adds to the config: endpoint states, and the canary guard's say on a version. */
export interface LiveState {
  readonly endpoints: EndpointLookup;
  /** The outbound listener's own guard step: a version its route's guard has tripped gives way to the baseline. */
  readonly steer: (target: OutboundTarget) => OutboundTarget;
}

export interface ConditionView {
  readonly kind: 'method' | 'path' | 'header' | 'query';
  /** Header or query parameter name. */
  readonly name?: string;
  /** What the route asks for, e.g. `prefix /api/`, `exact jason`, `present`, `absent`, `GET|POST`. */
  readonly expected: string;
  /** What the request has; null when it lacks the header or parameter. */
  readonly actual: string | null;
  readonly ok: boolean;
}

export interface RouteView {
  readonly index: number;
  readonly name: string;
  readonly matched: boolean;
  /** Every condition of the route, in the order the data path tests them. */
  readonly conditions: readonly ConditionView[];
}

export interface ShareView {
  readonly version: string;
  readonly weight: number;
  /** Share of the route's traffic in percent, two decimals. */
  readonly percent: number;
  /** The random draws in [from, to) that pick this version. */
  readonly draw: readonly [number, number] | null;
  readonly host: string | null;
  readonly port: number | null;
}

export type Destination =
  | {
      readonly kind: 'service';
      readonly service: string;
      readonly namespace: string;
      readonly fqdn: string;
      readonly spiffeId: string;
      readonly mtls: string;
    }
  | { readonly kind: 'passthrough'; readonly origin: string; readonly reason: string }
  | {
      readonly kind: 'refused';
      readonly flag: string;
      readonly status: number;
      readonly message: string;
      /** The service the host names, when the refusal came after finding it (no route matched). */
      readonly service: string | null;
    };

export interface AllowView {
  /** The caller as given (or `this sidecar (<service>)`). */
  readonly caller: string | null;
  /** The SPIFFE ID the callee's sidecar would see; null for a caller without a verified identity. */
  readonly principal: string | null;
  /** allowed, denied, audit (allowed, would be denied), or not-evaluated. */
  readonly verdict: 'allowed' | 'denied' | 'audit' | 'not-evaluated';
  readonly mode: 'enforce' | 'audit' | null;
  /** Index of the allow rule that let the request in; null when none did or the service has no rules. */
  readonly rule: number | null;
  readonly reason: string;
}

export interface PolicyView {
  readonly name: string;
  /** Where it is set: the route, the service (a default for its routes), or the callee's own sidecar. */
  readonly scope: 'route' | 'service';
  /** Applied by the caller's sidecar or by the callee's (rate limits). */
  readonly appliedBy: 'caller' | 'callee';
  readonly value: unknown;
}

export interface Explanation {
  readonly request: {
    readonly host: string;
    readonly method: string;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly from: string | null;
    readonly random: number | null;
  };
  readonly config: { readonly hash: string; readonly source: string };
  readonly destination: Destination;
  /** The routes tested, in order, up to and including the matched one (all of them when none matched). */
  readonly routes: readonly RouteView[];
  readonly route: string | null;
  readonly split: readonly ShareView[];
  readonly sticky: {
    readonly by: string;
    readonly key: string | null;
    /** The version that key pins while the weights hold; null without a key. */
    readonly version: string | null;
  } | null;
  /** The version the given random draw picks by weight, whether or not a sticky key overrides it. */
  readonly draw: { readonly random: number; readonly version: string } | null;
  /** The version the data path picks for this request: null when it depends on a random draw not given. */
  readonly version: string | null;
  /** Why `version` is what it is: `only version`, `sticky key`, `random draw 0.42`, or `random`. */
  readonly pickedBy: string | null;
  readonly upstream: string | null;
  /** A redirecting route's answer, built as the outbound redirect step builds it. */
  readonly redirect: { readonly status: number; readonly location: string } | null;
  /** The request target and Host the upstream receives after the route's rewrite; null when nothing is forwarded. */
  readonly forwarded: { readonly path: string; readonly host: string } | null;
  readonly endpoints: ReadonlyArray<{
    readonly version: string;
    readonly endpoints: readonly EndpointView[];
    readonly live: boolean;
  }>;
  readonly allow: AllowView;
  readonly policies: readonly PolicyView[];
}

/** A `from` entry that names no caller, or a random value outside [0, 1). */
export class ExplainInputError extends Error {}

// Route and service options the data path or the callee's sidecar applies, in the order a request meets them.
const ROUTE_POLICIES = ['redirect', 'fault', 'rewrite', 'headers', 'mirror'] as const;
const SERVICE_POLICIES = ['loadBalancer', 'outlierDetection', 'circuitBreaker', 'retryBudget'] as const;

export function explainRequest(mesh: CompiledMesh, input: ExplainInput, live?: LiveState): Explanation {
  if (input.random !== undefined && !(input.random >= 0 && input.random < 1))
    throw new ExplainInputError(`a random draw is a number in [0, 1), not ${input.random}`);
  const { rawHeaders, headers } = headerMaps(input.host, input.headers);
  const head: RequestHead = { method: input.method, url: input.target, rawHeaders, headers };
  const path = pathOf(input.target);
  const request = {
    host: input.host,
    method: input.method,
    path: input.target,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, headerValue(v ?? '')])),
    from: input.from ?? null,
    random: input.random ?? null,
  };
  const config = { hash: mesh.hash, source: mesh.source };

  // The data path's decision. Without a given draw, the route and service are
  // the same whatever the draw; only the version may differ.
  let resolved: ReturnType<typeof resolveOutbound> | ProxyError;
  try {
    resolved = resolveOutbound(mesh, head, () => input.random ?? 0);
  } catch (err) {
    resolved = err instanceof ProxyError ? err : new ProxyError('DPE', String(err));
  }
  const service = serviceOf(mesh, input.host);
  const base = {
    request,
    config,
    sticky: null,
    draw: null,
    version: null,
    pickedBy: null,
    upstream: null,
    redirect: null,
    forwarded: null,
  };
  if (service === null) {
    const destination: Destination =
      resolved instanceof ProxyError
        ? refused(resolved)
        : {
            kind: 'passthrough',
            origin: resolved.origin,
            reason: `'${input.host}' is not a mesh service; outboundTrafficPolicy ${mesh.outboundTrafficPolicy} forwards it as-is`,
          };
    return ordered({
      ...base,
      destination,
      routes: [],
      route: null,
      split: [],
      endpoints: [],
      allow: notEvaluated(input.from ?? null, 'not a mesh service: no allow rules apply'),
      policies: [],
      upstream: resolved instanceof ProxyError ? null : resolved.origin,
    });
  }

  const rawService = mesh.raw.services?.[service.name] ?? {};
  const routes = explainRoutes(service, rawService, input.method, path, input.target, headers);
  const destination: Destination =
    resolved instanceof ProxyError
      ? refused(resolved, service)
      : {
          kind: 'service',
          service: service.name,
          namespace: service.namespace,
          fqdn: service.fqdn,
          spiffeId: service.spiffeId,
          mtls: service.mtls,
        };
  const allow = explainAllow(mesh, service, input.from, input.method, path);
  const route = resolved instanceof ProxyError ? null : resolved.route;
  if (route === null || resolved instanceof ProxyError)
    return ordered({
      ...base,
      destination,
      routes,
      route: null,
      split: [],
      endpoints: [],
      allow,
      policies: [],
    });

  const rawRoute = rawService.routes?.[route.index];
  const stickyKey = route.sticky === null ? undefined : stickyKeyOf(route, headers);
  const sticky =
    route.sticky === null
      ? null
      : {
          by:
            route.sticky.header !== undefined
              ? `header ${route.sticky.header}`
              : `cookie ${route.sticky.cookie}`,
          key: stickyKey ?? null,
          version: stickyKey === undefined ? null : pickVersion(route, () => 0, stickyKey).name,
        };
  const draws = route.targets.length > 1 && stickyKey === undefined;
  const known = !draws || input.random !== undefined;
  // The redirect step answers before anything is forwarded, whatever the split.
  const drawn = route.policy.redirect === null ? resolved.version : null;
  // Live, the canary guard may move the drawn version to its baseline, as the outbound listener does.
  const steered = known && live !== undefined && drawn !== null ? live.steer(resolved) : resolved;
  const picked = drawn === null ? null : steered.version;
  const pickedBy =
    (drawn === null
      ? 'redirect (nothing is forwarded)'
      : route.targets.length === 1
        ? 'only version'
        : stickyKey !== undefined
          ? 'sticky key'
          : input.random !== undefined
            ? `random draw ${input.random}`
            : 'random') +
    (picked !== drawn && drawn !== null && picked !== null
      ? `; the canary guard has tripped ${drawn.name}, so it goes to the baseline ${picked.name}`
      : '');
  const shown = picked === null ? [] : known ? [picked.name] : route.targets.map((t) => t.name);
  return ordered({
    ...base,
    destination,
    routes,
    route: route.name,
    split: shares(service, route, rawRoute),
    sticky,
    draw:
      input.random === undefined || route.targets.length === 0
        ? null
        : { random: input.random, version: pickVersion(route, () => input.random!, undefined).name },
    version: known ? (picked?.name ?? null) : null,
    pickedBy,
    upstream: known && picked !== null ? steered.origin : null,
    redirect: redirectOf(route, resolved),
    forwarded:
      picked === null
        ? null
        : {
            path:
              route.policy.rewrite === null
                ? resolved.path
                : rewriteTarget(route.policy.rewrite, resolved.path),
            host: route.policy.rewrite?.host ?? resolved.authority,
          },
    endpoints: shown.map((version) => {
      const states = live?.endpoints(service.name, version) ?? null;
      return {
        version,
        endpoints: states ?? configuredEndpoints(service, version),
        live: states !== null,
      };
    }),
    allow,
    policies: policiesOf(service, route, rawService, rawRoute),
  });
}

/** The redirect step's answer: the app talks plain HTTP to its sidecar, so its scheme is http. */
function redirectOf(route: CompiledRoute, target: OutboundTarget): Explanation['redirect'] {
  const redirect = route.policy.redirect;
  if (redirect === null) return null;
  const location = redirectLocation(redirect, {
    scheme: 'http',
    authority: target.authority,
    target: target.path,
  });
  return typeof location === 'string'
    ? { status: redirect.status, location }
    : { status: location.status, location: `(refused: ${location.message})` };
}

/** The registry entry an authority names, looked up as resolveOutbound does; null outside the registry or malformed. */
function serviceOf(mesh: CompiledMesh, host: string): CompiledService | null {
  try {
    const parsed = parseAuthority(host);
    return mesh.hosts.get(parsed.port === null ? parsed.host : `${parsed.host}:${parsed.port}`) ?? null;
  } catch {
    return null;
  }
}

function refused(err: ProxyError, service: CompiledService | null = null): Destination {
  return {
    kind: 'refused',
    flag: err.flag,
    status: err.status,
    message: err.message,
    service: service?.name ?? null,
  };
}

/** node's header maps for the given headers: lower-case names, repeats joined as node joins them. */
function headerMaps(
  host: string,
  given: ExplainInput['headers'],
): { rawHeaders: string[]; headers: IncomingHttpHeaders } {
  const rawHeaders = ['Host', host];
  const headers: Record<string, string | string[]> = { host };
  for (const [name, value] of given) {
    const key = name.toLowerCase();
    if (key === 'host') continue;
    rawHeaders.push(name, value);
    const prior = headers[key];
    if (key === 'set-cookie') headers[key] = [...((prior as string[] | undefined) ?? []), value];
    else headers[key] = prior === undefined ? value : `${prior}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
  return { rawHeaders, headers };
}

/** Each route's conditions against the request, up to the first route that matches. */
function explainRoutes(
  service: CompiledService,
  raw: RawService,
  method: string,
  path: string,
  target: string,
  headers: IncomingHttpHeaders,
): RouteView[] {
  const out: RouteView[] = [];
  for (const route of service.routes) {
    const conditions = routeConditions(route, raw.routes?.[route.index], method, path, target, headers);
    const matched = conditions.every((c) => c.ok);
    out.push({ index: route.index, name: route.name, matched, conditions });
    if (matched) break;
  }
  return out;
}

/**
 * A route's conditions in matchRoute's order (method, path, headers, query),
 * each decided by the compiled matcher matchRoute uses. All are evaluated, so
 * every reason a route missed is shown, not only the first.
 */
function routeConditions(
  route: CompiledRoute,
  raw: RawRoute | undefined,
  method: string,
  path: string,
  target: string,
  headers: IncomingHttpHeaders,
): ConditionView[] {
  const out: ConditionView[] = [];
  if (route.methods !== null)
    out.push({
      kind: 'method',
      expected: [...route.methods].join('|'),
      actual: method,
      ok: route.methods.has(method),
    });
  if (route.path !== null)
    out.push({ kind: 'path', expected: describeMatch(raw?.match?.path), actual: path, ok: route.path(path) });
  const rawHeaders = Object.entries(raw?.match?.headers ?? {});
  for (const h of route.headers) {
    const spec = rawHeaders.find(([name]) => name.toLowerCase() === h.name)?.[1];
    const value = headers[h.name];
    out.push({
      kind: 'header',
      name: h.name,
      expected: !h.present ? 'absent' : h.test === null ? 'present' : describeMatch(spec),
      actual: value === undefined ? null : headerValue(value),
      ok: headerMatches(h, headers),
    });
  }
  const query = route.policy.query;
  if (query !== null) {
    const rawQuery = (
      raw?.match as { query?: Record<string, { exact?: string; regex?: string }> } | undefined
    )?.query;
    for (const q of query) {
      const value = queryParam(target, q.name);
      out.push({
        kind: 'query',
        name: q.name,
        expected: describeMatch(rawQuery?.[q.name]),
        actual: value ?? null,
        ok: value !== undefined && q.test(value),
      });
    }
  }
  return out;
}

function describeMatch(m: { exact?: string; prefix?: string; regex?: string } | undefined): string {
  if (m?.exact !== undefined) return `exact ${m.exact}`;
  if (m?.prefix !== undefined) return `prefix ${m.prefix}`;
  if (m?.regex !== undefined) return `regex ${m.regex}`;
  return 'present';
}

/** Every version the route names, with weight 0 ones too (they get no traffic, and the reviewer should see that). */
function shares(service: CompiledService, route: CompiledRoute, raw: RawRoute | undefined): ShareView[] {
  const weights = new Map<string, number>();
  for (let i = 0; i < route.targets.length; i++)
    weights.set(route.targets[i]!.name, route.cumulative[i]! - (i === 0 ? 0 : route.cumulative[i - 1]!));
  const names = raw?.split === undefined ? [...weights.keys()] : Object.keys(raw.split);
  let below = 0;
  return names.map((version) => {
    const weight = weights.get(version) ?? 0;
    const target = service.versions.get(version);
    const from = below / route.totalWeight;
    below += weight;
    return {
      version,
      weight,
      percent: Math.round((weight / route.totalWeight) * 10000) / 100,
      draw: weight === 0 ? null : [from, below / route.totalWeight],
      host: target?.host ?? null,
      port: target?.port ?? null,
    };
  });
}

/** A version's endpoints as the config gives them: its `endpoints:` list, else its host (looked up in DNS when live). */
function configuredEndpoints(service: CompiledService, version: string): EndpointView[] {
  const target = service.versions.get(version);
  if (target === undefined) return [];
  if (target.endpoints !== null)
    return target.endpoints.map((e) => ({ address: e.authority, state: 'listed in the config' }));
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return [{ address: `${host}:${target.port}`, state: 'from the config, looked up in DNS when live' }];
}

function notEvaluated(caller: string | null, reason: string): AllowView {
  return { caller, principal: null, verdict: 'not-evaluated', mode: null, rule: null, reason };
}

/**
 * The callee's allow rules against the caller, decided by allowDecision. The
 * deciding rule is the first one that alone would let the request in: the
 * same first-match order allowDecision walks.
 */
function explainAllow(
  mesh: CompiledMesh,
  service: CompiledService,
  from: string | undefined,
  method: string,
  path: string,
): AllowView {
  let caller: string;
  let principal: string | null;
  if (from === undefined) {
    if (mesh.self.service === 'unknown')
      return notEvaluated(null, 'no caller given (--from) and this sidecar has no MESHLET_SERVICE');
    caller = `this sidecar (${mesh.self.service})`;
    principal = mesh.pod.spiffeId;
  } else {
    principal = principalOf(from, {
      trustDomain: mesh.trustDomain,
      sidecarNamespace: mesh.self.namespace,
      services: mesh.services,
    });
    if (!principal.startsWith('spiffe://')) throw new ExplainInputError(`--from: ${principal}`);
    caller = from;
  }
  // Without mTLS to the callee, its sidecar sees no verified identity.
  const note = service.mtls === 'disable' ? ' (mtls: disable, so the callee sees no verified caller)' : '';
  if (note !== '') principal = null;
  const allow = service.allow;
  if (allow === null)
    return {
      caller,
      principal,
      verdict: 'allowed',
      mode: null,
      rule: null,
      reason: `${service.name} has no allow rules: anyone may call`,
    };
  const decision = allowDecision(allow, principal, method, path);
  let rule: number | null = null;
  for (let i = 0; i < allow.rules.length && rule === null; i++) {
    if (allowDecision({ mode: 'enforce', rules: [allow.rules[i]!] }, principal, method, path).allowed)
      rule = i;
  }
  const verdict = !decision.allowed ? 'denied' : decision.audited ? 'audit' : 'allowed';
  const reason =
    decision.allowed && !decision.audited ? `allow rule ${rule} matches` : `${decision.reason}${note}`;
  return { caller, principal, verdict, mode: allow.mode, rule, reason };
}

/**
 * The policies that apply to a request on this route, as the compiled
 * snapshot has them (a route's options over its service's defaults), each
 * shown as written in the config, with where it is set.
 */
function policiesOf(
  service: CompiledService,
  route: CompiledRoute,
  rawService: RawService,
  rawRoute: RawRoute | undefined,
): PolicyView[] {
  const out: PolicyView[] = [];
  const routeRaw = (rawRoute ?? {}) as Record<string, unknown>;
  const serviceRaw = rawService as Record<string, unknown>;
  const scopeOf = (key: string): 'route' | 'service' => (routeRaw[key] !== undefined ? 'route' : 'service');
  const add = (name: string, appliedBy: 'caller' | 'callee' = 'caller', value?: unknown): void => {
    out.push({ name, scope: scopeOf(name), appliedBy, value: value ?? routeRaw[name] ?? serviceRaw[name] });
  };
  if (route.timeoutMs > 0) add('timeout', 'caller', durationText(route.timeoutMs));
  if (service.retry !== null) add('retries');
  for (const key of ROUTE_POLICIES) if (route.policy[key] !== null) add(key);
  if (route.guard !== null) add('guard');
  for (const key of SERVICE_POLICIES) if (serviceRaw[key] !== undefined) add(key);
  if (service.rateLimit !== null) add('rateLimit', 'callee');
  return out;
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The explanation with its keys in the order a reader asks the questions. */
function ordered(e: Explanation): Explanation {
  return {
    request: e.request,
    config: e.config,
    destination: e.destination,
    routes: e.routes,
    route: e.route,
    split: e.split,
    sticky: e.sticky,
    draw: e.draw,
    version: e.version,
    pickedBy: e.pickedBy,
    upstream: e.upstream,
    redirect: e.redirect,
    forwarded: e.forwarded,
    endpoints: e.endpoints,
    allow: e.allow,
    policies: e.policies,
  };
}
