// All of a route's traffic-policy options compiled in one call, for the
// config compiler: each option stays null when absent, so the request path
// tests one reference per step and does no work for options a route lacks.
// A service's own options are the defaults of its routes, option by option.
// See docs/configuration.md ("Traffic policy").
import { type CompiledFault, compileFault, type RawFault } from './fault.ts';
import { type CompiledHeaders, compileHeaders, type RawHeaders } from './headers.ts';
import type { Compiled, PolicyIssue } from './issue.ts';
import { type CompiledMirror, compileMirror, type RawMirror } from './mirror.ts';
import { type CompiledQueryMatch, compileQueryMatch, type RawQueryMatch } from './query.ts';
import { type CompiledRedirect, compileRedirect, type RawRedirect } from './redirect.ts';
import { type CompiledRewrite, compileRewrite, type RawRewrite } from './rewrite.ts';

/** The route keys this module reads (`match.query` is read from `match`). */
export interface RawRoutePolicy {
  fault?: RawFault;
  mirror?: RawMirror;
  headers?: RawHeaders;
  redirect?: RawRedirect;
  rewrite?: RawRewrite;
  match?: { query?: RawQueryMatch };
}

export interface RoutePolicy {
  readonly fault: CompiledFault | null;
  readonly mirror: CompiledMirror | null;
  readonly headers: CompiledHeaders | null;
  readonly redirect: CompiledRedirect | null;
  readonly rewrite: CompiledRewrite | null;
  readonly query: CompiledQueryMatch | null;
}

export interface RoutePolicyContext {
  /** The service's version names (a mirror must name one). */
  readonly versions: ReadonlySet<string>;
  /** The route's `match.path.prefix`, or null (a prefix rewrite needs one). */
  readonly routePrefix: string | null;
}

export const NO_POLICY: RoutePolicy = Object.freeze({
  fault: null,
  mirror: null,
  headers: null,
  redirect: null,
  rewrite: null,
  query: null,
});

function take<T>(result: Compiled<T>, at: readonly string[], issues: PolicyIssue[]): T | null {
  if (result.ok) return result.value;
  for (const issue of result.issues) issues.push({ path: [...at, ...issue.path], message: issue.message });
  return null;
}

/**
 * Compiles a route's (or a service's default) policy options. Issue paths
 * are relative to the route: `['fault', 'abort', 'percent']`,
 * `['match', 'query', 'v', 'regex']`.
 */
export function compileRoutePolicy(raw: RawRoutePolicy, ctx: RoutePolicyContext): Compiled<RoutePolicy> {
  const issues: PolicyIssue[] = [];
  const policy: RoutePolicy = {
    fault: take(compileFault(raw.fault), ['fault'], issues),
    mirror: take(compileMirror(raw.mirror, ctx.versions), ['mirror'], issues),
    headers: take(compileHeaders(raw.headers), ['headers'], issues),
    redirect: take(compileRedirect(raw.redirect), ['redirect'], issues),
    rewrite: take(compileRewrite(raw.rewrite, ctx.routePrefix), ['rewrite'], issues),
    query: take(compileQueryMatch(raw.match?.query), ['match', 'query'], issues),
  };
  // A redirect is answered by the caller's sidecar: nothing is forwarded to rewrite or copy.
  if (raw.redirect !== undefined) {
    for (const key of ['rewrite', 'mirror'] as const) {
      if (raw[key] !== undefined) {
        issues.push({
          path: [key],
          message: `a route with redirect forwards nothing, so ${key} cannot apply; remove one`,
        });
      }
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  const none = Object.values(policy).every((v) => v === null);
  return { ok: true, value: none ? NO_POLICY : Object.freeze(policy) };
}

/**
 * A route's policy over its service's defaults: each option the route sets
 * wins; `query` is the route's own. A route that forwards (rewrite or mirror)
 * does not inherit the service's redirect, and a route that redirects does
 * not inherit its rewrite or mirror.
 */
export function withServiceDefaults(route: RoutePolicy, service: RoutePolicy): RoutePolicy {
  if (service === NO_POLICY) return route;
  const forwards = route.rewrite !== null || route.mirror !== null;
  const redirect = route.redirect ?? (forwards ? null : service.redirect);
  const merged: RoutePolicy = {
    fault: route.fault ?? service.fault,
    mirror: route.mirror ?? (redirect !== null ? null : service.mirror),
    headers: route.headers ?? service.headers,
    redirect,
    rewrite: route.rewrite ?? (redirect !== null ? null : service.rewrite),
    query: route.query,
  };
  return Object.values(merged).every((v) => v === null) ? NO_POLICY : Object.freeze(merged);
}
