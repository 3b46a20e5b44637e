import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type AllowContext, principalOf as allowPrincipalOf } from '../../../src/authz/allow.ts';
import {
  type CompiledRateLimit,
  compileRateLimit,
  type PrincipalOf,
  RateLimiter,
  type RawRateLimit,
} from '../../../src/policy/rate-limit.ts';

// The resolver the config step passes in: the allow rules' own, so `from` and `perCaller` read alike.
const CTX: AllowContext = {
  trustDomain: 'cluster.local',
  sidecarNamespace: 'default',
  services: new Map([['batch', { namespace: 'default', serviceAccount: 'batch' }]]),
};
const principalOf: PrincipalOf = (entry) => allowPrincipalOf(entry, CTX);

const FLOODER = 'spiffe://cluster.local/ns/default/sa/flooder';
const BATCH = 'spiffe://cluster.local/ns/default/sa/batch';

function limit(raw: RawRateLimit): CompiledRateLimit {
  const r = compileRateLimit(raw, principalOf);
  assert.ok(r.ok && r.value !== null, JSON.stringify(r));
  return r.value;
}

describe('compileRateLimit', () => {
  it('burst defaults to one second of requests, at least one; perCaller takes a number or a bucket', () => {
    const l = limit({
      requestsPerSecond: 0.5,
      perCaller: { batch: 20, flooder: { requestsPerSecond: 5, burst: 2 } },
    });
    assert.deepEqual(l.service, { requestsPerSecond: 0.5, burst: 1 });
    assert.deepEqual(l.perCaller.get(BATCH), { requestsPerSecond: 20, burst: 20 });
    assert.deepEqual(l.perCaller.get(FLOODER), { requestsPerSecond: 5, burst: 2 });
  });

  it('reports bad limits and callers at their key paths', () => {
    const r = compileRateLimit(
      {
        requestsPerSecond: 0,
        burst: 1.5,
        perCaller: { 'Bad Name': 5, '*': 5, batch: -1, flooder: { requestsPerSecond: 1, burst: 0 } },
      },
      principalOf,
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path.join('.')),
      [
        'requestsPerSecond',
        'perCaller.Bad Name',
        'perCaller.*',
        'perCaller.batch',
        'perCaller.flooder.burst',
      ],
    );
  });

  it('two spellings of one caller are one entry', () => {
    const r = compileRateLimit(
      { requestsPerSecond: 1, perCaller: { batch: 1, 'ns/default/sa/batch': 2 } },
      principalOf,
    );
    assert.ok(!r.ok);
    assert.deepEqual(r.issues[0]!.path, ['perCaller', 'ns/default/sa/batch']);
    assert.match(
      r.issues[0]!.message,
      /names the same caller \(spiffe:\/\/cluster.local\/ns\/default\/sa\/batch\)/,
    );
  });
});

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RateLimiter', () => {
  it('50 rps, burst 10, under a 200 rps caller lets 50 ± 10 % per second through; a caller with its own limit is unaffected', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(
      limit({ requestsPerSecond: 50, burst: 10, perCaller: { batch: 20 } }),
      clock.now,
    );
    const perSecond: number[] = [];
    const batchPerSecond: number[] = [];
    for (let second = 0; second < 10; second++) {
      let allowed = 0;
      let batchAllowed = 0;
      // 200 req/s from the flooder (5 ms apart) and 10 req/s from batch, interleaved.
      for (let i = 0; i < 200; i++) {
        clock.advance(5);
        if (limiter.take(FLOODER).allowed) allowed++;
        if (i % 20 === 0 && limiter.take(BATCH).allowed) batchAllowed++;
      }
      perSecond.push(allowed);
      batchPerSecond.push(batchAllowed);
    }
    // The first second also spends the burst.
    assert.ok(perSecond[0]! >= 50 && perSecond[0]! <= 61, `first second: ${perSecond[0]}`);
    for (const n of perSecond.slice(1)) assert.ok(n >= 45 && n <= 55, `per second: ${perSecond.join(',')}`);
    assert.deepEqual(batchPerSecond, Array(10).fill(10));
  });

  it('plaintext callers and unlisted callers share the service bucket', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(limit({ requestsPerSecond: 1, burst: 2 }), clock.now);
    assert.equal(limiter.take(null).allowed, true);
    assert.equal(limiter.take(FLOODER).allowed, true);
    const denied = limiter.take(null);
    assert.deepEqual(denied, { allowed: false, retryAfterSeconds: 1 });
  });

  it('retry-after is whole seconds until a token is back, at least 1', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(limit({ requestsPerSecond: 0.2, burst: 1 }), clock.now);
    assert.equal(limiter.take(null).allowed, true);
    assert.deepEqual(limiter.take(null), { allowed: false, retryAfterSeconds: 5 });
    clock.advance(2_500);
    assert.deepEqual(limiter.take(null), { allowed: false, retryAfterSeconds: 3 });
    clock.advance(2_500);
    assert.equal(limiter.take(null).allowed, true);
  });

  it('a clock that steps back neither refills nor drains', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(limit({ requestsPerSecond: 1, burst: 1 }), clock.now);
    assert.equal(limiter.take(null).allowed, true);
    clock.advance(-10_000);
    assert.equal(limiter.take(null).allowed, false);
    clock.advance(10_000 + 1_000);
    assert.equal(limiter.take(null).allowed, true);
  });

  it('a reload carries token levels over per principal, clamped to the new burst', () => {
    const clock = manualClock();
    const before = new RateLimiter(
      limit({ requestsPerSecond: 1, burst: 5, perCaller: { batch: 1 } }),
      clock.now,
    );
    for (let i = 0; i < 5; i++) before.take(null);
    const after = new RateLimiter(
      limit({ requestsPerSecond: 1, burst: 3, perCaller: { batch: 1 } }),
      clock.now,
      before,
    );
    assert.equal(after.take(null).allowed, false, 'the drained service bucket stays drained');
    assert.equal(after.take(BATCH).allowed, true);
    assert.equal(after.take(BATCH).allowed, false);
  });

  it('never lets more than burst + rate × elapsed through, whatever the limit and arrivals (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 300 }),
        (rps, burst, gaps) => {
          const clock = manualClock();
          const limiter = new RateLimiter(limit({ requestsPerSecond: rps, burst }), clock.now);
          let allowed = 0;
          let elapsed = 0;
          for (const gap of gaps) {
            clock.advance(gap);
            elapsed += gap;
            const v = limiter.take(null);
            if (v.allowed) allowed++;
            else assert.ok(Number.isInteger(v.retryAfterSeconds) && v.retryAfterSeconds >= 1);
          }
          assert.ok(allowed <= burst + (rps * elapsed) / 1000 + 1e-9, `${allowed} allowed`);
        },
      ),
      { numRuns: 500 },
    );
  });
});
