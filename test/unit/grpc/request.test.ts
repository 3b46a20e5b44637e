import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatGrpcTimeout, grpcMethodOf, isGrpc, parseGrpcTimeout } from '../../../src/grpc/request.ts';

describe('isGrpc', () => {
  test('gRPC content types, with subtype, parameters or any case', () => {
    for (const ct of [
      'application/grpc',
      'application/grpc+proto',
      'Application/GRPC+json',
      'application/grpc; charset=utf-8',
    ])
      assert.equal(isGrpc(ct), true, ct);
  });
  test('gRPC-Web, look-alikes, absent and repeated values are not gRPC', () => {
    for (const ct of [
      'application/grpc-web',
      'application/grpc-web+proto',
      'application/grpcx',
      'application/json',
      '',
      undefined,
      ['application/grpc'],
    ])
      assert.equal(isGrpc(ct as string | undefined), false, String(ct));
  });
  test('never throws on any string', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof isGrpc(s) === 'boolean'));
  });
});

describe('parseGrpcTimeout', () => {
  test('each unit converts to whole milliseconds, sub-millisecond rounds up', () => {
    assert.equal(parseGrpcTimeout('100m'), 100);
    assert.equal(parseGrpcTimeout('2S'), 2000);
    assert.equal(parseGrpcTimeout('3M'), 180_000);
    assert.equal(parseGrpcTimeout('1H'), 3_600_000);
    assert.equal(parseGrpcTimeout('1500u'), 2);
    assert.equal(parseGrpcTimeout('1n'), 1);
    assert.equal(parseGrpcTimeout('0m'), 0);
    assert.equal(parseGrpcTimeout('99999999H'), 99_999_999 * 3_600_000);
  });
  test('malformed values are null: no unit, 9 digits, signs, spaces, fractions, unknown units', () => {
    for (const v of [
      '',
      '100',
      'm',
      '123456789m',
      '-1m',
      '+1m',
      ' 1m',
      '1m ',
      '1.5S',
      '1s',
      '1h',
      '1x',
      '1mm',
      undefined,
    ])
      assert.equal(parseGrpcTimeout(v), null, String(v));
    assert.equal(parseGrpcTimeout(['1m', '2m']), null);
  });
  test('any string: null or a finite non-negative integer', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const ms = parseGrpcTimeout(s);
        return ms === null || (Number.isSafeInteger(ms) && ms >= 0);
      }),
    );
  });
  test('formatGrpcTimeout round-trips to at least the deadline, within 8 digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 * 1000 }), (ms) => {
        const wire = formatGrpcTimeout(ms);
        const back = parseGrpcTimeout(wire);
        return back !== null && back >= ms && /^[0-9]{1,8}[HSm]$/.test(wire);
      }),
    );
  });
});

describe('grpcMethodOf', () => {
  test('service and method of a gRPC path', () => {
    assert.deepEqual(grpcMethodOf('/pkg.v1.Greeter/SayHello'), {
      service: 'pkg.v1.Greeter',
      method: 'SayHello',
    });
    assert.deepEqual(grpcMethodOf('/Svc/M_1'), { service: 'Svc', method: 'M_1' });
  });
  test('other shapes are null', () => {
    for (const p of [
      '/',
      '',
      '/pkg.Svc',
      '/pkg.Svc/',
      '//M',
      '/pkg.Svc/M/x',
      '/pkg.Svc/M?x=1',
      'pkg.Svc/M',
      '/pkg..Svc/M',
      '/.Svc/M',
      '/pkg.Svc/M%20',
      '/1pkg/M',
    ])
      assert.equal(grpcMethodOf(p), null, p);
  });
  test('any string: null or a service/method that rebuilds the path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `/${s}`),
        ),
        (p) => {
          const m = grpcMethodOf(p);
          return m === null || `/${m.service}/${m.method}` === p;
        },
      ),
    );
  });
});
