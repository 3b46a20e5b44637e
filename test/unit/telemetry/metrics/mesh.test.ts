// The traffic-policy counters of the mesh metrics: rate-limited requests per
// verified caller (bounded label values) and dropped mirror copies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../../../src/telemetry/metrics.ts';

function lines(body: string, name: string): string[] {
  return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('traffic-policy counters', () => {
  it('counts rate-limited requests by destination service and caller', async () => {
    const m = createMetrics({ istioCompat: false });
    m.rateLimited('api.default.svc.cluster.local', 'spiffe://cluster.local/ns/default/sa/flood');
    m.rateLimited('api.default.svc.cluster.local', 'spiffe://cluster.local/ns/default/sa/flood');
    m.rateLimited('api.default.svc.cluster.local', 'unknown');
    const { body } = await m.render(undefined);
    assert.deepEqual(lines(body, 'meshlet_rate_limited_total').sort(), [
      'meshlet_rate_limited_total{destination_service="api.default.svc.cluster.local",source_principal="spiffe://cluster.local/ns/default/sa/flood"} 2',
      'meshlet_rate_limited_total{destination_service="api.default.svc.cluster.local",source_principal="unknown"} 1',
    ]);
  });

  it('keeps at most 64 callers as label values; later ones count as other', async () => {
    const m = createMetrics({ istioCompat: false });
    for (let i = 0; i < 100; i++) m.rateLimited('api', `spiffe://cluster.local/ns/default/sa/c${i}`);
    const { body } = await m.render(undefined);
    const series = lines(body, 'meshlet_rate_limited_total');
    assert.equal(series.length, 65);
    assert.ok(
      series.includes('meshlet_rate_limited_total{destination_service="api",source_principal="other"} 36'),
    );
  });

  it('counts dropped mirror copies', async () => {
    const m = createMetrics({ istioCompat: false });
    m.mirrorDropped();
    m.mirrorDropped();
    const { body } = await m.render(undefined);
    assert.deepEqual(lines(body, 'meshlet_mirror_dropped_total'), ['meshlet_mirror_dropped_total 2']);
  });
});
