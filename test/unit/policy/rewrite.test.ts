import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CompiledRewrite,
  compileRewrite,
  pathPrefixMatches,
  rewriteTarget,
} from '../../../src/policy/rewrite.ts';

function rewrite(pathPrefix: string, routePrefix: string): CompiledRewrite {
  const r = compileRewrite({ pathPrefix }, routePrefix);
  assert.ok(r.ok && r.value !== null, JSON.stringify(r));
  return r.value;
}

describe('pathPrefixMatches', () => {
  it('matches on segment boundaries only (Gateway API PathPrefix)', () => {
    assert.equal(pathPrefixMatches('/v2', '/v2'), true);
    assert.equal(pathPrefixMatches('/v2', '/v2/'), true);
    assert.equal(pathPrefixMatches('/v2', '/v2/x'), true);
    assert.equal(pathPrefixMatches('/v2', '/v2example'), false);
    assert.equal(pathPrefixMatches('/v2/', '/v2'), true, 'a trailing slash on the prefix is ignored');
    assert.equal(pathPrefixMatches('/v2/', '/v2example'), false);
    assert.equal(pathPrefixMatches('/', '/anything'), true);
    assert.equal(pathPrefixMatches('/v2', '/v'), false);
  });
});

describe('compileRewrite', () => {
  it('a prefix rewrite needs the route to match a path prefix', () => {
    const r = compileRewrite({ pathPrefix: '/v2' }, null);
    assert.ok(!r.ok);
    assert.deepEqual(r.issues[0]!.path, ['pathPrefix']);
    assert.match(r.issues[0]!.message, /match\.path\.prefix/);
  });

  it('checks the replacement and the host', () => {
    const r = compileRewrite({ pathPrefix: 'v2', host: 'a b' }, '/v1');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path[0]),
      ['pathPrefix', 'host'],
    );
  });

  it('a host rewrite alone keeps the path', () => {
    const r = compileRewrite({ host: 'Reviews.Internal' }, null);
    assert.ok(r.ok && r.value !== null);
    assert.equal(r.value.host, 'reviews.internal');
    assert.equal(rewriteTarget(r.value, '/a?b'), '/a?b');
  });
});

describe('rewriteTarget', () => {
  it('follows the Gateway API ReplacePrefixMatch table', () => {
    const cases: [string, string, string, string][] = [
      // route prefix, replacement, request, forwarded
      ['/foo', '/xyz', '/foo/bar', '/xyz/bar'],
      ['/foo', '/xyz/', '/foo/bar', '/xyz/bar'],
      ['/foo/', '/xyz', '/foo/bar', '/xyz/bar'],
      ['/foo/', '/xyz/', '/foo/bar', '/xyz/bar'],
      ['/foo', '/xyz', '/foo', '/xyz'],
      ['/foo', '/xyz', '/foo/', '/xyz/'],
      ['/foo', '/', '/foo/bar', '/bar'],
      ['/foo', '/', '/foo', '/'],
      ['/foo/', '/', '/foo/', '/'],
      ['/', '/api', '/x', '/api/x'],
      ['/v1', '/v2', '/v1?q=/v1', '/v2?q=/v1'],
      ['/v1', '/', '/v1?q', '/?q'],
    ];
    for (const [route, to, from, want] of cases) {
      assert.equal(rewriteTarget(rewrite(to, route), from), want, `${route} → ${to} on ${from}`);
    }
  });

  it('leaves a target the prefix does not match unchanged', () => {
    assert.equal(rewriteTarget(rewrite('/v2', '/v1'), '/v1example'), '/v1example');
  });

  it('always forwards an origin-form target and keeps the query (property)', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{0,4}$/);
    const path = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
    fc.assert(
      fc.property(path, path, path, fc.stringMatching(/^[a-z=&]{0,6}$/), (route, to, req, query) => {
        const target = query === '' ? req : `${req}?${query}`;
        const out = rewriteTarget(rewrite(to, route), target);
        assert.ok(out.startsWith('/'), out);
        if (query !== '') assert.ok(out.endsWith(`?${query}`), out);
        if (!pathPrefixMatches(route, req)) assert.equal(out, target);
      }),
      { numRuns: 2000 },
    );
  });
});
