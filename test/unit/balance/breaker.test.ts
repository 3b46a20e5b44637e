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

  it('pending overflow: the request past maxPendingRequests is refused with "pending"', () => {
    const b = new CircuitBreaker({ maxConnections: 100, maxPendingRequests: 5, maxRequests: 100 });
    const leases = Array.from({ length: 5 }, () => admit(b));
    assert.equal(b.tryAcquire(), 'pending');
    leases[0]!.started();
    admit(b);
    assert.equal(b.tryAcquire(), 'pending');
  });

  it('requests overflow: in flight (pending + started) past maxRequests is refused with "requests"', () => {
    const b = new CircuitBreaker({ maxConnections: 100, maxPendingRequests: 100, maxRequests: 3 });
    const leases = [admit(b), admit(b), admit(b)];
    for (const l of leases) l.started();
    assert.equal(b.tryAcquire(), 'requests');
    leases[1]!.release();
    admit(b);
  });

  it('connections overflow: at maxConnections with every connection busy, refused with "connections"', () => {
    const b = new CircuitBreaker({ maxConnections: 2, maxPendingRequests: 100, maxRequests: 100 });
    b.connectionOpened();
    b.connectionOpened();
    const [x, y] = [admit(b), admit(b)];
    x.started();
    y.started();
    assert.equal(b.tryAcquire(), 'connections');
    y.release();
    admit(b);
    assert.equal(b.tryAcquire(), 'connections');
    b.connectionClosed();
    admit(b);
  });

  it('release and started are idempotent, and counts return to zero', () => {
    const b = new CircuitBreaker();
    const l = admit(b);
    l.started();
    l.started();
    l.release();
    l.release();
    const p = admit(b);
    p.release();
    p.started();
    assert.deepEqual(b.counts, { connections: 0, pending: 0, active: 0 });
  });

  it('new limits apply to requests in flight at once', () => {
    const b = new CircuitBreaker();
    admit(b);
    admit(b);
    b.setLimits({ ...BREAKER_DEFAULTS, maxRequests: 2 });
    assert.equal(b.tryAcquire(), 'requests');
  });
});
