import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatIssue, loadMeshFile, loadMeshText } from '../../../src/config/load.ts';
import type { ConfigIssue, SidecarIdentity } from '../../../src/config/types.ts';

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

describe('version hosts and ports (a host name or an IP literal, nothing else)', () => {
  const withHost = (host: string, port = 9081) =>
    `services:\n  reviews:\n    versions:\n      v1: { host: ${JSON.stringify(host)}, port: ${port} }\n`;

  for (const host of [
    '127.0.0.1:9081',
    'http://127.0.0.1',
    'reviews v1',
    '127.0.0.1/v1',
    '999.1.1.1',
    '[127.0.0.1]',
    'fe80::1%eth0',
    '',
  ]) {
    it(`rejects host ${JSON.stringify(host)} at the host, saying what is expected`, () => {
      const found = issues(withHost(host));
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.deepEqual([found[0]!.line, found[0]!.col], [4, 19]);
      assert.equal(
        found[0]!.message,
        `services.reviews.versions.v1.host: expected a host name or IP address; put the port in \`port:\` (got '${host}')`,
      );
    });
  }

  it('accepts an IPv6 literal with or without brackets, compiled to a bracketed origin', () => {
    for (const host of ['::1', '[::1]']) {
      const r = loadMeshText(withHost(host), 'm', self);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
      assert.equal(r.mesh.services.get('reviews')!.versions.get('v1')!.origin, 'http://[::1]:9081');
      assert.equal(r.mesh.services.get('reviews')!.versions.get('v1')!.host, '::1', 'the form sockets take');
    }
  });

  it('accepts DNS names and IPv4, and rejects ports outside 1..65535 with the expected form', () => {
    for (const host of ['reviews', 'reviews-v1.shop.svc.cluster.local', '10.0.0.7', 'my_host.local.']) {
      assert.ok(loadMeshText(withHost(host), 'm', self).ok, host);
    }
    for (const port of [0, 65536, 99999]) {
      const [e] = issues(withHost('reviews', port));
      assert.match(e!.message, /expected a port number from 1 to 65535/);
    }
  });

  it('rejects an OTLP endpoint that is not an http(s) URL with a usable host', () => {
    for (const endpoint of [
      'http://',
      'jaeger:4318',
      'http://a b:4318/v1/traces',
      'http://j:99999/v1/traces',
    ]) {
      const [e] = issues(`tracing: { otlpEndpoint: ${JSON.stringify(endpoint)} }\n`);
      assert.equal(e!.line, 1);
      assert.match(e!.message, /^tracing\.otlpEndpoint: .*http:\/\/ or https:\/\/ URL/);
    }
    assert.ok(loadMeshText('tracing: { otlpEndpoint: "http://[::1]:4318/v1/traces" }\n', 'm', self).ok);
  });

  it('reports a bad host and a bad enum in the same pass', () => {
    const found = issues(`mtls: sometimes\n${withHost('a:1')}`);
    assert.deepEqual(
      found.map((i) => i.line),
      [1, 5],
    );
  });
});

describe('an empty config is never valid', () => {
  for (const [name, text] of [
    ['an empty file', ''],
    ['a comment-only file', '# mesh config\n\n# nothing yet\n'],
    ['an empty mapping', '{}\n'],
    ['a null document', '~\n'],
  ] as const) {
    it(`rejects ${name} at 1:1`, () => {
      const [e] = issues(text);
      assert.deepEqual([e!.line, e!.col], [1, 1]);
      assert.match(e!.message, /config is empty/);
    });
  }

  it('accepts an explicitly empty registry', () => {
    assert.ok(loadMeshText('services: {}\n', 'm', self).ok);
  });
});

describe('messages say how to fix the config', () => {
  it('suggests the field a typo meant, without a "missing required field" for the same typo', () => {
    const found = issues('services:\n  r:\n    routes:\n      - spilt: { default: 1 }\n');
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]!.message, "services.r.routes.0: unknown field 'spilt': did you mean `split`?");
    assert.deepEqual([found[0]!.line, found[0]!.col], [4, 9]);
  });

  it('gives a duration its expected form, not a regex', () => {
    const [e] = issues('services:\n  r:\n    timeout: 5 seconds\n');
    assert.equal(
      e!.message,
      "services.r.timeout: expected a duration like `5s`, `250ms` or `1m30s` (got '5 seconds')",
    );
  });

  it('says plainly that a file holds several YAML documents', () => {
    const [e] = issues('mtls: strict\n---\nservices: {}\n');
    assert.equal(e!.line, 2);
    assert.match(e!.message, /more than one YAML document/);
    assert.doesNotMatch(e!.message, /parseAllDocuments|YAML\./);
  });

  it('reports every problem of the file in one pass, in file order', () => {
    const found = issues(
      'mtls: sometimes\nservices:\n  r:\n    timeout: 5 seconds\n    versoins: {}\n  Bad_Name: {}\n',
    );
    assert.deepEqual(
      found.map((i) => i.line),
      [1, 4, 5, 6],
    );
  });

  it('reports every semantic error of every route in one pass', () => {
    const found = issues(
      'services:\n  r:\n    versions: { v1: { host: a } }\n    routes:\n      - match: { path: { regex: "(?=a)" } }\n        split: { v1: 1 }\n      - split: { v7: 1 }\n  s:\n    routes:\n      - split: { v2: 1 }\n',
    );
    assert.deepEqual(
      found.map((i) => i.line),
      [5, 7, 10],
    );
  });

  it('says what failed when the file cannot be read, without a 0:0 position', () => {
    const r = loadMeshFile('/nonexistent/mesh.yaml', self);
    assert.equal(r.ok, false);
    const line = formatIssue((r as { issues: ConfigIssue[] }).issues[0]!);
    assert.equal(line, '/nonexistent/mesh.yaml: cannot read the config file: no such file (ENOENT)');
  });
});
