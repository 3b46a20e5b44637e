import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxyError, statusOf, upstreamFlag } from '../../src/errors.ts';

describe('error map', () => {
  it('gives each flag the status of DESIGN.md section 3', () => {
    const expected = { NR: 502, UH: 503, UF: 503, UC: 503, UT: 504, RBAC: 403, DPE: 400, LR: 503 } as const;
    for (const [flag, status] of Object.entries(expected))
      assert.equal(statusOf(flag as keyof typeof expected), status, flag);
  });
  it('renders the small JSON body', () => {
    const body = JSON.parse(new ProxyError('UT', 'no response within 5000ms').body());
    assert.deepEqual(body, { error: 'upstream timeout', flag: 'UT', message: 'no response within 5000ms' });
    assert.equal(new ProxyError('DPE', 'x', { status: 431 }).status, 431);
  });
  it('classifies upstream failures', () => {
    assert.equal(upstreamFlag({ code: 'ECONNREFUSED' }), 'UF');
    assert.equal(upstreamFlag({ code: 'ERR_MESHLET_PEER_IDENTITY' }), 'UF');
    assert.equal(upstreamFlag({ code: 'ERR_MESHLET_TLS_NOT_READY' }), 'UF');
    assert.equal(upstreamFlag({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'UT');
    assert.equal(upstreamFlag({ code: 'UND_ERR_SOCKET' }), 'UC');
    assert.equal(upstreamFlag(new ProxyError('LR', 'draining')), 'LR');
  });
});
