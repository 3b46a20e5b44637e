// Metrics (docs/observability.md): the request series and the mesh counters,
// exposed through prom-client. Each idea has its own file under metrics/:
// series.ts (the series library), recorder.ts (request series),
// mesh.ts (the other counters), exposition.ts (registry and formats).
import type { Registry } from 'prom-client';
import { createBalanceMetrics } from './metrics/balance.ts';
import { createExposition } from './metrics/exposition.ts';
import { createMeshCounters } from './metrics/mesh.ts';
import { createRecorders, createRequestFamilies } from './metrics/recorder.ts';
import type { MeshMetrics } from './types.ts';

export { DURATION_BUCKETS, ISTIO_BUCKETS } from './metrics/recorder.ts';

/** MeshMetrics with its prom-client registry, which a multi-worker primary scrapes. */
export interface MeshletMetrics extends MeshMetrics {
  readonly registry: Registry;
}

export function createMetrics(opts: { istioCompat: boolean }): MeshletMetrics {
  const exposition = createExposition();
  const recorder = createRecorders(createRequestFamilies(exposition.add, opts.istioCompat));
  return {
    registry: exposition.registry,
    recorder,
    ...createMeshCounters(exposition.add),
    balance: createBalanceMetrics(exposition.add),
    render: exposition.render,
  };
}
