import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileRoutePolicy,
  NO_POLICY,
  type RawRoutePolicy,
  type RoutePolicy,
  type RoutePolicyContext,
  withServiceDefaults,
} from '../../../src/policy/route-policy.ts';

const CTX: RoutePolicyContext = { versions: new Set(['v1', 'v2']), routePrefix: '/api' };

function policy(raw: RawRoutePolicy, ctx = CTX): RoutePolicy {
  const r = compileRoutePolicy(raw, ctx);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.value;
}

describe('compileRoutePolicy', () => {
  it('a route without options, or with options that can never fire, is NO_POLICY', () => {
    assert.equal(policy({}), NO_POLICY);
    assert.equal(
      policy({ fault: { abort: { percent: 0, status: 503 } }, mirror: { version: 'v2', percent: 0 } }),
      NO_POLICY,
    );
  });

  it('prefixes every issue with the option key, relative to the route, all in one pass', () => {
    const r = compileRoutePolicy(
      {
        fault: { abort: { percent: 200, status: 503 } },
        mirror: { version: 'v9' },
        headers: { request: { set: { Host: 'x' } } },
        rewrite: { pathPrefix: '/x' },
        match: { query: { v: { regex: '(' } } },
      },
      { ...CTX, routePrefix: null },
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path.join('.')),
      [
        'fault.abort.percent',
        'mirror.version',
        'headers.request.set.Host',
        'rewrite.pathPrefix',
        'match.query.v.regex',
      ],
    );
  });

  it('a redirect excludes rewrite and mirror', () => {
    const r = compileRoutePolicy(
      { redirect: { status: 301 }, rewrite: { host: 'a' }, mirror: { version: 'v2' } },
      CTX,
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path[0]),
      ['rewrite', 'mirror'],
    );
  });
});

describe('withServiceDefaults', () => {
  it('route options win one by one; the rest come from the service', () => {
    const service = policy({
      fault: { delay: { percent: 1, duration: '1s' } },
      headers: { response: { add: { a: '1' } } },
    });
    const route = policy({ headers: { response: { add: { b: '2' } } } });
    const merged = withServiceDefaults(route, service);
    assert.equal(merged.fault, service.fault);
    assert.equal(merged.headers, route.headers);
    assert.equal(withServiceDefaults(route, NO_POLICY), route);
    assert.equal(withServiceDefaults(NO_POLICY, NO_POLICY), NO_POLICY);
  });

  it('never combines a redirect with a rewrite or a mirror across the two levels', () => {
    const service = policy({ redirect: { scheme: 'https' } });
    const route = policy({ mirror: { version: 'v2' } });
    const merged = withServiceDefaults(route, service);
    assert.equal(merged.redirect, null);
    assert.equal(merged.mirror, route.mirror);
    const forwardingService = policy(
      { rewrite: { host: 'b' }, mirror: { version: 'v2' } },
      { ...CTX, routePrefix: null },
    );
    const redirecting = withServiceDefaults(policy({ redirect: { status: 308 } }), forwardingService);
    assert.deepEqual([redirecting.rewrite, redirecting.mirror], [null, null]);
  });
});
