// Traffic policy in the config compiler: each route's fault, mirror, headers,
// redirect, rewrite and query match compiled once into the snapshot, over the
// service's own options as defaults, and the service's rate limit. Problems
// become CompileErrors with the route's path, so they are reported at
// file:line:col. See docs/configuration.md ("Traffic policy").
import { type AllowContext, principalOf } from '../authz/allow.ts';
import type { PolicyIssue } from '../policy/issue.ts';
import { type CompiledRateLimit, compileRateLimit } from '../policy/rate-limit.ts';
import {
  compileRoutePolicy,
  NO_POLICY,
  type RoutePolicy,
  withServiceDefaults,
} from '../policy/route-policy.ts';
import { CompileError } from './compile-error.ts';
import type { RawRoute, RawService } from './types.ts';

type At = readonly (string | number)[];

function errorsOf(at: At, issues: readonly PolicyIssue[]): CompileError[] {
  return issues.map((i) => new CompileError([...at, ...i.path], i.message));
}

/** A service's own options: the defaults of its routes. Service paths: `services.<name>.fault...`. */
export function compileServiceDefaults(
  svc: RawService,
  at: At,
  versions: ReadonlySet<string>,
  errors: CompileError[],
): RoutePolicy {
  const { fault, mirror, headers, redirect, rewrite } = svc;
  if (
    fault === undefined &&
    mirror === undefined &&
    headers === undefined &&
    redirect === undefined &&
    rewrite === undefined
  )
    return NO_POLICY;
  const result = compileRoutePolicy(
    { fault, mirror, headers, redirect, rewrite },
    { versions, routePrefix: null },
  );
  if (result.ok) return result.value;
  errors.push(...errorsOf(at, result.issues));
  return NO_POLICY;
}

/** One route's policy over its service's defaults; throws CompileError at the first problem's path. */
export function compileRoutePolicyAt(
  r: RawRoute,
  at: At,
  versions: ReadonlySet<string>,
  defaults: RoutePolicy,
): RoutePolicy {
  const result = compileRoutePolicy(r, { versions, routePrefix: r.match?.path?.prefix ?? null });
  if (!result.ok) throw errorsOf(at, result.issues)[0]!;
  return withServiceDefaults(result.value, defaults);
}

/** The service's `rateLimit`, with `perCaller` entries named the way allow rules name callers. */
export function compileServiceRateLimit(
  svc: RawService,
  at: At,
  allowCtx: AllowContext,
  errors: CompileError[],
): CompiledRateLimit | null {
  if (svc.rateLimit === undefined) return null;
  const result = compileRateLimit(svc.rateLimit, (entry) => principalOf(entry, allowCtx));
  if (result.ok) return result.value;
  errors.push(...errorsOf([...at, 'rateLimit'], result.issues));
  return null;
}
