// Weighted version choice. The random source is a parameter so tests are exact;
// sticky keys hash onto the same cumulative-weight scale, so a key keeps its
// version for as long as the weights stay the same.
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRoute, VersionTarget } from '../config/types.ts';

export type RandomSource = () => number;

export function pickVersion(
  route: CompiledRoute,
  random: RandomSource,
  stickyKey: string | undefined,
): VersionTarget {
  const targets = route.targets;
  if (targets.length === 1) return targets[0]!;
  const point =
    stickyKey === undefined ? Math.floor(random() * route.totalWeight) : fnv1a(stickyKey) % route.totalWeight;
  const cumulative = route.cumulative;
  for (let i = 0; i < cumulative.length; i++) {
    if (point < cumulative[i]!) return targets[i]!;
  }
  return targets[targets.length - 1]!;
}

/** The sticky key of a request for this route, if the route is sticky and the request carries one. */
export function stickyKeyOf(route: CompiledRoute, headers: IncomingHttpHeaders): string | undefined {
  const sticky = route.sticky;
  if (sticky === null) return undefined;
  if (sticky.header !== undefined) {
    const v = headers[sticky.header];
    return Array.isArray(v) ? v[0] : v;
  }
  return cookieValue(headers.cookie, sticky.cookie!);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** 32-bit FNV-1a: fast, stable across processes and restarts. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
