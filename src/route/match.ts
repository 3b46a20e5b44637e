// First-match-wins route selection over a compiled service. Pure: no I/O, no
// allocation beyond what the matchers do; headers are read only when a route
// actually matches on them.
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRoute, CompiledService } from '../config/types.ts';
import { queryMatches } from '../policy/query.ts';

/** Anything with node's lower-cased `headers` map (and the request target, for query matches); read only when a route matches on them. */
export interface HeaderSource {
  readonly headers: IncomingHttpHeaders;
  readonly url?: string | undefined;
}

export function matchRoute(
  service: CompiledService,
  method: string,
  path: string,
  req: HeaderSource,
): CompiledRoute | null {
  const routes = service.routes;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i]!;
    if (route.methods !== null && !route.methods.has(method)) continue;
    if (route.path !== null && !route.path(path)) continue;
    if (route.headers.length > 0 && !headersMatch(route, req.headers)) continue;
    const query = route.policy.query;
    if (query !== null && !queryMatches(query, req.url ?? '')) continue;
    return route;
  }
  return null;
}

function headersMatch(route: CompiledRoute, headers: IncomingHttpHeaders): boolean {
  for (const h of route.headers) if (!headerMatches(h, headers)) return false;
  return true;
}

/** One header condition of a route; `meshlet explain` reports each one with it (src/route/explain.ts). */
export function headerMatches(h: CompiledRoute['headers'][number], headers: IncomingHttpHeaders): boolean {
  const raw = headers[h.name];
  if (raw === undefined) return !h.present;
  if (!h.present) return false;
  return h.test === null || h.test(headerValue(raw));
}

/** A header's value as matched: repeated headers joined by commas. */
export function headerValue(raw: string | string[]): string {
  return Array.isArray(raw) ? raw.join(',') : raw;
}

/** Path part of a request target, without the query string. */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
