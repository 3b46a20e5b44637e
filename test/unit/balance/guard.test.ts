import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CanaryGuard, CanaryGuards, type GuardPolicy } from '../../../src/balance/guard.ts';
import { seeded } from './sim.ts';

const POLICY: GuardPolicy = {
  baseline: 'v1',
  maxErrorRate: 0.1,
  maxLatencyP99Ms: 800,
  windowMs: 30_000,
  minRequests: 20,
};

describe('CanaryGuard', () => {
  it('v2 answering 50 % 500s at a 10 % split with maxErrorRate 0.1 trips within its window', () => {
    const guard = new CanaryGuard(POLICY);
    const random = seeded(11);
    let trip = null;
    let t = 0;
    let v2Requests = 0;
    while (trip === null && t < 30_000) {
      t += 5; // 200 req/s
      const version = random() < 0.1 ? 'v2' : 'v1';
      const status = version === 'v2' && random() < 0.5 ? 500 : 200;
      if (version === 'v2') v2Requests++;
      trip = guard.observe(version, status, 20, t);
    }
    assert.ok(trip !== null, 'tripped');
    assert.equal(trip.version, 'v2');
    assert.equal(trip.reason, 'error-rate');
    assert.equal(trip.requests, 20, 'decided as soon as minRequests is reached');
    assert.equal(v2Requests, 20);
    assert.ok(trip.value > 0.1);
    assert.ok(guard.isTripped('v2'));
    assert.deepEqual([...guard.tripped.keys()], ['v2']);
    assert.equal(guard.observe('v2', 500, 20, t + 1), null, 'a trip is reported once');
  });

  it('never trips the baseline, however bad', () => {
    const guard = new CanaryGuard(POLICY);
    for (let i = 0; i < 100; i++) assert.equal(guard.observe('v1', 503, 5000, i), null);
    assert.equal(guard.tripped.size, 0);
  });

  it('decides nothing below minRequests', () => {
    const guard = new CanaryGuard(POLICY);
    for (let i = 0; i < 19; i++) assert.equal(guard.observe('v2', 500, 10, i), null);
    assert.notEqual(guard.observe('v2', 500, 10, 19), null);
  });

  it('a healthy canary within limits never trips', () => {
    const guard = new CanaryGuard(POLICY);
    const random = seeded(5);
    for (let t = 0; t < 120_000; t += 10) {
      // 5 % errors, latencies up to 500 ms
      assert.equal(guard.observe('v2', random() < 0.05 ? 503 : 200, random() * 500, t), null);
    }
  });

  it('counts answers with no status (0) as errors', () => {
    const guard = new CanaryGuard({ ...POLICY, minRequests: 10 });
    let trip = null;
    for (let i = 0; i < 10; i++) trip = guard.observe('v2', i % 2 === 0 ? 0 : 200, 5, i);
    assert.equal(trip?.reason, 'error-rate');
  });

  it('trips on p99 latency above maxLatencyP99, not on a p98 above it', () => {
    const guard = new CanaryGuard({ ...POLICY, maxErrorRate: null, minRequests: 100 });
    // 98 fast and 2 slow of 100: the p99 is slow
    for (let i = 0; i < 98; i++) assert.equal(guard.observe('v2', 200, 50, i), null);
    assert.equal(guard.observe('v2', 200, 2000, 98), null);
    const trip = guard.observe('v2', 200, 2000, 99);
    assert.equal(trip?.reason, 'latency-p99');
    assert.ok(trip!.value > 800 && trip!.value <= 2000, `p99 floor ${trip!.value}`);

    const calm = new CanaryGuard({ ...POLICY, maxErrorRate: null, minRequests: 100 });
    for (let i = 0; i < 199; i++) assert.equal(calm.observe('v2', 200, 50, i), null);
    assert.equal(calm.observe('v2', 200, 5000, 199), null, '1 slow in 200 is the p99.5');
  });

  it('forgets answers older than the window', () => {
    const guard = new CanaryGuard(POLICY);
    for (let i = 0; i < 19; i++) guard.observe('v2', 500, 10, i);
    // 40 s later the errors have left the 30 s window: 20 fresh successes are fine
    for (let i = 0; i < 20; i++) assert.equal(guard.observe('v2', 200, 10, 40_000 + i), null);
  });

  it('reset clears the trips', () => {
    const guard = new CanaryGuard({ ...POLICY, minRequests: 1 });
    guard.observe('v2', 500, 1, 0);
    assert.ok(guard.isTripped('v2'));
    guard.reset();
    assert.ok(!guard.isTripped('v2'));
  });
});

describe('CanaryGuards', () => {
  it('keeps a tripped guard across a reload with the same weights, resets it when the weights change', () => {
    const guards = new CanaryGuards();
    const policy = { ...POLICY, minRequests: 1 };
    const g = guards.guard('reviews#0', policy, 'v1=90,v2=10');
    g.observe('v2', 500, 1, 0);
    assert.ok(g.isTripped('v2'));
    const same = guards.guard('reviews#0', { ...policy }, 'v1=90,v2=10');
    assert.equal(same, g);
    assert.ok(same.isTripped('v2'));
    const edited = guards.guard('reviews#0', policy, 'v1=80,v2=20');
    assert.notEqual(edited, g);
    assert.ok(!edited.isTripped('v2'));
  });

  it('drops the guards of routes no longer in the config', () => {
    const guards = new CanaryGuards();
    guards.guard('a#0', POLICY, 'x');
    guards.guard('b#0', POLICY, 'x');
    guards.retain(['b#0']);
    assert.deepEqual(
      [...guards.entries()].map(([k]) => k),
      ['b#0'],
    );
  });
});
