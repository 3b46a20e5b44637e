import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Balancing } from '../../../src/balance/wiring.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';
import { UpstreamPools } from '../../../src/forward/pools.ts';
import type { OutboundTarget } from '../../../src/route/resolve.ts';
import { createLogger } from '../../../src/telemetry/log.ts';
import type { BalanceMetrics } from '../../../src/telemetry/metrics/balance.ts';
import { noopMetrics } from '../../../src/telemetry/noop.ts';

const SELF = { service: 't', workload: 't', namespace: 'default', version: 'v1', serviceAccount: 't' };

function mesh(split: string, v2 = '["10.0.0.2:80"]'): CompiledMesh {
  const r = loadMeshText(
    `mtls: disable
services:
  reviews:
    versions:
      v1: { endpoints: ["10.0.0.1:80"] }
      v2: { endpoints: ${v2} }
    routes:
      - name: canary
        split: { ${split} }
        guard: { baseline: v1, maxErrorRate: 0.1, window: 10s, minRequests: 5 }
`,
    'mesh.yaml',
    SELF,
  );
  assert.ok(r.ok);
  return r.mesh;
}

function balancing() {
  const gauges = new Map<string, number>();
  const balance: BalanceMetrics = {
    ...noopMetrics.balance,
    canaryGuard: (service, route, version, tripped) =>
      gauges.set(`${service} ${route} ${version}`, tripped ? 1 : 0),
  };
  const b = new Balancing({
    metrics: { ...noopMetrics, balance },
    log: createLogger('silent'),
    dnsServers: null,
  });
  return { b, gauges };
}

function target(m: CompiledMesh, version: string): OutboundTarget {
  const service = m.services.get('reviews')!;
  const v = service.versions.get(version)!;
  return {
    service,
    route: service.routes[0]!,
    version: v,
    origin: v.origin,
    path: '/',
    peerId: null,
    authority: 'reviews',
    absoluteForm: false,
  };
}

/** Finishes `n` requests to `version` with `status` through the guard. */
function feed(b: Balancing, t: OutboundTarget, n: number, status: number): void {
  for (let i = 0; i < n; i++) b.watch(t, performance.now(), () => {})(status, '-', 0, 0, null);
}

describe('Balancing', () => {
  it('the guard trips a failing canary: its requests go to the baseline, the gauge reads 1, /config lists it', () => {
    const { b, gauges } = balancing();
    const m = mesh('v1: 90, v2: 10');
    b.apply(m);
    const key = 'reviews.default.svc.cluster.local canary v2';
    assert.equal(gauges.get(key), 0, 'a watched version reads 0 before any trip');
    feed(b, target(m, 'v2'), 5, 500);
    assert.equal(gauges.get(key), 1);
    assert.equal(b.steer(target(m, 'v2')).version!.name, 'v1');
    assert.equal(b.steer(target(m, 'v1')).version!.name, 'v1');
    assert.deepEqual(
      b.guards().map((g) => [g.route, g.baseline, g.tripped.map((t) => t.version)]),
      [['canary', 'v1', ['v2']]],
    );
    b.close();
  });

  it('a reload with the same weights keeps the trip; new weights reset it and the gauge reads 0', () => {
    const { b, gauges } = balancing();
    const m = mesh('v1: 90, v2: 10');
    b.apply(m);
    feed(b, target(m, 'v2'), 5, 503);
    const same = mesh('v1: 90, v2: 10');
    b.apply(same);
    assert.equal(b.steer(target(same, 'v2')).version!.name, 'v1');
    const next = mesh('v1: 80, v2: 20');
    b.apply(next);
    assert.equal(b.steer(target(next, 'v2')).version!.name, 'v2');
    assert.equal(gauges.get('reviews.default.svc.cluster.local canary v2'), 0);
    b.close();
  });

  it('endpoint state survives a reload that keeps the endpoint; a removed version drains away', () => {
    const { b } = balancing();
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const m = mesh('v1: 1, v2: 1', '["10.0.0.2:80", "10.0.0.3:80"]');
    b.apply(m);
    const set = b.registry.get('reviews/v2')!;
    assert.equal(set.size, 2);
    const up = b.upstream(m.services.get('reviews')!.versions.get('v2')!, pools, null, null)!;
    const picked = up.pick(1, new Set());
    assert.ok(!('flag' in picked));
    b.apply(mesh('v1: 1, v2: 1', '["10.0.0.2:80", "10.0.0.3:80"]'));
    assert.equal(b.registry.get('reviews/v2'), set, 'the same set across reloads');
    assert.equal(
      set.snapshot().endpoints.reduce((n, e) => n + e.pending, 0),
      1,
      'in-flight count kept',
    );
    up.finished();
    assert.equal(
      set.snapshot().endpoints.reduce((n, e) => n + e.pending, 0),
      0,
    );
    const r = loadMeshText(
      'mtls: disable\nservices:\n  reviews:\n    versions:\n      v1: { endpoints: ["10.0.0.1:80"] }\n',
      'mesh.yaml',
      SELF,
    );
    assert.ok(r.ok);
    b.apply(r.mesh);
    assert.equal(b.registry.get('reviews/v2'), undefined);
    assert.deepEqual(
      b.endpoints().versions.map((v) => `${v.service}/${v.version}`),
      ['reviews/v1'],
      'the removed version had nothing in flight: gone at once',
    );
    b.close();
    void pools.close();
  });
});
