import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadMeshFile, loadMeshText } from '../../../src/config/load.ts';
import type { SidecarIdentity } from '../../../src/config/types.ts';

const self: SidecarIdentity = {
  service: 'productpage',
  workload: 'productpage-v1',
  namespace: 'shop',
  version: 'v1',
  serviceAccount: 'productpage',
};

function issues(text: string) {
  const r = loadMeshText(text, 'mesh.yaml', self);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return (r as { issues: { line: number; col: number; message: string }[] }).issues;
}

describe('loading mesh.yaml', () => {
  it('accepts every example shipped in config/', () => {
    const dir = new URL('../../../config/', import.meta.url).pathname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.includes('canary/'));
    assert.ok(files.length >= 3);
    for (const f of files) {
      const r = loadMeshFile(`${dir}${f}`, self);
      assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.issues)}`);
    }
  });

  it('points at an unknown field with its line and column', () => {
    const [e] = issues('mtls: strict\nservices:\n  reviews:\n    versoins: {}\n');
    assert.deepEqual([e!.line, e!.col], [4, 5]);
    assert.match(e!.message, /services\.reviews: unknown field 'versoins'/);
  });

  it('points at a bad enum value', () => {
    const [e] = issues('trustDomain: cluster.local\noutboundTrafficPolicy: denyAll\n');
    assert.deepEqual([e!.line, e!.col], [2, 24]);
    assert.match(e!.message, /must be one of "allowAny", "registryOnly"/);
  });

  it('reports YAML syntax errors with position', () => {
    const [e] = issues('services:\n  reviews: [\n');
    assert.ok(e!.line >= 2);
  });

  it('rejects duplicate keys', () => {
    assert.ok(issues('mtls: strict\nmtls: disable\n').length > 0);
  });

  it('rejects a split naming an unknown version, at the weight', () => {
    const text =
      'services:\n  reviews:\n    versions:\n      v1: { host: a }\n    routes:\n      - split: { v1: 1, v7: 3 }\n';
    const [e] = issues(text);
    assert.equal(e!.line, 6);
    assert.match(e!.message, /version 'v7'/);
  });

  it('rejects a split with no positive weight, and negative or fractional weights', () => {
    const base = 'services:\n  r:\n    versions:\n      v1: { host: a }\n    routes:\n      - split: ';
    assert.match(issues(`${base}{ v1: 0 }\n`)[0]!.message, /positive weight/);
    assert.ok(issues(`${base}{ v1: -1 }\n`).length > 0);
    assert.ok(issues(`${base}{ v1: 0.5 }\n`).length > 0);
  });

  it('rejects an invalid regex at the regex', () => {
    const text =
      'services:\n  r:\n    versions:\n      v1: { host: a }\n    routes:\n      - match: { path: { regex: "/a(" } }\n        split: { v1: 1 }\n';
    const [e] = issues(text);
    assert.equal(e!.line, 6);
    assert.match(e!.message, /invalid regex/);
  });

  it('rejects bad durations and bad allow entries with their position', () => {
    assert.ok(issues('services:\n  r:\n    timeout: 5 seconds\n').length > 0);
    const [e] = issues('services:\n  r:\n    allow:\n      - from: ["spiffe://other.domain/ns/a/sa/b"]\n');
    assert.equal(e!.line, 4);
  });

  it('compiles defaults: namespace, service account, SPIFFE id, host spellings, even split', () => {
    const r = loadMeshText(
      'services:\n  reviews:\n    port: 9080\n    versions:\n      v1: { host: r1 }\n      v2: { host: r2, port: 8080 }\n',
      'm',
      self,
    );
    assert.ok(r.ok);
    const s = r.mesh.services.get('reviews')!;
    assert.equal(s.namespace, 'shop');
    assert.equal(s.spiffeId, 'spiffe://cluster.local/ns/shop/sa/reviews');
    assert.equal(s.fqdn, 'reviews.shop.svc.cluster.local');
    assert.equal(s.mtls, 'permissive');
    assert.equal(s.versions.get('v1')!.origin, 'http://r1:9080');
    assert.equal(s.versions.get('v2')!.origin, 'http://r2:8080');
    assert.deepEqual(s.routes[0]!.cumulative, [1, 2]);
    for (const h of [
      'reviews',
      'reviews:9080',
      'reviews.shop',
      'reviews.shop.svc:9080',
      'reviews.shop.svc.cluster.local',
    ]) {
      assert.equal(r.mesh.hosts.get(h), s, h);
    }
    assert.equal(r.mesh.hosts.get('reviews:80'), undefined);
    assert.equal(r.mesh.tracing.sampling, 0, 'no tracing section: tracing off');
  });

  it('compiles retry conditions', () => {
    const r = loadMeshText(
      'services:\n  r:\n    retries: { attempts: 3, on: [gateway-error, 429, reset] }\n',
      'm',
      self,
    );
    assert.ok(r.ok);
    const retry = r.mesh.services.get('r')!.retry!;
    assert.deepEqual([...retry.statuses].sort(), [429, 502, 503, 504]);
    assert.equal(retry.onReset, true);
    assert.equal(retry.onConnectFailure, false);
  });

  it('hashes the text, so /config shows which edit is live', () => {
    const a = loadMeshText('mtls: strict\n', 'm', self);
    const b = loadMeshText('mtls: strict\n# comment\n', 'm', self);
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.mesh.hash, b.mesh.hash);
  });
});
