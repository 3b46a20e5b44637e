import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAGS, grpcStatusOf, ProxyError, recordedStatus, statusOf, upstreamFlag } from '../../src/errors.ts';

describe('the error table', () => {
  it('gives each flag its HTTP status (docs/architecture.md, "Errors")', () => {
    const expected = {
      NR: 404,
      UH: 503,
      UF: 503,
      UC: 503,
      UT: 504,
      URX: 503,
      UO: 503,
      RL: 429,
      FI: 503,
      DI: 200,
      RBAC: 403,
      DPE: 400,
      LR: 503,
      DC: 499,
      SI: 408,
    } as const;
    assert.deepEqual(Object.keys(FLAGS).sort(), Object.keys(expected).sort(), 'every flag is in the table');
    for (const [flag, status] of Object.entries(expected))
      assert.equal(statusOf(flag as keyof typeof expected), status, flag);
  });
  it('gives each flag the gRPC status a gRPC caller gets', () => {
    for (const flag of ['UF', 'UC', 'UH', 'UO', 'URX', 'LR'] as const)
      assert.equal(grpcStatusOf(flag), 'UNAVAILABLE', flag);
    assert.equal(grpcStatusOf('UT'), 'DEADLINE_EXCEEDED');
    assert.equal(grpcStatusOf('SI'), 'DEADLINE_EXCEEDED');
    assert.equal(grpcStatusOf('RBAC'), 'PERMISSION_DENIED');
    assert.equal(grpcStatusOf('NR'), 'UNIMPLEMENTED');
    assert.equal(grpcStatusOf('RL'), 'RESOURCE_EXHAUSTED');
    assert.equal(grpcStatusOf('DC'), 'CANCELLED');
  });
  it('marks DI as a flag on a served response and DC as recorded only', () => {
    assert.equal(FLAGS.DI.kind, 'marks');
    assert.equal(FLAGS.DC.kind, 'record');
    for (const [flag, spec] of Object.entries(FLAGS))
      if (flag !== 'DI' && flag !== 'DC') assert.equal(spec.kind, 'reply', flag);
  });
  it('records a caller that went away as 499 whatever was sent before', () => {
    assert.equal(recordedStatus(0, 'DC'), 499);
    assert.equal(recordedStatus(200, 'DC'), 499);
    assert.equal(recordedStatus(200, '-'), 200);
    assert.equal(recordedStatus(503, 'UF'), 503);
  });
  it('lets a ProxyError carry a documented variant status (NR outside the registry, FI configured, DPE 431)', () => {
    assert.equal(new ProxyError('NR', 'x', { status: 502 }).status, 502);
    assert.equal(new ProxyError('FI', 'x', { status: 418 }).status, 418);
    assert.equal(new ProxyError('DPE', 'x', { status: 431 }).status, 431);
    assert.equal(new ProxyError('RL', 'x').status, 429);
  });
  it('renders the small JSON body with the title from the table', () => {
    const body = JSON.parse(new ProxyError('UT', 'no response within 5000ms').body());
    assert.deepEqual(body, { error: 'upstream timeout', flag: 'UT', message: 'no response within 5000ms' });
    for (const flag of Object.keys(FLAGS) as (keyof typeof FLAGS)[])
      assert.equal(JSON.parse(new ProxyError(flag, 'm').body()).error, FLAGS[flag].title);
  });
  it('classifies upstream failures', () => {
    assert.equal(upstreamFlag({ code: 'ECONNREFUSED' }), 'UF');
    assert.equal(upstreamFlag({ code: 'ERR_MESHLET_PEER_IDENTITY' }), 'UF');
    assert.equal(upstreamFlag({ code: 'ERR_MESHLET_TLS_NOT_READY' }), 'UF');
    // An HTTP/2 upstream that never took the request: ALPN refused, no HTTP/2 at all, REFUSED_STREAM.
    for (const code of [
      'ERR_MESHLET_ALPN',
      'ERR_MESHLET_NOT_H2',
      'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
      'ERR_MESHLET_H2_REFUSED_STREAM',
    ])
      assert.equal(upstreamFlag({ code }), 'UF', code);
    assert.equal(upstreamFlag({ code: 'ERR_MESHLET_H2_RESET' }), 'UC');
    assert.equal(upstreamFlag({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'UT');
    assert.equal(upstreamFlag({ code: 'UND_ERR_SOCKET' }), 'UC');
    assert.equal(upstreamFlag(new ProxyError('LR', 'draining')), 'LR');
  });
});
