import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abortReply,
  type CompiledFault,
  compileFault,
  decideFault,
  type RawFault,
} from '../../../src/policy/fault.ts';

function fault(raw: RawFault): CompiledFault {
  const r = compileFault(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.ok(r.value !== null);
  return r.value;
}

/** A random source that returns the given values in order. */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => {
    assert.ok(i < values.length, 'drew more random numbers than expected');
    return values[i++]!;
  };
}

describe('compileFault', () => {
  it('absent and 0 % faults compile to null, so the request path skips the step', () => {
    assert.deepEqual(compileFault(undefined), { ok: true, value: null });
    assert.deepEqual(
      compileFault({ delay: { percent: 0, duration: '1s' }, abort: { percent: 0, status: 503 } }),
      { ok: true, value: null },
    );
  });

  it('reports each bad value at its own key path', () => {
    const r = compileFault({
      delay: { percent: 101, duration: 'soon' },
      abort: { percent: -1, status: 200 },
    });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path.join('.')),
      ['delay.percent', 'delay.duration', 'abort.percent', 'abort.status'],
    );
    assert.match(r.issues[0]!.message, /0 to 100/);
  });

  it('abort needs exactly one of status and grpcStatus, and a gRPC error name', () => {
    for (const abort of [{ percent: 1 }, { percent: 1, status: 503, grpcStatus: 'unavailable' }]) {
      const r = compileFault({ abort });
      assert.ok(!r.ok);
      assert.deepEqual(r.issues[0]!.path, ['abort']);
    }
    for (const grpcStatus of ['ok', 'UNAVAILABLE', 14]) {
      const r = compileFault({ abort: { percent: 1, grpcStatus } });
      assert.ok(!r.ok, String(grpcStatus));
      assert.deepEqual(r.issues[0]!.path, ['abort', 'grpcStatus']);
    }
    const f = fault({ abort: { percent: 1, grpcStatus: 'resource-exhausted' } });
    assert.deepEqual(f.abort, { threshold: 0.01, status: null, grpcStatus: 8 });
  });

  it('rejects a delay beyond an hour', () => {
    const r = compileFault({ delay: { percent: 1, duration: '2h' } });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues[0]!.path, ['delay', 'duration']);
  });
});

describe('decideFault', () => {
  it('fractional percentages cut the random range exactly', () => {
    const f = fault({ abort: { percent: 0.5, status: 503 } });
    assert.equal(decideFault(f, draws(0.004999)), f.aborted);
    assert.equal(decideFault(f, draws(0.005)), null);
  });

  it('draws delay then abort independently; FI wins the flag, DI marks a delay alone', () => {
    const f = fault({ delay: { percent: 50, duration: '200ms' }, abort: { percent: 30, status: 418 } });
    assert.equal(decideFault(f, draws(0.9, 0.9)), null);
    assert.deepEqual(decideFault(f, draws(0.1, 0.9)), { delayMs: 200, abort: null, flag: 'DI' });
    assert.deepEqual(decideFault(f, draws(0.9, 0.1)), {
      delayMs: 0,
      abort: { status: 418, grpcStatus: null },
      flag: 'FI',
    });
    assert.deepEqual(decideFault(f, draws(0.1, 0.1)), {
      delayMs: 200,
      abort: { status: 418, grpcStatus: null },
      flag: 'FI',
    });
  });

  it('100 % always fires, whatever the random source returns in [0, 1)', () => {
    const f = fault({ abort: { percent: 100, status: 503 } });
    for (const x of [0, 0.5, 0.999999]) assert.equal(decideFault(f, () => x)?.flag, 'FI');
  });

  it('returns the same frozen decision objects: nothing is allocated per request', () => {
    const f = fault({ delay: { percent: 100, duration: '1s' } });
    const a = decideFault(f, Math.random);
    assert.equal(a, decideFault(f, Math.random));
    assert.ok(Object.isFrozen(a));
  });

  it('30 % over 2,000 draws of a real random source passes a binomial test', () => {
    const f = fault({ abort: { percent: 30, status: 503 } });
    let n = 0;
    for (let i = 0; i < 2000; i++) if (decideFault(f, Math.random) !== null) n++;
    // mean 600, sd sqrt(2000 * 0.3 * 0.7) = 20.5; |z| < 3.29 is p > 0.001
    assert.ok(Math.abs(n - 600) / Math.sqrt(2000 * 0.3 * 0.7) < 3.29, `aborted ${n} of 2000`);
  });
});

describe('abortReply', () => {
  it('answers gRPC callers with a gRPC status and HTTP callers with an HTTP one', () => {
    const http = fault({ abort: { percent: 100, status: 503 } }).abort!;
    const grpc = fault({ abort: { percent: 100, grpcStatus: 'resource-exhausted' } }).abort!;
    assert.deepEqual(abortReply(http, false), { status: 503, grpcStatus: null });
    assert.deepEqual(abortReply(http, true), { status: 200, grpcStatus: 14 });
    assert.deepEqual(abortReply(grpc, true), { status: 200, grpcStatus: 8 });
    assert.deepEqual(abortReply(grpc, false), { status: 503, grpcStatus: null });
  });
});
