import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyRequestHeaders, copyResponseHeaders } from '../../../src/forward/headers.ts';

describe('copyRequestHeaders', () => {
  const raw = [
    'Host',
    'reviews:9080',
    'Connection',
    'keep-alive, X-Hop',
    'X-Hop',
    'secret',
    'Keep-Alive',
    'timeout=5',
    'Transfer-Encoding',
    'chunked',
    'TE',
    'trailers',
    'Upgrade',
    'h2c',
    'Proxy-Authorization',
    'Basic abc',
    'X-Forwarded-For',
    '10.0.0.1',
    'X-Forwarded-For',
    '10.0.0.2',
    'X-Request-Id',
    'rid',
    'X-Forwarded-Client-Cert',
    'forged',
    'X-Meshlet-Source',
    'productpage;default;v1',
    'Cookie',
    'a=1',
    'Cookie',
    'b=2',
  ];

  it('drops hop-by-hop headers, Connection-listed ones, and re-added forwarding headers', () => {
    const out: string[] = [];
    const facts = copyRequestHeaders(raw, out, false);
    assert.deepEqual(out, [
      'Host',
      'reviews:9080',
      'X-Forwarded-Client-Cert',
      'forged',
      'X-Meshlet-Source',
      'productpage;default;v1',
      'Cookie',
      'a=1',
      'Cookie',
      'b=2',
    ]);
    assert.equal(facts.host, 'reviews:9080');
    assert.equal(facts.requestId, 'rid');
    assert.equal(facts.forwardedFor, '10.0.0.1, 10.0.0.2');
    assert.equal(facts.source, 'productpage;default;v1');
  });

  it('strips identity headers arriving from the network on the inbound side', () => {
    const out: string[] = [];
    const facts = copyRequestHeaders(raw, out, true);
    assert.ok(!out.map((h) => h.toLowerCase()).includes('x-forwarded-client-cert'));
    assert.ok(!out.map((h) => h.toLowerCase()).includes('x-meshlet-source'));
    assert.equal(facts.source, 'productpage;default;v1', 'still read for metric labels');
  });
});

describe('copyResponseHeaders', () => {
  it('drops hop-by-hop headers and keeps repeated values', () => {
    const out: string[] = [];
    copyResponseHeaders(
      {
        'content-type': 'text/plain',
        connection: 'x-internal',
        'x-internal': '1',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
        'keep-alive': 'timeout=5',
      },
      out,
    );
    assert.deepEqual(out, ['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
  });
});
