import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { copyRequestHeaders, copyResponseHeaders, IDENTITY_HEADERS } from '../../../src/forward/headers.ts';

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

describe('Connection-nominated headers', () => {
  it('removes a header named on a second Connection line', () => {
    const out: string[] = [];
    copyRequestHeaders(
      [
        'Host',
        'app',
        'Connection',
        'keep-alive',
        'Connection',
        'X-Second',
        'X-Second',
        'leak',
        'X-Kept',
        '1',
      ],
      out,
      false,
    );
    assert.deepEqual(out, ['Host', 'app', 'X-Kept', '1']);
  });

  it('removes headers named on every Connection line of a response', () => {
    const out: string[] = [];
    copyResponseHeaders({ connection: ['keep-alive, x-a', 'X-B'], 'x-a': '1', 'x-b': '2', 'x-c': '3' }, out);
    assert.deepEqual(out, ['x-c', '3']);
  });
});

// Header names as the HTTP grammar allows them (tchar), plus the special ones the pass treats apart.
const HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
];
const DROPPED = new Set([...HOP, 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto']);
const tchar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789!#$%&'*+-.^_`|~");
const headerName = fc.oneof(
  fc.string({ unit: tchar, minLength: 1, maxLength: 12 }),
  fc.constantFrom(...HOP, 'host', 'x-request-id', 'content-length', 'x-meshlet-source', 'Connection', 'TE'),
);
const headerValue = fc.string({ maxLength: 20 });
const connectionValue = fc
  .tuple(
    fc.array(fc.oneof(headerName, fc.constantFrom('close', 'keep-alive', '', ' ')), { maxLength: 4 }),
    fc.constantFrom(',', ', ', ' ,'),
  )
  .map(([names, separator]) => names.join(separator));
const rawHeaders = fc
  .array(
    fc.oneof(
      fc.tuple(headerName, headerValue),
      fc.tuple(fc.constantFrom('Connection', 'connection', 'CONNECTION'), connectionValue),
    ),
    { maxLength: 16 },
  )
  .map((pairs) => pairs.flat());

function nominated(raw: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1]!.split(',')) names.add(t.trim().toLowerCase());
  }
  // Host routes the request; `close` and `keep-alive` are connection options, not header names.
  names.delete('host');
  names.delete('close');
  return names;
}

describe('header pass properties (random raw header arrays)', () => {
  it('request: hop-by-hop and nominated headers never come out, everything else does, in order, never throws', () => {
    fc.assert(
      fc.property(rawHeaders, fc.boolean(), (raw, stripIdentity) => {
        const out: string[] = [];
        copyRequestHeaders(raw, out, stripIdentity);
        const named = nominated(raw);
        const expected: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i]!.toLowerCase();
          if (DROPPED.has(name) || named.has(name)) continue;
          if (stripIdentity && IDENTITY_HEADERS.has(name)) continue;
          expected.push(raw[i]!, raw[i + 1]!);
        }
        assert.deepEqual(out, expected);
      }),
      { seed: 9, numRuns: 2000 },
    );
  });

  it('response: hop-by-hop and nominated headers never come out, everything else does, never throws', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        // undici's parsed shape: lower-case names, repeated ones as arrays.
        const parsed: Record<string, string | string[]> = {};
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i]!.toLowerCase();
          const prev = parsed[name];
          parsed[name] =
            prev === undefined ? raw[i + 1]! : [...(Array.isArray(prev) ? prev : [prev]), raw[i + 1]!];
        }
        const out: string[] = [];
        copyResponseHeaders(parsed, out);
        const named = nominated(raw);
        const names = new Set<string>();
        for (let i = 0; i < out.length; i += 2) names.add(out[i]!);
        for (const name of Object.keys(parsed)) {
          const gone = HOP.includes(name) || named.has(name);
          assert.equal(names.has(name), !gone, `${name} ${gone ? 'must not' : 'must'} come out`);
        }
      }),
      { seed: 10, numRuns: 2000 },
    );
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
