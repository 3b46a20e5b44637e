import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BREAKER_DEFAULTS, type BreakerLease, CircuitBreaker } from '../../../src/balance/breaker.ts';

function admit(b: CircuitBreaker): BreakerLease {
  const lease = b.tryAcquire();
  assert.equal(typeof lease, 'object', `refused: ${String(lease)}`);
  return lease as BreakerLease;
}

describe('CircuitBreaker', () => {
  it("defaults to Envoy's 1024 for each limit", () => {
    assert.deepEqual(BREAKER_DEFAULTS, { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 });
  });

  it('past maxConnections requests wait; past maxPendingRequests they are refused with "pending"', () => {
    const b = new CircuitBreaker({ maxConnections: 2, maxPendingRequests: 3, maxRequests: 100 });
    const running = [admit(b), admit(b)];
    assert.ok(running.every((l) => l.running));
    const waiting = [admit(b), admit(b), admit(b)];
    assert.ok(waiting.every((l) => !l.running));
    assert.equal(b.tryAcquire(), 'pending');
    assert.deepEqual(b.counts, { pending: 3, active: 2 });
  });

  it('a finished request hands its connection to the oldest waiting one, in order', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 5, maxRequests: 100 });
    const first = admit(b);
    const started: number[] = [];
    const waiting = [admit(b), admit(b)];
    for (const [i, l] of waiting.entries()) {
      l.whenRunning(() => {
        started.push(i);
      });
    }
    first.release();
    assert.deepEqual(started, [0]);
    waiting[0]!.release();
    assert.deepEqual(started, [0, 1]);
    assert.ok(waiting[1]!.running);
  });

  it('a waiting request that is released leaves the queue without running', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 100 });
    const first = admit(b);
    const waiting = admit(b);
    let ran = false;
    waiting.whenRunning(() => {
      ran = true;
    });
    waiting.release();
    assert.deepEqual(b.counts, { pending: 0, active: 1 });
    first.release();
    assert.equal(ran, false);
    assert.deepEqual(b.counts, { pending: 0, active: 0 });
  });

  it('requests overflow: running plus waiting past maxRequests is refused with "requests"', () => {
    const b = new CircuitBreaker({ maxConnections: 100, maxPendingRequests: 100, maxRequests: 3 });
    const leases = [admit(b), admit(b), admit(b)];
    assert.equal(b.tryAcquire(), 'requests');
    leases[1]!.release();
    admit(b);
  });

  it('connections overflow: every connection busy and no waiting allowed is refused with "connections"', () => {
    const b = new CircuitBreaker({ maxConnections: 2, maxPendingRequests: 0, maxRequests: 100 });
    const [, y] = [admit(b), admit(b)];
    assert.equal(b.tryAcquire(), 'connections');
    y!.release();
    admit(b);
    assert.equal(b.tryAcquire(), 'connections');
  });

  it('release is idempotent, and counts return to zero', () => {
    const b = new CircuitBreaker();
    const l = admit(b);
    l.release();
    l.release();
    assert.deepEqual(b.counts, { pending: 0, active: 0 });
  });

  it('new limits apply to requests in flight at once, and a raised connection limit starts waiting ones', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 10, maxRequests: 100 });
    admit(b);
    const waiting = admit(b);
    b.setLimits({ ...BREAKER_DEFAULTS, maxConnections: 2, maxRequests: 2 });
    assert.ok(waiting.running);
    assert.equal(b.tryAcquire(), 'requests');
  });
});
