// explain agrees with the data path: for random valid configs and random
// requests, the version explain predicts for a given random draw is the one
// resolveOutbound picks with that draw, the route it reports matched is
// matchRoute's, every earlier route shows a failed condition, and the allow
// verdict is allowDecision's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allowDecision, principalOf } from '../../../src/authz/allow.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';
import { ProxyError } from '../../../src/errors.ts';
import { ExplainInputError, explainRequest } from '../../../src/route/explain.ts';
import { matchRoute, pathOf } from '../../../src/route/match.ts';
import { resolveOutbound } from '../../../src/route/resolve.ts';

const SELF = {
  service: 'productpage',
  workload: 'productpage',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'productpage',
};
const SERVICES = ['reviews', 'ratings', 'details', 'productpage'];
const VERSIONS = ['v1', 'v2', 'v3'];

function load(raw: unknown): CompiledMesh {
  const r = loadMeshText(JSON.stringify(raw), 'mesh.yaml', SELF);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.mesh;
}

// Query matches are drawn only when the config compiles them into routes.
const QUERY = (() => {
  try {
    const m = load({
      services: { a: { routes: [{ match: { query: { q: { exact: '1' } } }, split: { default: 1 } }] } },
    });
    return m.services.get('a')!.routes[0]!.policy?.query != null;
  } catch {
    return false;
  }
})();

const headerMatch = fc.constantFrom<Record<string, unknown>>(
  { exact: 'jason' },
  { prefix: 'ja' },
  { regex: 'j[a-z]+' },
  { present: true },
  { present: false },
);
const pathMatch = fc.constantFrom({ exact: '/a' }, { prefix: '/a' }, { regex: '/[ab].*' }, { exact: '/' });

const route = (versions: string[]) =>
  fc.record(
    {
      match: fc.record(
        {
          method: fc.constantFrom('GET', ['GET', 'POST'], ['PUT']),
          path: pathMatch,
          headers: fc.dictionary(fc.constantFrom('x-user', 'X-Group'), headerMatch, { maxKeys: 2 }),
          ...(QUERY ? { query: fc.constant({ q: { exact: '1' } }) } : {}),
        },
        { requiredKeys: [] },
      ),
      split: fc
        .tuple(...versions.map(() => fc.integer({ min: 0, max: 5 })))
        .filter((ws) => ws.some((w) => w > 0))
        .map((ws) => Object.fromEntries(versions.map((v, i) => [v, ws[i]!]))),
      sticky: fc.constant({ header: 'X-User' }),
      // A redirecting route forwards nothing, whatever its split.
      redirect: fc.constant({ path: '/moved', status: 301 }),
    },
    { requiredKeys: ['split'] },
  );

const allowRule = (names: string[]) =>
  fc.record(
    {
      from: fc.subarray([...names, 'ns/ops/sa/probe', '*'], { minLength: 1 }),
      methods: fc.subarray(['GET', 'POST'], { minLength: 1 }),
      paths: fc.subarray(['/a', '/a/*', '/b'], { minLength: 1 }),
    },
    { requiredKeys: ['from'] },
  );

const service = (names: string[]) =>
  fc.subarray(VERSIONS, { minLength: 1 }).chain((versions) =>
    fc.record(
      {
        versions: fc.constant(Object.fromEntries(versions.map((v) => [v, { host: `host-${v}` }]))),
        routes: fc.array(route(versions), { maxLength: 4 }),
        mtls: fc.constantFrom('strict', 'permissive', 'disable'),
        allowMode: fc.constantFrom('enforce', 'audit'),
        allow: fc.array(allowRule(names), { maxLength: 3 }),
      },
      { requiredKeys: ['versions'] },
    ),
  );

const mesh = fc.subarray(SERVICES, { minLength: 1 }).chain((names) =>
  fc.record({
    outboundTrafficPolicy: fc.constantFrom('allowAny', 'registryOnly'),
    services: fc
      .tuple(...names.map(() => service(names)))
      .map((ss) => Object.fromEntries(names.map((n, i) => [n, ss[i]!]))),
  }),
);

const request = fc.record({
  host: fc.constantFrom(...SERVICES, 'reviews:80', 'ratings.default.svc', 'example.com'),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  target: fc.constantFrom('/', '/a', '/a/x', '/ab', '/b', '/a?q=1', '/a/x?q=2', '/%61', '/a/../b'),
  headers: fc.array(
    fc.tuple(fc.constantFrom('x-user', 'X-User', 'x-group'), fc.constantFrom('jason', 'janet', 'bob', '')),
    { maxLength: 3 },
  ),
  from: fc.option(fc.constantFrom(...SERVICES, 'ns/ops/sa/probe', 'spiffe://cluster.local/ns/x/sa/y'), {
    nil: undefined,
  }),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** The request as node would hand it to the outbound listener. */
function head(host: string, method: string, target: string, given: [string, string][]) {
  const headers: Record<string, string> = { host };
  const rawHeaders = ['Host', host];
  for (const [n, v] of given) {
    rawHeaders.push(n, v);
    const k = n.toLowerCase();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { method, url: target, rawHeaders, headers };
}

describe('explain agrees with the data path (property)', () => {
  it("predicts resolveOutbound's version and route and allowDecision's verdict", () => {
    fc.assert(
      fc.property(mesh, request, (raw, req) => {
        const m = load(raw);
        const e = explainRequest(m, { ...req, headers: req.headers });
        const h = head(req.host, req.method, req.target, req.headers);
        let resolved: ReturnType<typeof resolveOutbound> | ProxyError;
        try {
          resolved = resolveOutbound(m, h, () => req.random);
        } catch (err) {
          assert.ok(err instanceof ProxyError);
          resolved = err;
        }
        if (resolved instanceof ProxyError) {
          assert.equal(e.destination.kind, 'refused');
          assert.equal((e.destination as { flag: string }).flag, resolved.flag);
          assert.equal(e.version, null);
        } else {
          const redirects = resolved.route?.policy.redirect != null;
          assert.equal(e.version, redirects ? null : (resolved.version?.name ?? null));
          assert.equal(e.route, resolved.route?.name ?? null);
          assert.equal(e.upstream, redirects ? null : resolved.origin);
          assert.equal(e.redirect === null, !redirects);
        }
        const svc = m.hosts.get(req.host);
        if (svc !== undefined) {
          const matched = matchRoute(svc, req.method, pathOf(req.target), h);
          const last = e.routes.at(-1);
          if (matched === null)
            assert.ok(e.routes.every((r) => !r.matched && r.conditions.some((c) => !c.ok)));
          else {
            assert.equal(last?.index, matched.index);
            assert.ok(last?.matched);
            assert.ok(e.routes.slice(0, -1).every((r) => !r.matched && r.conditions.some((c) => !c.ok)));
          }
          // The allow verdict, decided again here from the callee's rules.
          const ctx = { trustDomain: m.trustDomain, sidecarNamespace: SELF.namespace, services: m.services };
          const principal = svc.mtls === 'disable' ? null : principalOf(req.from ?? 'productpage', ctx);
          const d = allowDecision(svc.allow, principal, req.method, pathOf(req.target));
          assert.equal(e.allow.verdict, !d.allowed ? 'denied' : d.audited ? 'audit' : 'allowed');
          if (e.allow.rule !== null)
            assert.ok(
              allowDecision(
                { mode: 'enforce', rules: [svc.allow!.rules[e.allow.rule]!] },
                principal,
                req.method,
                pathOf(req.target),
              ).allowed,
            );
        }
      }),
      { seed: 1313, numRuns: 400, interruptAfterTimeLimit: 20_000 },
    );
  });

  it('without a draw, names the version only when no draw is needed', () => {
    const m = load({
      services: {
        reviews: {
          versions: { v1: { host: 'r1' }, v2: { host: 'r2' } },
          routes: [
            { match: { path: { prefix: '/one' } }, split: { v2: 1 } },
            { split: { v1: 1, v2: 1 }, sticky: { header: 'x-user' } },
          ],
        },
      },
    });
    const ask = (target: string, headers: [string, string][] = []) =>
      explainRequest(m, { host: 'reviews', method: 'GET', target, headers });
    assert.equal(ask('/one').version, 'v2');
    assert.equal(ask('/two').version, null);
    assert.equal(ask('/two').pickedBy, 'random');
    const pinned = ask('/two', [['x-user', 'jason']]);
    assert.equal(pinned.version, pinned.sticky?.version);
    assert.equal(pinned.pickedBy, 'sticky key');
  });

  it('refuses a draw outside [0, 1) and a from entry that names no caller', () => {
    const m = load({ services: { reviews: { versions: { v1: { host: 'r1' } } } } });
    const base = { host: 'reviews', method: 'GET', target: '/', headers: [] };
    assert.throws(() => explainRequest(m, { ...base, random: 1 }), ExplainInputError);
    assert.throws(() => explainRequest(m, { ...base, from: 'not a name' }), ExplainInputError);
  });
});
