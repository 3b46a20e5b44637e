import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as grpcJsStatus } from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  GRPC_STATUS,
  grpcStatusCode,
  grpcStatusName,
  grpcStatusOfHttp,
  parseGrpcStatus,
} from '../../../src/grpc/status.ts';

describe('gRPC status names and codes', () => {
  test('every code matches grpc-js, and its name is the kebab-case of the spec name', () => {
    for (const [name, code] of Object.entries(GRPC_STATUS)) {
      const spec = name.toUpperCase().replaceAll('-', '_') as keyof typeof grpcJsStatus;
      assert.equal(grpcJsStatus[spec], code, name);
    }
    assert.equal(Object.keys(GRPC_STATUS).length, 17);
  });
  test('names and codes round-trip; unknown names and out-of-range codes are null', () => {
    for (let c = 0; c <= 16; c++) assert.equal(grpcStatusCode(grpcStatusName(c)!), c);
    assert.equal(grpcStatusCode('UNAVAILABLE'), null);
    assert.equal(grpcStatusCode('toString'), null);
    assert.equal(grpcStatusCode('__proto__'), null);
    for (const c of [-1, 17, 1.5, Number.NaN]) assert.equal(grpcStatusName(c), null);
    assert.equal(grpcStatusCode('unavailable'), 14);
    assert.equal(grpcStatusCode('resource-exhausted'), 8);
  });
  test('parseGrpcStatus reads wire values only', () => {
    assert.equal(parseGrpcStatus('0'), 0);
    assert.equal(parseGrpcStatus('14'), 14);
    for (const v of [undefined, '', ' 1', '-1', '1.0', 'x', '1234', ['1']])
      assert.equal(parseGrpcStatus(v as string), null);
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = parseGrpcStatus(s);
        return n === null || (Number.isInteger(n) && String(n) === s.replace(/^0+(?=\d)/, ''));
      }),
    );
  });
  test('HTTP statuses map as grpc/doc/http-grpc-status-mapping.md says', () => {
    assert.equal(grpcStatusOfHttp(400), 13);
    assert.equal(grpcStatusOfHttp(401), 16);
    assert.equal(grpcStatusOfHttp(403), 7);
    assert.equal(grpcStatusOfHttp(404), 12);
    for (const s of [429, 502, 503, 504]) assert.equal(grpcStatusOfHttp(s), 14);
    for (const s of [200, 500, 418]) assert.equal(grpcStatusOfHttp(s), 2);
  });
});
