import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BALANCE_DEFAULTS,
  type BalancePolicy,
  EndpointRegistry,
  EndpointSet,
} from '../../../src/balance/endpoint-set.ts';
import { endpointAddress } from '../../../src/discovery/address.ts';
import { ProxyError } from '../../../src/errors.ts';
import { loopbackEndpoints, ManualClock, seeded, simulate } from './sim.ts';

function makeSet(n: number, policy: Partial<BalancePolicy> = {}, seed = 1) {
  const clock = new ManualClock();
  const ejections: string[] = [];
  const set = new EndpointSet('reviews', 'v1', {
    clock: clock.read,
    random: seeded(seed),
    policy: { ...BALANCE_DEFAULTS, ...policy },
    onEjection: (e) => ejections.push(`${e.endpoint.address.authority} ${e.durationMs}`),
  });
  set.update(loopbackEndpoints(n));
  return { set, clock, ejections };
}

function keyOf(set: EndpointSet, authority: string): string {
  return `${set.key}|${authority}`;
}

function fail(set: EndpointSet, authority: string, times: number): void {
  for (let i = 0; i < times; i++) set.report(keyOf(set, authority), 'gateway-failure', 1);
}

/** Authorities picked over `n` picks, each reported at once as a success. */
function pickMany(set: EndpointSet, n: number): Map<string, number> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = set.pick();
    if (e instanceof ProxyError) throw e;
    seen.set(e.address.authority, (seen.get(e.address.authority) ?? 0) + 1);
    set.report(e.key, 'success', 10);
  }
  return seen;
}

describe('EndpointSet: balancing', () => {
  for (const loadBalancer of ['peak-ewma', 'least-request', 'round-robin'] as const) {
    it(`${loadBalancer}: three equal endpoints each get 33 % ± 5 % of 3,000 picks under concurrency`, () => {
      const { set, clock } = makeSet(3, { loadBalancer });
      const jitter = seeded(7);
      const picks = simulate(set, clock, { total: 3000, concurrency: 8, latencyMs: () => 10 + jitter() * 2 });
      assert.equal(picks.size, 3);
      for (const [authority, n] of picks) {
        assert.ok(Math.abs(n / 3000 - 1 / 3) <= 0.05, `${authority} got ${n} of 3000`);
      }
    });
  }

  for (const loadBalancer of ['least-request', 'round-robin'] as const) {
    it(`${loadBalancer}: one request at a time still splits three equal endpoints 33 % ± 5 %`, () => {
      // Peak-EWMA need not: it follows whichever answered fastest lately (as Linkerd's does).
      const { set, clock } = makeSet(3, { loadBalancer });
      const jitter = seeded(12);
      const picks = simulate(set, clock, {
        total: 3000,
        concurrency: 1,
        latencyMs: () => 0.8 + jitter() * 0.4,
      });
      for (const [authority, n] of picks) {
        assert.ok(Math.abs(n / 3000 - 1 / 3) <= 0.05, `${authority} got ${n} of 3000`);
      }
    });
  }

  it('peak-ewma: an endpoint 20 × slower gets < 10 % of picks under concurrency', () => {
    const { set, clock } = makeSet(3);
    const picks = simulate(set, clock, {
      total: 3000,
      concurrency: 10,
      latencyMs: (a) => (a === '127.0.0.4:9080' ? 200 : 10),
    });
    const slow = picks.get('127.0.0.4:9080') ?? 0;
    assert.ok(slow / 3000 < 0.1, `slow endpoint got ${slow} of 3000`);
    assert.ok(slow > 0, 'the slow endpoint is still probed');
  });

  it('round-robin: the same 20 × slower endpoint gets ~33 % (the contrast)', () => {
    const { set, clock } = makeSet(3, { loadBalancer: 'round-robin' });
    const picks = simulate(set, clock, {
      total: 3000,
      concurrency: 10,
      latencyMs: (a) => (a === '127.0.0.4:9080' ? 200 : 10),
    });
    const slow = picks.get('127.0.0.4:9080') ?? 0;
    assert.ok(Math.abs(slow / 3000 - 1 / 3) < 0.01, `slow endpoint got ${slow} of 3000`);
  });

  it('least-request: an endpoint with requests piling up gets fewer picks', () => {
    const { set, clock } = makeSet(3, { loadBalancer: 'least-request' });
    const picks = simulate(set, clock, {
      total: 3000,
      concurrency: 10,
      latencyMs: (a) => (a === '127.0.0.4:9080' ? 200 : 10),
    });
    assert.ok((picks.get('127.0.0.4:9080') ?? 0) / 3000 < 0.2);
  });

  it('counts a pick as pending until it is reported', () => {
    const { set } = makeSet(1);
    const e = set.pick();
    assert.ok(!(e instanceof ProxyError));
    assert.equal(set.snapshot().endpoints[0]!.pending, 1);
    set.report(e.key, 'cancelled', 0);
    assert.equal(set.snapshot().endpoints[0]!.pending, 0);
    set.report(e.key, 'cancelled', 0);
    assert.equal(set.snapshot().endpoints[0]!.pending, 0, 'a double report does not go below zero');
  });

  it('a latency that is not a finite non-negative number is not observed', () => {
    const { set } = makeSet(1);
    for (const bad of [Number.NaN, -5, Number.POSITIVE_INFINITY])
      set.report(keyOf(set, '127.0.0.2:9080'), 'success', bad);
    assert.equal(set.snapshot().endpoints[0]!.latencyMs, 30);
  });

  it('a retry prefers an endpoint not yet tried, and falls back to a tried one', () => {
    for (const loadBalancer of ['peak-ewma', 'least-request', 'round-robin'] as const) {
      const { set } = makeSet(3, { loadBalancer });
      for (let round = 0; round < 50; round++) {
        const tried = new Set<string>();
        for (let attempt = 0; attempt < 3; attempt++) {
          const e = set.pick(tried);
          assert.ok(!(e instanceof ProxyError));
          assert.ok(!tried.has(e.key), `${loadBalancer}: attempt ${attempt} repeated ${e.key}`);
          tried.add(e.key);
          set.report(e.key, 'gateway-failure', 1);
          set.report(e.key, 'success', 1);
        }
        const again = set.pick(tried);
        assert.ok(!(again instanceof ProxyError), 'all tried: one of them again, not an error');
        set.report(again.key, 'success', 1);
      }
    }
  });

  it('no endpoints at all: a UH error naming the version', () => {
    const { set } = makeSet(0);
    const e = set.pick();
    assert.ok(e instanceof ProxyError);
    assert.equal(e.flag, 'UH');
    assert.equal(e.status, 503);
    assert.match(e.message, /reviews v1: no endpoints/);
  });
});

describe('EndpointSet: outlier detection', () => {
  it('ejects after 5 consecutive gateway failures, not after 4 or an interrupted run', () => {
    const { set, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 4);
    set.report(keyOf(set, '127.0.0.2:9080'), 'success', 10);
    fail(set, '127.0.0.2:9080', 4);
    assert.deepEqual(ejections, []);
    fail(set, '127.0.0.2:9080', 1);
    assert.deepEqual(ejections, ['127.0.0.2:9080 30000']);
    assert.ok(!pickMany(set, 2000).has('127.0.0.2:9080'), 'an ejected endpoint gets no picks');
    assert.equal(set.snapshot().endpoints[0]!.state, 'ejected');
  });

  it('re-admits after 30 s, and a second ejection lasts twice as long', () => {
    const { set, clock, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 5);
    clock.advance(29_999);
    assert.ok(!pickMany(set, 500).has('127.0.0.2:9080'));
    clock.advance(1);
    assert.ok(pickMany(set, 500).has('127.0.0.2:9080'), 're-admitted at 30 s');
    assert.equal(set.snapshot().endpoints[0]!.state, 'healthy');
    fail(set, '127.0.0.2:9080', 5);
    clock.advance(59_999);
    assert.ok(!pickMany(set, 500).has('127.0.0.2:9080'));
    clock.advance(1);
    assert.ok(pickMany(set, 500).has('127.0.0.2:9080'));
    assert.deepEqual(ejections, ['127.0.0.2:9080 30000', '127.0.0.2:9080 60000']);
    assert.equal(set.snapshot().endpoints[0]!.ejections, 2);
  });

  it('caps the ejection time at 5 minutes', () => {
    const { set, clock, ejections } = makeSet(10);
    for (let i = 0; i < 12; i++) {
      fail(set, '127.0.0.2:9080', 5);
      clock.advance(300_000);
      pickMany(set, 1);
    }
    assert.equal(ejections.at(-1), '127.0.0.2:9080 300000');
    assert.equal(ejections[9], '127.0.0.2:9080 300000');
    assert.equal(ejections[8], '127.0.0.2:9080 270000');
  });

  it('a long healthy spell lowers the multiplier again', () => {
    const { set, clock, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 5);
    clock.advance(30_000);
    pickMany(set, 1);
    fail(set, '127.0.0.2:9080', 5);
    clock.advance(60_000);
    pickMany(set, 1);
    clock.advance(10 * 60_000);
    fail(set, '127.0.0.2:9080', 5);
    assert.deepEqual(
      ejections.map((e) => e.split(' ')[1]),
      ['30000', '60000', '30000'],
    );
  });

  it('ejects at most 10 % of the endpoints', () => {
    const { set, ejections } = makeSet(20);
    for (const a of ['127.0.0.2:9080', '127.0.0.3:9080', '127.0.0.4:9080']) fail(set, `${a}`, 5);
    assert.equal(ejections.length, 2, '10 % of 20');
    assert.deepEqual(set.counts(), { healthy: 18, ejected: 2, draining: 0 });
  });

  it('always lets one endpoint be ejected, even when 10 % rounds to none', () => {
    const { set, ejections } = makeSet(3);
    fail(set, '127.0.0.2:9080', 5);
    fail(set, '127.0.0.3:9080', 5);
    assert.deepEqual(ejections, ['127.0.0.2:9080 30000']);
    assert.deepEqual(set.counts(), { healthy: 2, ejected: 1, draining: 0 });
  });

  it('every endpoint ejected: all are tried again (panic, as Envoy), never a refusal; still shown ejected', () => {
    const { set, clock } = makeSet(1);
    fail(set, '127.0.0.2:9080', 5);
    assert.deepEqual(set.counts(), { healthy: 0, ejected: 1, draining: 0 });
    const e = set.pick();
    assert.ok(!(e instanceof ProxyError));
    assert.equal(e.address.authority, '127.0.0.2:9080');
    set.report(e.key, 'gateway-failure', 1);
    clock.advance(30_000);
    assert.deepEqual(set.counts(), { healthy: 1, ejected: 0, draining: 0 });
  });

  it('failures of requests already in flight when it was ejected do not extend the ejection', () => {
    const { set, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 12);
    assert.equal(ejections.length, 1);
  });

  it('cancelled attempts neither count as failures nor end a run', () => {
    const { set, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 4);
    set.report(keyOf(set, '127.0.0.2:9080'), 'cancelled', 0);
    fail(set, '127.0.0.2:9080', 1);
    assert.equal(ejections.length, 1);
  });

  it('outlier detection off: failures eject nothing; turning it off re-admits', () => {
    const { set, ejections } = makeSet(10);
    fail(set, '127.0.0.2:9080', 5);
    assert.equal(ejections.length, 1);
    set.configure({ ...BALANCE_DEFAULTS, outlier: null });
    assert.equal(set.counts().ejected, 0);
    fail(set, '127.0.0.3:9080', 50);
    assert.equal(ejections.length, 1);
  });
});

describe('EndpointSet: membership changes', () => {
  it('a removed endpoint drains: no new picks, its in-flight requests are reported, then its state goes', () => {
    const { set } = makeSet(3, { loadBalancer: 'round-robin' });
    const held = [];
    for (let i = 0; i < 3; i++) {
      const e = set.pick();
      assert.ok(!(e instanceof ProxyError));
      held.push(e);
    }
    const gone = held.find((e) => e.address.authority === '127.0.0.4:9080')!;
    set.update(loopbackEndpoints(2));
    assert.ok(!pickMany(set, 300).has('127.0.0.4:9080'));
    const draining = set.snapshot().endpoints.find((e) => e.address === '127.0.0.4:9080');
    assert.equal(draining?.state, 'draining');
    assert.equal(draining?.pending, 1);
    set.report(gone.key, 'success', 5);
    assert.equal(
      set.snapshot().endpoints.find((e) => e.address === '127.0.0.4:9080'),
      undefined,
    );
    assert.equal(set.size, 2);
  });

  it('an endpoint kept across an update keeps its latency estimate and ejection state; a new one starts fresh', () => {
    const { set, clock } = makeSet(2);
    set.report(keyOf(set, '127.0.0.2:9080'), 'success', 400);
    fail(set, '127.0.0.3:9080', 5);
    clock.advance(1);
    set.update([...loopbackEndpoints(2), endpointAddress('127.0.0.9', 9080)]);
    const byAddress = new Map(set.snapshot().endpoints.map((e) => [e.address, e]));
    assert.ok(byAddress.get('127.0.0.2:9080')!.latencyMs > 390);
    assert.equal(byAddress.get('127.0.0.3:9080')!.state, 'ejected');
    // 127.0.0.2 is the only healthy peer (400 ms decayed for 1 ms)
    assert.ok(Math.abs(byAddress.get('127.0.0.9:9080')!.latencyMs - 400 * Math.exp(-1 / 10_000)) < 1e-6);
  });

  it("a new endpoint starts at its healthy peers' mean estimate, or at the 30 ms default with none", () => {
    const { set, clock } = makeSet(0);
    set.update(loopbackEndpoints(2));
    assert.deepEqual(
      set.snapshot().endpoints.map((e) => e.latencyMs),
      [30, 30],
    );
    set.report(keyOf(set, '127.0.0.2:9080'), 'success', 1);
    clock.advance(30_000);
    set.report(keyOf(set, '127.0.0.2:9080'), 'success', 1);
    set.report(keyOf(set, '127.0.0.3:9080'), 'success', 3);
    set.update(loopbackEndpoints(3));
    const [a, b, fresh] = set.snapshot().endpoints.map((e) => e.latencyMs) as [number, number, number];
    assert.ok(a < b, 'the peers differ');
    assert.ok(Math.abs(fresh - (a + b) / 2) < 1e-9, `${fresh}`);
    // and so it gets its share of sequential traffic at once
    const picks = pickMany(set, 300);
    assert.ok((picks.get('127.0.0.4:9080') ?? 0) > 30, `${picks.get('127.0.0.4:9080')}`);
  });

  it('an endpoint that leaves with nothing in flight and comes back starts fresh', () => {
    const { set } = makeSet(2);
    fail(set, '127.0.0.3:9080', 5);
    set.update(loopbackEndpoints(1));
    set.update(loopbackEndpoints(2));
    assert.equal(set.counts().ejected, 0);
  });
});

describe('EndpointRegistry', () => {
  it('a reload that keeps a version keeps its set and state; a new policy applies', () => {
    const clock = new ManualClock();
    const registry = new EndpointRegistry({ clock: clock.read, random: seeded(3) });
    const set = registry.set('reviews', 'v1');
    set.update(loopbackEndpoints(10));
    fail(set, '127.0.0.2:9080', 5);
    const rr = { ...BALANCE_DEFAULTS, loadBalancer: 'round-robin' as const };
    const again = registry.set('reviews', 'v1', rr);
    assert.equal(again, set);
    assert.equal(again.policy.loadBalancer, 'round-robin');
    assert.equal(again.counts().ejected, 1);
  });

  it('a version dropped from the config drains, then is forgotten', () => {
    const registry = new EndpointRegistry({ clock: new ManualClock().read, random: seeded(3) });
    const v1 = registry.set('reviews', 'v1');
    const v2 = registry.set('reviews', 'v2');
    v1.update(loopbackEndpoints(1));
    v2.update(loopbackEndpoints(1));
    const held = v2.pick();
    assert.ok(!(held instanceof ProxyError));
    registry.retain(['reviews/v1']);
    assert.deepEqual(
      registry.sets().map((s) => s.key),
      ['reviews/v1', 'reviews/v2'],
    );
    assert.ok(v2.pick() instanceof ProxyError, 'no new requests to a dropped version');
    v2.report(held.key, 'success', 1);
    assert.deepEqual(
      registry.sets().map((s) => s.key),
      ['reviews/v1'],
    );
    assert.equal(registry.get('reviews/v2'), undefined);
  });
});
