// The balancing part of mesh.yaml, compiled: a service's loadBalancer,
// outlierDetection, circuitBreaker and retryBudget (one BalancePolicy shared
// by its versions), a version's static `endpoints:` list and a route's canary
// `guard:`. Errors name the offending node; load.ts turns the path into
// file:line:col. See docs/configuration.md ("Balancing").
import { BREAKER_DEFAULTS } from '../balance/breaker.ts';
import { BUDGET_DEFAULTS } from '../balance/budget.ts';
import { BALANCE_DEFAULTS, type BalancePolicy } from '../balance/endpoint-set.ts';
import type { GuardPolicy } from '../balance/guard.ts';
import { OUTLIER_DEFAULTS, type OutlierPolicy } from '../balance/outlier.ts';
import { type EndpointAddress, parseEndpoint } from '../discovery/address.ts';
import { CompileError } from './compile-error.ts';
import { parseDuration } from './duration.ts';
import type { RawGuard, RawService } from './types.ts';

type Path = readonly (string | number)[];

// Node's timers take at most 2^31 - 1 ms.
const MAX_DURATION_MS = 2 ** 31 - 1;
const GUARD_DEFAULTS = { windowMs: 30_000, minRequests: 20 } as const;

/** The service's balance policy; the defaults object itself when nothing is set (no per-service copies). */
export function compileBalance(svc: RawService, at: Path): BalancePolicy {
  if (
    svc.loadBalancer === undefined &&
    svc.outlierDetection === undefined &&
    svc.circuitBreaker === undefined &&
    svc.retryBudget === undefined
  )
    return BALANCE_DEFAULTS;
  return Object.freeze({
    loadBalancer: svc.loadBalancer ?? BALANCE_DEFAULTS.loadBalancer,
    outlier: compileOutlier(svc.outlierDetection, [...at, 'outlierDetection']),
    breaker: Object.freeze({ ...BREAKER_DEFAULTS, ...svc.circuitBreaker }),
    budget: Object.freeze({ ...BUDGET_DEFAULTS, ...svc.retryBudget }),
  });
}

function compileOutlier(raw: RawService['outlierDetection'], at: Path): OutlierPolicy | null {
  if (raw === false) return null;
  if (raw === undefined || raw === true) return OUTLIER_DEFAULTS;
  const base =
    duration(raw.baseEjectionTime, [...at, 'baseEjectionTime']) ?? OUTLIER_DEFAULTS.baseEjectionTimeMs;
  const max =
    duration(raw.maxEjectionTime, [...at, 'maxEjectionTime']) ??
    Math.max(base, OUTLIER_DEFAULTS.maxEjectionTimeMs);
  if (max < base)
    throw new CompileError(
      [...at, 'maxEjectionTime'],
      `${dotted([...at, 'maxEjectionTime'])}: expected a duration of at least baseEjectionTime (${raw.baseEjectionTime ?? '30s'}), got '${raw.maxEjectionTime}'`,
    );
  return Object.freeze({
    consecutiveGatewayFailures: raw.consecutiveGatewayFailures ?? OUTLIER_DEFAULTS.consecutiveGatewayFailures,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: max,
    maxEjectionPercent: raw.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent,
  });
}

/**
 * A version's `endpoints:` list (null when absent: `host` is looked up); every
 * entry an IP with an optional port. `at` is the version's path.
 */
export function compileEndpoints(
  version: { readonly host?: string; readonly endpoints?: readonly string[] },
  port: number,
  at: Path,
): readonly EndpointAddress[] | null {
  const list = version.endpoints;
  if (list === undefined) {
    if (version.host !== undefined) return null;
    throw new CompileError(
      at,
      `${dotted(at)}: expected host (a name looked up in DNS, e.g. reviews-v1) or endpoints (a list such as ["10.1.2.3:9080"])`,
    );
  }
  const seen = new Map<string, EndpointAddress>();
  list.forEach((entry, i) => {
    let endpoint: EndpointAddress;
    try {
      endpoint = parseEndpoint(entry, port);
    } catch {
      throw new CompileError(
        [...at, 'endpoints', i],
        `${dotted([...at, 'endpoints', i])}: expected an IP address with an optional port, e.g. 10.1.2.3:9080 or [fd00::1]:9080 (got '${entry.slice(0, 60)}')`,
      );
    }
    if (!seen.has(endpoint.authority)) seen.set(endpoint.authority, endpoint);
  });
  return Object.freeze([...seen.values()]);
}

/** A route's guard (null when absent); its baseline must be a version the route splits to. */
export function compileGuard(
  raw: RawGuard | undefined,
  split: Record<string, number>,
  at: Path,
): GuardPolicy | null {
  if (raw === undefined) return null;
  if (raw.maxErrorRate === undefined && raw.maxLatencyP99 === undefined)
    throw new CompileError(
      at,
      `${dotted(at)}: expected a limit to watch: maxErrorRate (0..1) or maxLatencyP99 (a duration), or both`,
    );
  if (!Object.hasOwn(split, raw.baseline))
    throw new CompileError(
      [...at, 'baseline'],
      `${dotted([...at, 'baseline'])}: expected one of the route's split versions (${Object.keys(split).join(', ')}), got '${raw.baseline}'`,
    );
  return Object.freeze({
    baseline: raw.baseline,
    maxErrorRate: raw.maxErrorRate ?? null,
    maxLatencyP99Ms: duration(raw.maxLatencyP99, [...at, 'maxLatencyP99']) ?? null,
    windowMs: Math.max(1, duration(raw.window, [...at, 'window']) ?? GUARD_DEFAULTS.windowMs),
    minRequests: raw.minRequests ?? GUARD_DEFAULTS.minRequests,
  });
}

function duration(text: string | undefined, at: Path): number | undefined {
  if (text === undefined) return undefined;
  const name = dotted(at);
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new CompileError(at, `${name}: expected a duration such as 250ms, 5s or 1m30s (got '${text}')`);
  }
  if (ms > MAX_DURATION_MS)
    throw new CompileError(at, `${name}: expected a duration of at most 596h (got '${text}')`);
  return ms;
}

function dotted(at: Path): string {
  return at.join('.');
}
