import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProxyError } from '../../../src/errors.ts';
import {
  type CompiledRedirect,
  compileRedirect,
  type RawRedirect,
  redirectLocation,
} from '../../../src/policy/redirect.ts';

function redirect(raw: RawRedirect): CompiledRedirect {
  const r = compileRedirect(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.ok(r.value !== null);
  return r.value;
}

const REQ = { scheme: 'http', authority: 'reviews:9080', target: '/old/path?x=1' } as const;

describe('compileRedirect', () => {
  it('defaults to 302 and keeps every part unset', () => {
    assert.deepEqual(redirect({}), { scheme: null, host: null, port: null, path: null, status: 302 });
  });

  it('reports each bad part at its key', () => {
    const r = compileRedirect({ scheme: 'ftp', host: 'a:80', port: 0, path: 'nope', status: 300 });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path[0]),
      ['scheme', 'host', 'port', 'path', 'status'],
    );
    assert.match(r.issues[4]!.message, /301, 302, 303, 307 or 308/);
  });
});

describe('redirectLocation', () => {
  it('every status keeps the request URL when nothing else is set', () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const r = redirect({ status });
      assert.equal(r.status, status);
      assert.equal(redirectLocation(r, REQ), 'http://reviews:9080/old/path?x=1');
    }
  });

  it('replaces the host and keeps the request port', () => {
    assert.equal(
      redirectLocation(redirect({ host: 'Example.COM' }), REQ),
      'http://example.com:9080/old/path?x=1',
    );
  });

  it('a new scheme takes its default port, which is left out', () => {
    assert.equal(redirectLocation(redirect({ scheme: 'https' }), REQ), 'https://reviews/old/path?x=1');
    assert.equal(
      redirectLocation(redirect({ scheme: 'https', port: 8443 }), REQ),
      'https://reviews:8443/old/path?x=1',
    );
  });

  it('drops the default port of the scheme', () => {
    assert.equal(redirectLocation(redirect({ port: 80 }), REQ), 'http://reviews/old/path?x=1');
    assert.equal(
      redirectLocation(redirect({ path: '/new' }), { ...REQ, authority: 'reviews:80' }),
      'http://reviews/new?x=1',
    );
  });

  it('replaces the path, keeping the query unless the new path has its own', () => {
    assert.equal(redirectLocation(redirect({ path: '/new' }), REQ), 'http://reviews:9080/new?x=1');
    assert.equal(redirectLocation(redirect({ path: '/new?y=2' }), REQ), 'http://reviews:9080/new?y=2');
    assert.equal(
      redirectLocation(redirect({ path: '/new' }), { ...REQ, target: '/old' }),
      'http://reviews:9080/new',
    );
  });

  it('brackets an IPv6 host', () => {
    assert.equal(redirectLocation(redirect({ host: '::1' }), REQ), 'http://[::1]:9080/old/path?x=1');
    assert.equal(
      redirectLocation(redirect({}), { ...REQ, authority: '[::1]:81' }),
      'http://[::1]:81/old/path?x=1',
    );
  });

  it('a malformed authority or target is DPE, never a Location built from it', () => {
    for (const req of [
      { ...REQ, authority: 'evil.com/x' },
      { ...REQ, authority: 'a b' },
      { ...REQ, target: '//evil.com/x'.replace('//', 'http://') },
      { ...REQ, target: '/a\r\nSet-Cookie: x' },
    ]) {
      const out = redirectLocation(redirect({}), req);
      assert.ok(out instanceof ProxyError, JSON.stringify(req));
      assert.equal(out.flag, 'DPE');
    }
  });

  it('whatever the request carries: DPE, or a Location that parses with the request host and target (property)', () => {
    const r = redirect({ status: 301 });
    let built = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.domain().map((d) => `${d}:8080`),
        ),
        fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^[a-z0-9/?=&%.~-]{0,12}$/)),
        (authority, rest) => {
          const target = `/${rest}`;
          const out = redirectLocation(r, { scheme: 'http', authority, target });
          if (out instanceof ProxyError) return;
          built++;
          assert.ok(/^[!-~]+$/.test(out), out);
          const url = new URL(out);
          assert.equal(`${url.host}`, new URL(`http://${authority}`).host);
          assert.ok(out.endsWith(target));
        },
      ),
      { numRuns: 2000 },
    );
    assert.ok(built > 200, `only ${built} of 2000 requests were redirectable`);
  });
});
