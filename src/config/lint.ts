// Warnings for a config that loads but almost certainly does not do what its
// author meant (docs/cli.md lists them). Run by `meshlet validate` over a
// config that already passed every check; never by the sidecar.
import type { CompiledMesh, RawRoute } from './types.ts';

export interface LintWarning {
  /** Path of the node the warning is about, e.g. `['services', 'reviews', 'routes', 2]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * A route with no condition matches every request. Conditions are read from
 * the raw `match`, so a kind of match added later counts without a change here.
 */
export function isCatchAll(route: RawRoute): boolean {
  const match = route.match as Record<string, unknown> | undefined;
  if (match === undefined || match === null) return true;
  return Object.values(match).every(
    (v) =>
      v === undefined ||
      v === null ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0),
  );
}

const routeName = (route: RawRoute, index: number) =>
  route.name === undefined ? `route ${index}` : `route ${index} ('${route.name}')`;

export function lintMesh(mesh: CompiledMesh): LintWarning[] {
  const warnings: LintWarning[] = [];
  const services = mesh.raw.services ?? {};
  const names = Object.keys(services);
  for (const [name, svc] of Object.entries(services)) {
    const routes = svc.routes ?? [];
    const firstCatchAll = routes.findIndex(isCatchAll);
    if (routes.length > 0 && firstCatchAll === -1) {
      warnings.push({
        path: ['services', name, 'routes'],
        message: `service '${name}' has no default route: a request that matches none of its ${routes.length} route${routes.length === 1 ? '' : 's'} gets 404 NR; end the list with a route without \`match\``,
      });
    }
    if (firstCatchAll !== -1) {
      for (let i = firstCatchAll + 1; i < routes.length; i++) {
        warnings.push({
          path: ['services', name, 'routes', i],
          message: `${routeName(routes[i]!, i)} of '${name}' can never match: ${routeName(routes[firstCatchAll]!, firstCatchAll)} before it matches every request; move it above`,
        });
      }
    }
    (svc.allow ?? []).forEach((rule, r) => {
      (Array.isArray(rule.from) ? rule.from : []).forEach((entry, f) => {
        if (typeof entry !== 'string' || entry === '*' || entry.includes('/') || entry.startsWith('spiffe:'))
          return;
        if (Object.hasOwn(services, entry)) return;
        const guess = closest(entry, names);
        warnings.push({
          path: ['services', name, 'allow', r, 'from', f],
          message: `'${entry}' is not a service in this config, so it only matches service account '${entry}' in namespace '${mesh.self.namespace}'${guess === null ? '; list the service, or write ns/<namespace>/sa/<account>' : `; did you mean '${guess}'?`}`,
        });
      });
    });
  }
  return warnings;
}

/** The candidate nearest to `word` (Damerau-Levenshtein), if it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
