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
