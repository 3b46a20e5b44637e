// Traffic policy in the config compiler: every mesh.yaml example of the
// traffic-policy docs loads (schema and compile), every bad option is refused
// at the line and column of the offending key, routes inherit the service's
// options, and route path prefixes match on segment boundaries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadMeshText } from '../../../src/config/load.ts';
import { matchRoute } from '../../../src/route/match.ts';

const SELF = { service: 's', workload: 's', namespace: 'default', version: 'v1', serviceAccount: 's' };
const load = (text: string) => loadMeshText(text, 'mesh.yaml', SELF);

/** The mesh.yaml examples of the "Traffic policy" section of docs/configuration.md. */
function examples(): string[] {
  const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const section = docs.slice(docs.indexOf('### Traffic policy'), docs.indexOf('### Reloading'));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** One service `a` with versions v1, v2 and one route made of `route` (YAML lines at 6 spaces). */
const withRoute = (route: string, service = '') =>
  `services:\n  a:\n${service}    versions: { v1: { host: a }, v2: { host: b } }\n    routes:\n      - split: { v1: 1 }\n${route}`;

describe('traffic policy in mesh.yaml', () => {
  it('loads every mesh.yaml example of the Traffic policy docs', () => {
    const docs = examples();
    assert.ok(docs.length >= 7);
    for (const text of docs) {
      const loaded = load(text);
      assert.ok(loaded.ok, `${text}\n${JSON.stringify(!loaded.ok && loaded.issues)}`);
    }
  });

  it('refuses each bad option at the line and column of its key', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['        fault: { abort: { percent: 10 } }\n', 6, /status|grpcStatus|required/],
      ['        fault: { delay: { percent: 101, duration: 1s } }\n', 6, /100|maximum/],
      ['        mirror: { version: v9 }\n', 6, /mirror version must be one of/],
      ['        headers: { request: { set: { host: x } } }\n', 6, /cannot be changed by a route/],
      ['        headers: { response: { remove: [x-meshlet-error] } }\n', 6, /set by the sidecars/],
      ['        redirect: { status: 300 }\n', 6, /301|allowed values|enum/],
      ['        rewrite: { pathPrefix: /new }\n', 6, /needs match.path.prefix/],
      ['        match: { query: { v: { regex: "(" } } }\n', 6, /regex|missing|parenthesis/i],
      [
        '        redirect: { host: x.example }\n        mirror: { version: v2 }\n',
        7,
        /redirect forwards nothing/,
      ],
    ];
    for (const [route, line, message] of cases) {
      const loaded = load(withRoute(route));
      assert.equal(loaded.ok, false, route);
      if (loaded.ok) continue;
      const issue = loaded.issues[0]!;
      assert.match(issue.message, message, route);
      assert.equal(issue.line, line, `${route}: ${JSON.stringify(issue)}`);
      assert.ok(issue.col > 0);
    }
  });

  it('a route needs split unless it redirects', () => {
    const noSplit = load(
      'services:\n  a:\n    versions: { v1: { host: a } }\n    routes:\n      - name: x\n',
    );
    assert.equal(noSplit.ok, false);
    if (!noSplit.ok) assert.match(noSplit.issues[0]!.message, /a route needs split/);
    const redirect = load(
      'services:\n  a:\n    versions: { v1: { host: a } }\n    routes:\n      - redirect: { host: b.example }\n',
    );
    assert.ok(redirect.ok);
    if (redirect.ok) assert.equal(redirect.mesh.services.get('a')!.routes[0]!.targets.length, 0);
  });

  it('refuses a perCaller entry that names no workload, at its line', () => {
    const loaded = load(
      'services:\n  a:\n    versions: { v1: { host: a } }\n    rateLimit:\n      requestsPerSecond: 5\n      perCaller:\n        "ns/x": 1\n',
    );
    assert.equal(loaded.ok, false);
    if (!loaded.ok) assert.equal(loaded.issues[0]!.line, 7);
  });

  it('routes inherit the service options; a route’s own option wins', () => {
    const loaded = load(
      withRoute(
        '      - match: { path: { prefix: /own } }\n        split: { v1: 1 }\n        fault: { abort: { percent: 5, status: 500 } }\n',
        '    fault: { abort: { percent: 1, status: 503 } }\n    headers: { request: { set: { x-a: b } } }\n    rateLimit: { requestsPerSecond: 10 }\n',
      ),
    );
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    const service = loaded.mesh.services.get('a')!;
    const [first, own] = service.routes;
    assert.equal(first!.policy.fault!.abort!.status, 503);
    assert.equal(own!.policy.fault!.abort!.status, 500);
    assert.deepEqual(own!.policy.headers!.request!.append, ['x-a', 'b']);
    assert.equal(service.rateLimit!.service.requestsPerSecond, 10);
    assert.equal(service.rateLimit!.service.burst, 10);
  });

  it('route path prefixes match on segment boundaries (property)', () => {
    const loaded = load(
      'services:\n  a:\n    versions: { v1: { host: a } }\n    routes:\n      - name: v2\n        match: { path: { prefix: /v2 } }\n        split: { v1: 1 }\n      - name: rest\n        split: { v1: 1 }\n',
    );
    assert.ok(loaded.ok);
    const service = loaded.mesh.services.get('a')!;
    const route = (path: string) => matchRoute(service, 'GET', path, { headers: {} })!.name;
    assert.equal(route('/v2'), 'v2');
    assert.equal(route('/v2/'), 'v2');
    assert.equal(route('/v2example'), 'rest');
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9/._-]{0,12}$/), (rest) => {
        const path = `/v2${rest}`;
        const expected = rest === '' || rest.startsWith('/') ? 'v2' : 'rest';
        assert.equal(route(path), expected, path);
      }),
    );
  });
});
