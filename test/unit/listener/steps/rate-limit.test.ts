// The inbound rate-limit step: token buckets per verified caller, 429 RL with
// retry-after (RESOURCE_EXHAUSTED for gRPC), counted per caller, and the
// buckets' levels carried over a reload. The clock is injected.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../../src/config/load.ts';
import type { CompiledMesh } from '../../../../src/config/types.ts';
import { createRateLimitStep } from '../../../../src/listener/steps/rate-limit.ts';

const SELF = { service: 'api', workload: 'api', namespace: 'default', version: 'v1', serviceAccount: 'api' };
const CALLER = 'spiffe://cluster.local/ns/default/sa/batch';

function mesh(rateLimit: string): CompiledMesh {
  const loaded = loadMeshText(
    `services:\n  api:\n    versions: { v1: { host: a } }\n${rateLimit}  batch:\n    versions: { v1: { host: b } }\n`,
    'mesh.yaml',
    SELF,
  );
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  return loaded.mesh;
}

interface Answer {
  status: number;
  headers: Record<string, string | number>;
}

function exchange(grpc = false) {
  const answer: Answer = { status: 0, headers: {} };
  const req = { headers: grpc ? { 'content-type': 'application/grpc' } : {} } as IncomingMessage;
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, string | number>) {
      answer.status = status;
      answer.headers = headers;
      return this;
    },
    end() {},
  } as unknown as ServerResponse;
  return { req, res, answer };
}

describe('rate-limit step', () => {
  const LIMIT =
    '    rateLimit: { requestsPerSecond: 1, burst: 2, perCaller: { batch: { requestsPerSecond: 1, burst: 1 } } }\n';

  it('lets the burst through, then answers 429 RL with retry-after, counted per caller', () => {
    let now = 0;
    const config = { current: mesh(LIMIT) };
    const counted: string[] = [];
    const step = createRateLimitStep(config, { rateLimited: (d, p) => counted.push(`${d} ${p}`) }, () => now);
    const finished: string[] = [];
    const finish = (status: number, flags: string) => finished.push(`${status} ${flags}`);
    for (let i = 0; i < 2; i++) assert.equal(step(exchange().req, exchange().res, null, finish), false);
    const x = exchange();
    assert.equal(step(x.req, x.res, null, finish), true);
    assert.equal(x.answer.status, 429);
    assert.equal(x.answer.headers['x-meshlet-error'], 'RL');
    assert.equal(x.answer.headers['retry-after'], '1');
    assert.deepEqual(finished, ['429 RL']);
    assert.deepEqual(counted, ['api.default.svc.cluster.local unknown']);
    // A listed caller has its own bucket: the shared one being empty does not touch it.
    assert.equal(step(exchange().req, exchange().res, CALLER, finish), false);
    assert.equal(step(exchange().req, exchange().res, CALLER, finish), true);
    // One second refills one token.
    now = 1000;
    assert.equal(step(exchange().req, exchange().res, null, finish), false);
  });

  it('answers a gRPC caller RESOURCE_EXHAUSTED', () => {
    const step = createRateLimitStep({ current: mesh(LIMIT) }, { rateLimited: () => {} }, () => 0);
    step(exchange().req, exchange().res, null, () => {});
    step(exchange().req, exchange().res, null, () => {});
    const x = exchange(true);
    assert.equal(
      step(x.req, x.res, null, () => {}),
      true,
    );
    assert.equal(x.answer.status, 200);
    assert.equal(x.answer.headers['grpc-status'], '8');
  });

  it('keeps the buckets’ levels across a reload, and drops the limit when it goes', () => {
    const config = { current: mesh(LIMIT) };
    const step = createRateLimitStep(config, { rateLimited: () => {} }, () => 0);
    step(exchange().req, exchange().res, null, () => {});
    step(exchange().req, exchange().res, null, () => {});
    config.current = mesh(LIMIT);
    assert.equal(
      step(exchange().req, exchange().res, null, () => {}),
      true,
      'a reload does not refill',
    );
    config.current = mesh('');
    assert.equal(
      step(exchange().req, exchange().res, null, () => {}),
      false,
    );
  });
});
