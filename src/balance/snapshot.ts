// The body of the admin port's /endpoints: each service version's endpoints
// with their state, ejections, requests in flight and latency estimate. A
// version that has had no request yet has no balancing state (see
// docs/architecture.md, "Choosing an endpoint"): it is listed as a fresh set
// would show it.
import type { EndpointAddress } from '../discovery/address.ts';
import type { EndpointRegistry, LoadBalancer, VersionEndpointsSnapshot } from './endpoint-set.ts';
import { EWMA_DEFAULTS } from './ewma.ts';

export interface EndpointsSnapshot {
  readonly versions: readonly VersionEndpointsSnapshot[];
}

/** The registry's sets, and `idle` versions (no state yet) whose keys the registry does not hold. */
export function endpointsSnapshot(
  registry: EndpointRegistry,
  idle: Iterable<VersionEndpointsSnapshot> = [],
): EndpointsSnapshot {
  const versions = registry.sets().map((set) => set.snapshot());
  const listed = new Set(versions.map((v) => `${v.service}/${v.version}`));
  for (const v of idle) if (!listed.has(`${v.service}/${v.version}`)) versions.push(v);
  versions.sort((a, b) => (a.service === b.service ? cmp(a.version, b.version) : cmp(a.service, b.service)));
  return { versions };
}

/** What a new endpoint set of these addresses shows before its first request. */
export function idleSnapshot(
  service: string,
  version: string,
  loadBalancer: LoadBalancer,
  addresses: readonly EndpointAddress[],
): VersionEndpointsSnapshot {
  const seen = new Set<string>();
  const endpoints = [];
  for (const a of addresses) {
    if (seen.has(a.authority)) continue;
    seen.add(a.authority);
    endpoints.push({
      address: a.authority,
      state: 'healthy' as const,
      ejections: 0,
      ejectedForMs: 0,
      pending: 0,
      latencyMs: EWMA_DEFAULTS.defaultRttMs,
    });
  }
  return { service, version, loadBalancer, endpoints, breaker: { pending: 0, active: 0 } };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
