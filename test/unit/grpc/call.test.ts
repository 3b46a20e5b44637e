import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addGrpcHeaders, callDeadlineMs, grpcCallOf } from '../../../src/grpc/call.ts';

describe('grpcCallOf', () => {
  it('tells a gRPC call by its content type and reads its method and grpc-timeout', () => {
    assert.deepEqual(
      grpcCallOf({ 'content-type': 'application/grpc', 'grpc-timeout': '250m' }, '/pkg.S/Get'),
      {
        method: { service: 'pkg.S', method: 'Get' },
        timeoutMs: 250,
      },
    );
    assert.equal(grpcCallOf({ 'content-type': 'application/json' }, '/pkg.S/Get'), null);
    assert.equal(grpcCallOf({ 'content-type': 'application/grpc-web' }, '/pkg.S/Get'), null);
    assert.deepEqual(grpcCallOf({ 'content-type': 'application/grpc+proto' }, '/not/a/grpc/path?x=1'), {
      method: null,
      timeoutMs: null,
    });
    assert.deepEqual(grpcCallOf({ 'content-type': 'application/grpc' }, '/a.B/C?x=1')?.method, {
      service: 'a.B',
      method: 'C',
    });
  });

  it('never throws on headers from the network, and a deadline is always a whole positive number or the route timeout (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant('application/grpc'), fc.string()),
        fc.option(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{1,8}[HMSmunx]$/)), { nil: undefined }),
        fc.string(),
        fc.nat(100_000),
        (ct, timeout, path, route) => {
          const call = grpcCallOf({ 'content-type': ct, 'grpc-timeout': timeout }, path);
          const ms = callDeadlineMs(route, call);
          assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= 2 ** 31 - 1, String(ms));
          if (call?.timeoutMs == null) assert.equal(ms, route);
          else {
            assert.ok(ms >= 1);
            if (route > 0) assert.ok(ms <= route);
            assert.ok(ms <= Math.max(1, call.timeoutMs));
          }
        },
      ),
    );
  });
});

describe('callDeadlineMs and addGrpcHeaders', () => {
  it('takes the shorter of grpc-timeout and the route timeout; an expired grpc-timeout still gets a timer', () => {
    const call = (timeoutMs: number | null) => ({ method: null, timeoutMs });
    assert.equal(callDeadlineMs(0, null), 0);
    assert.equal(callDeadlineMs(500, null), 500);
    assert.equal(callDeadlineMs(0, call(100)), 100);
    assert.equal(callDeadlineMs(500, call(100)), 100);
    assert.equal(callDeadlineMs(50, call(100)), 50);
    assert.equal(callDeadlineMs(0, call(0)), 1);
    // 99999999H: far past Node's longest timer, which would fire at once.
    assert.equal(callDeadlineMs(0, call(99_999_999 * 3_600_000)), 2 ** 31 - 1);
  });

  it('asks for TE: trailers upstream for gRPC calls only', () => {
    const h: string[] = [];
    addGrpcHeaders(h, null);
    assert.deepEqual(h, []);
    addGrpcHeaders(h, { method: null, timeoutMs: null });
    assert.deepEqual(h, ['te', 'trailers']);
  });
});
