// First-match-wins route selection over a compiled service. Pure: no I/O, no
// allocation beyond what the matchers do; headers are read only when a route
// actually matches on them.
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRoute, CompiledService } from '../config/types.ts';

/** Anything with node's lower-cased `headers` map; it is read only when a route matches on headers. */
export interface HeaderSource {
  readonly headers: IncomingHttpHeaders;
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
    return route;
  }
  return null;
}

function headersMatch(route: CompiledRoute, headers: IncomingHttpHeaders): boolean {
  for (const h of route.headers) {
    const raw = headers[h.name];
    if (raw === undefined) {
      if (h.present) return false;
      continue;
    }
    if (!h.present) return false;
    if (h.test !== null && !h.test(Array.isArray(raw) ? raw.join(',') : raw)) return false;
  }
  return true;
}

/** Path part of a request target, without the query string. */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
