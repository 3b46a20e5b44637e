import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../src/config/load.ts';
import { matchRoute, pathOf } from '../../../src/route/match.ts';

const mesh = loadMeshText(
  `services:
  r:
    versions: { v1: { host: a }, v2: { host: b } }
    routes:
      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 1 }
      - name: no-debug
        match: { headers: { x-debug: { present: false } }, path: { prefix: /nodebug } }
        split: { v1: 1 }
      - name: beta
        match: { headers: { x-group: { regex: "beta-[0-9]+" } }, method: [GET, HEAD] }
        split: { v2: 1 }
      - name: api
        match: { path: { prefix: /api/ } }
        split: { v1: 1 }
      - name: exact
        match: { path: { exact: /health } }
        split: { v1: 1 }
      - name: default
        split: { v1: 1 }
`,
  'm',
  { service: 's', workload: 's', namespace: 'default', version: 'v1', serviceAccount: 's' },
);
assert.ok(mesh.ok);
const service = mesh.mesh.services.get('r')!;

function pick(method: string, path: string, headers: IncomingHttpHeaders = {}): string | undefined {
  const r = matchRoute(service, method, path, { headers });
  return r?.name;
}

describe('matchRoute', () => {
  it('first match wins, in order', () => {
    assert.equal(pick('GET', '/api/x', { 'x-user': 'jason' }), 'jason');
    assert.equal(pick('GET', '/api/x'), 'api');
  });
  it('exact header values are exact', () => {
    assert.equal(pick('GET', '/', { 'x-user': 'Jason' }), 'default');
    assert.equal(pick('GET', '/', { 'x-user': 'jason2' }), 'default');
  });
  it('present: false requires the header to be absent', () => {
    assert.equal(pick('GET', '/nodebug'), 'no-debug');
    assert.equal(pick('GET', '/nodebug', { 'x-debug': '1' }), 'default');
  });
  it('regex is a full match and methods are a list', () => {
    assert.equal(pick('GET', '/', { 'x-group': 'beta-12' }), 'beta');
    assert.equal(pick('HEAD', '/', { 'x-group': 'beta-12' }), 'beta');
    assert.equal(pick('POST', '/', { 'x-group': 'beta-12' }), 'default');
    assert.equal(pick('GET', '/', { 'x-group': 'xbeta-12' }), 'default');
    assert.equal(pick('GET', '/', { 'x-group': 'beta-12x' }), 'default');
  });
  it('exact path does not match a longer path', () => {
    assert.equal(pick('GET', '/health'), 'exact');
    assert.equal(pick('GET', '/healthz'), 'default');
  });
  it('strips the query string from a request target', () => {
    assert.equal(pathOf('/a/b?c=d'), '/a/b');
    assert.equal(pathOf('/a'), '/a');
  });
});

describe('route regexes (RE2, linear time)', () => {
  const compile = (regex: string) =>
    loadMeshText(
      `services:\n  r:\n    versions: { v1: { host: a } }\n    routes:\n      - name: re\n        match: { headers: { x-k: { regex: ${JSON.stringify(regex)} } } }\n        split: { v1: 1 }\n      - name: default\n        split: { v1: 1 }\n`,
      'm',
      { service: 's', workload: 's', namespace: 'default', version: 'v1', serviceAccount: 's' },
    );

  it('matches (a+)+b against a 30-character header in linear time', () => {
    const loaded = compile('(a+)+b');
    assert.ok(loaded.ok);
    const svc = loaded.mesh.services.get('r')!;
    const value = 'a'.repeat(30);
    const started = performance.now();
    for (let i = 0; i < 100; i++)
      assert.equal(matchRoute(svc, 'GET', '/', { headers: { 'x-k': value } })?.name, 'default');
    const perMatchMs = (performance.now() - started) / 100;
    // A backtracking engine needs about 2^30 steps (seconds); linear time is microseconds.
    assert.ok(perMatchMs < 5, `${perMatchMs.toFixed(3)} ms per match`);
    assert.equal(matchRoute(svc, 'GET', '/', { headers: { 'x-k': `${value}b` } })?.name, 're');
  });

  it('refuses what RE2 does not support, quoting the pattern as written', () => {
    for (const regex of ['(?=a)b', '(a)\\1', '(?<!x)y']) {
      const r = compile(regex);
      assert.equal(r.ok, false);
      const [issue] = (r as { issues: { line: number; message: string }[] }).issues;
      assert.equal(issue!.line, 6);
      assert.ok(issue!.message.includes(`invalid regex \`${regex}\``), issue!.message);
    }
  });

  it('accepts RE2 classes and flags JavaScript lacks or spells differently', () => {
    const r = compile('(?i)[[:alpha:]]+-\\pN+');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    const svc = r.mesh.services.get('r')!;
    assert.equal(matchRoute(svc, 'GET', '/', { headers: { 'x-k': 'Beta-42' } })?.name, 're');
    assert.equal(matchRoute(svc, 'GET', '/', { headers: { 'x-k': 'beta-42x' } })?.name, 'default');
  });
});
