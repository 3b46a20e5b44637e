// The body of the admin port's /endpoints: each service version's endpoints
// with their state, ejections, requests in flight and latency estimate.
import type { EndpointRegistry, VersionEndpointsSnapshot } from './endpoint-set.ts';

export interface EndpointsSnapshot {
  readonly versions: readonly VersionEndpointsSnapshot[];
}

export function endpointsSnapshot(registry: EndpointRegistry): EndpointsSnapshot {
  const versions = registry
    .sets()
    .map((set) => set.snapshot())
    .sort((a, b) => (a.service === b.service ? cmp(a.version, b.version) : cmp(a.service, b.service)));
  return { versions };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
