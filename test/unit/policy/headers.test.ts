import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyHeaderRewrite,
  type CompiledHeaders,
  compileHeaders,
  type RawHeaders,
} from '../../../src/policy/headers.ts';

function headers(raw: RawHeaders): CompiledHeaders {
  const r = compileHeaders(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.ok(r.value !== null);
  return r.value;
}

describe('compileHeaders', () => {
  it('absent or empty rewrites compile to null', () => {
    assert.deepEqual(compileHeaders(undefined), { ok: true, value: null });
    assert.deepEqual(compileHeaders({ request: {}, response: { set: {}, remove: [] } }), {
      ok: true,
      value: null,
    });
  });

  it('rejects hop-by-hop, framing, host, forwarding and identity headers in any case, with the key path', () => {
    const names = [
      'Connection',
      'keep-alive',
      'Transfer-Encoding',
      'TE',
      'Upgrade',
      'Content-Length',
      'Host',
      'X-Forwarded-Client-Cert',
      'x-forwarded-for',
      'X-Meshlet-Source',
      'x-meshlet-mirror',
      'x-meshlet-error',
    ];
    for (const name of names) {
      for (const direction of ['request', 'response'] as const) {
        const set = compileHeaders({ [direction]: { set: { [name]: 'v' } } });
        assert.ok(!set.ok, name);
        assert.deepEqual(set.issues[0]!.path, [direction, 'set', name]);
        assert.match(set.issues[0]!.message, new RegExp(`header '${name.toLowerCase()}' cannot be changed`));
        const remove = compileHeaders({ [direction]: { remove: ['x-ok', name] } });
        assert.ok(!remove.ok, name);
        assert.deepEqual(remove.issues[0]!.path, [direction, 'remove', 1]);
      }
    }
    const host = compileHeaders({ request: { add: { host: 'x' } } });
    assert.ok(!host.ok);
    assert.match(host.issues[0]!.message, /use rewrite\.host/);
  });

  it('rejects invalid names, values with line breaks, and one header in two lists', () => {
    const r = compileHeaders({
      request: { set: { 'bad name': 'v', 'x-a': 'line\r\nInjected: 1', 'X-B': '1' }, add: { 'x-b': '2' } },
    });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [
        i.path.join('.'),
        /valid header name|printable|already listed/.exec(i.message)?.[0],
      ]),
      [
        ['request.set.bad name', 'valid header name'],
        ['request.set.x-a', 'printable'],
        ['request.add.x-b', 'already listed'],
      ],
    );
  });
});

describe('applyHeaderRewrite', () => {
  it('set replaces every line of a header whatever its case, add appends, remove drops all', () => {
    const h = headers({
      request: { set: { 'X-Version': 'v2' }, add: { 'x-canary': 'yes' }, remove: ['X-Debug'] },
    });
    const raw = [
      'Host',
      'reviews',
      'x-version',
      'v1',
      'X-Debug',
      '1',
      'X-VERSION',
      'v0',
      'x-canary',
      'no',
      'x-debug',
      '2',
    ];
    applyHeaderRewrite(h.request!, raw);
    assert.deepEqual(raw, ['Host', 'reviews', 'x-canary', 'no', 'x-version', 'v2', 'x-canary', 'yes']);
    assert.equal(h.response, null);
  });

  it('set adds a header that was absent', () => {
    const h = headers({ response: { set: { 'cache-control': 'no-store' } } });
    const raw = ['content-type', 'text/plain'];
    applyHeaderRewrite(h.response!, raw);
    assert.deepEqual(raw, ['content-type', 'text/plain', 'cache-control', 'no-store']);
  });

  it('keeps every untouched line in order and ends with exactly the set and added lines (property)', () => {
    const name = fc.constantFrom('a', 'B', 'x-set', 'X-Set', 'x-rm', 'X-RM', 'x-add', 'c');
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 5 })), { maxLength: 20 }), (pairs) => {
        const h = headers({ request: { set: { 'x-set': 's' }, add: { 'x-add': 'a' }, remove: ['x-rm'] } });
        const raw = pairs.flat();
        applyHeaderRewrite(h.request!, raw);
        const kept = pairs.filter(([n]) => !['x-set', 'x-rm'].includes(n.toLowerCase())).flat();
        assert.deepEqual(raw, [...kept, 'x-set', 's', 'x-add', 'a']);
      }),
    );
  });
});
