import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndpointRegistry } from '../../../src/balance/endpoint-set.ts';
import { endpointsSnapshot } from '../../../src/balance/snapshot.ts';
import { ProxyError } from '../../../src/errors.ts';
import { loopbackEndpoints, ManualClock, seeded } from './sim.ts';

describe('endpointsSnapshot', () => {
  it('lists each version with its endpoints: state, ejections, pending and latency estimate', () => {
    const clock = new ManualClock();
    const registry = new EndpointRegistry({ clock: clock.read, random: seeded(9) });
    const v2 = registry.set('reviews', 'v2');
    const v1 = registry.set('reviews', 'v1');
    const ratings = registry.set('ratings', 'v1');
    v1.update(loopbackEndpoints(3));
    v2.update(loopbackEndpoints(1));
    ratings.update([]);
    for (let i = 0; i < 5; i++) v1.report('reviews/v1|127.0.0.3:9080', 'gateway-failure', 1);
    v1.report('reviews/v1|127.0.0.2:9080', 'success', 130);
    const held = v2.pick();
    assert.ok(!(held instanceof ProxyError));
    v1.update(loopbackEndpoints(2));
    v1.pick();
    clock.advance(1000);

    const snap = endpointsSnapshot(registry);
    assert.deepEqual(
      snap.versions.map((v) => `${v.service}/${v.version}`),
      ['ratings/v1', 'reviews/v1', 'reviews/v2'],
    );
    const reviews = snap.versions[1]!;
    assert.equal(reviews.loadBalancer, 'peak-ewma');
    assert.deepEqual(
      reviews.endpoints.map((e) => [e.address, e.state, e.ejections, e.ejectedForMs]),
      [
        ['127.0.0.2:9080', 'healthy', 0, 0],
        ['127.0.0.3:9080', 'ejected', 1, 29_000],
      ],
    );
    assert.equal(reviews.endpoints[0]!.pending, 1);
    assert.ok(Math.abs(reviews.endpoints[0]!.latencyMs - 130 * Math.exp(-0.1)) < 1e-6);
    assert.equal(snap.versions[2]!.endpoints[0]!.pending, 1);
    assert.deepEqual(snap.versions[2]!.breaker, { pending: 0, active: 0 });
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap, 'plain JSON');
  });

  it('shows a removed endpoint as draining while requests are in flight on it', () => {
    const registry = new EndpointRegistry({ clock: new ManualClock().read, random: seeded(9) });
    const set = registry.set('reviews', 'v1');
    set.update(loopbackEndpoints(1));
    const held = set.pick();
    assert.ok(!(held instanceof ProxyError));
    set.update([]);
    const states = () =>
      endpointsSnapshot(registry).versions[0]!.endpoints.map((e) => `${e.address} ${e.state}`);
    assert.deepEqual(states(), ['127.0.0.2:9080 draining']);
    set.report(held.key, 'success', 3);
    assert.deepEqual(states(), []);
  });
});
