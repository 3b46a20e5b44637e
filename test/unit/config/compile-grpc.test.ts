import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';
import { matchRoute } from '../../../src/route/match.ts';

const self = {
  service: 'client',
  workload: 'client',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'client',
};

function load(text: string): CompiledMesh {
  const r = loadMeshText(text, 'm', self);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.mesh;
}

const MESH = `services:
  echo:
    protocol: grpc
    versions: { v1: { host: 127.0.0.1, port: 1 }, v2: { host: 127.0.0.1, port: 2 } }
    retries: { attempts: 2, on: [unavailable, resource-exhausted, 503] }
    routes:
      - name: get
        match: { grpc: { service: pkg.v1.Echo, method: Get } }
        split: { v2: 100 }
      - name: echo-any
        match: { grpc: { service: pkg.v1.Echo } }
        split: { v1: 100 }
      - name: rest
        split: { v1: 100 }
`;

const GRPC = { headers: { 'content-type': 'application/grpc+proto' } };
const PLAIN = { headers: { 'content-type': 'application/json' } };

describe('gRPC service settings compiled', () => {
  const echo = load(MESH).services.get('echo')!;

  it('protocol defaults to http and keeps grpc when set', () => {
    assert.equal(echo.protocol, 'grpc');
    assert.equal(load('services:\n  a: {}\n').services.get('a')!.protocol, 'http');
  });

  it('retries.on takes gRPC status names next to HTTP statuses', () => {
    assert.deepEqual(
      [...echo.retry!.grpcStatuses!].sort((a, b) => a - b),
      [8, 14],
    );
    assert.ok(echo.retry!.statuses.has(503));
    const refused = loadMeshText(
      'services:\n  a:\n    retries: { attempts: 1, on: [unavilable] }\n',
      'm',
      self,
    );
    assert.equal(refused.ok, false);
  });

  it('match.grpc picks a method, then any method of the service, and only for gRPC calls', () => {
    assert.equal(matchRoute(echo, 'POST', '/pkg.v1.Echo/Get', GRPC)?.name, 'get');
    assert.equal(matchRoute(echo, 'POST', '/pkg.v1.Echo/List', GRPC)?.name, 'echo-any');
    assert.equal(
      matchRoute(echo, 'POST', '/pkg.v1.Echo/Get', PLAIN)?.name,
      'rest',
      'not gRPC: no gRPC route',
    );
    assert.equal(matchRoute(echo, 'POST', '/pkg.v1.Echo/', GRPC)?.name, 'rest', 'no method named');
    assert.equal(matchRoute(echo, 'POST', '/pkg.v1.EchoX/Get', GRPC)?.name, 'rest', 'another service');
  });

  it('a gRPC route matches exactly the paths of its service (property)', () => {
    const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(ident, { minLength: 1, maxLength: 3 }),
        ident,
        fc.string(),
        (parts, method, junk) => {
          const path = `/${parts.join('.')}/${method}${junk}`;
          const route = matchRoute(echo, 'POST', path, GRPC)?.name;
          const inService = path.startsWith('/pkg.v1.Echo/') && path.length > '/pkg.v1.Echo/'.length;
          const expected = path === '/pkg.v1.Echo/Get' ? 'get' : inService ? 'echo-any' : 'rest';
          assert.equal(route, expected, path);
        },
      ),
    );
  });

  it('match.grpc with match.path is refused, and a malformed service name too', () => {
    const both = loadMeshText(
      'services:\n  a:\n    routes:\n      - match: { path: { prefix: / }, grpc: { service: a.B } }\n        split: { default: 1 }\n',
      'm',
      self,
    );
    assert.equal(both.ok, false);
    assert.match(JSON.stringify(!both.ok && both.issues), /cannot be combined/);
    const bad = loadMeshText(
      'services:\n  a:\n    routes:\n      - match: { grpc: { service: "a/B" } }\n        split: { default: 1 }\n',
      'm',
      self,
    );
    assert.equal(bad.ok, false);
  });
});
