import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh, SidecarIdentity } from '../../../src/config/types.ts';

const self: SidecarIdentity = {
  service: 'reviews',
  workload: 'reviews-v1',
  namespace: 'shop',
  version: 'v1',
  serviceAccount: 'bookinfo-reviews',
};

function load(text: string, identity = self): CompiledMesh {
  const r = loadMeshText(text, 'm', identity);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.mesh;
}

describe('the pod policy compiled into the snapshot (mesh.pod)', () => {
  it("carries the pod's own service entry, effective mTLS mode and SPIFFE id", () => {
    const mesh = load(
      'trustDomain: example.org\nmtls: permissive\nservices:\n  reviews:\n    mtls: strict\n  ratings: {}\n',
    );
    assert.equal(mesh.pod.service, mesh.services.get('reviews'));
    assert.equal(mesh.pod.mtls, 'strict');
    assert.equal(mesh.pod.spiffeId, 'spiffe://example.org/ns/shop/sa/bookinfo-reviews');
    assert.equal(mesh.pod.needsCertificates, true);
  });

  it('falls back to the mesh-wide mode for a pod whose service is not listed', () => {
    const mesh = load('mtls: disable\nservices:\n  ratings: {}\n');
    assert.equal(mesh.pod.service, null);
    assert.equal(mesh.pod.mtls, 'disable');
    assert.equal(mesh.pod.needsCertificates, false);
  });

  it('needs certificates when any one service uses mTLS, even with mtls: disable mesh-wide', () => {
    assert.equal(
      load('mtls: disable\nservices:\n  ratings: { mtls: permissive }\n').pod.needsCertificates,
      true,
    );
  });
});

describe('streamIdleTimeout', () => {
  it("defaults to 5 minutes (Envoy's stream_idle_timeout) mesh-wide and per service", () => {
    const mesh = load('services:\n  ratings: {}\n');
    assert.equal(mesh.streamIdleTimeoutMs, 300_000);
    assert.equal(mesh.services.get('ratings')!.streamIdleTimeoutMs, 300_000);
  });

  it('is set mesh-wide, inherited by services, and overridden per service', () => {
    const mesh = load(
      'streamIdleTimeout: 30s\nservices:\n  ratings: {}\n  uploads: { streamIdleTimeout: 15m }\n',
    );
    assert.equal(mesh.streamIdleTimeoutMs, 30_000);
    assert.equal(mesh.services.get('ratings')!.streamIdleTimeoutMs, 30_000);
    assert.equal(mesh.services.get('uploads')!.streamIdleTimeoutMs, 900_000);
  });

  it('is refused at its position when it is not a duration', () => {
    const r = loadMeshText('services:\n  ratings: { streamIdleTimeout: forever }\n', 'm', self);
    assert.equal(r.ok, false);
    const [issue] = (r as { issues: { line: number; message: string }[] }).issues;
    assert.equal(issue!.line, 2);
    assert.match(issue!.message, /streamIdleTimeout: expected a duration like `5s`/);
  });
});

describe('route regexes', () => {
  it('compiles a pattern repeated across routes and services once per load', () => {
    const route = '      - match: { path: { regex: "/items/[0-9]+" } }\n        split: { default: 1 }\n';
    const mesh = load(`services:\n  a:\n    routes:\n${route}${route}  b:\n    routes:\n${route}`);
    const a = mesh.services.get('a')!.routes;
    const b = mesh.services.get('b')!.routes;
    assert.equal(a[0]!.path, a[1]!.path);
    assert.equal(a[0]!.path, b[0]!.path);
    assert.equal(a[0]!.path!('/items/7'), true);
  });
});

describe('service accounts', () => {
  it('refuses a service account that cannot be part of a SPIFFE ID', () => {
    for (const sa of ['Bad Account', 'a/b', '-x']) {
      const r = loadMeshText(`services:\n  ratings: { serviceAccount: "${sa}" }\n`, 'm', self);
      assert.equal(r.ok, false, sa);
      assert.match(
        (r as { issues: { message: string }[] }).issues[0]!.message,
        /a Kubernetes service account name/,
      );
    }
    assert.equal(
      load('services:\n  ratings: { serviceAccount: bookinfo-ratings.v1 }\n').services.get('ratings')!
        .spiffeId,
      'spiffe://cluster.local/ns/shop/sa/bookinfo-ratings.v1',
    );
  });
});

describe('numbers the request path cannot use', () => {
  it('refuses a duration longer than the longest timer (2^31 - 1 ms), which would fire at once', () => {
    for (const field of ['timeout', 'streamIdleTimeout']) {
      const r = loadMeshText(`services:\n  ratings: { ${field}: 600h }\n`, 'm', self);
      assert.equal(r.ok, false, field);
      const [issue] = (r as { issues: { line: number; message: string }[] }).issues;
      assert.equal(issue!.line, 2);
      assert.match(issue!.message, /expected a duration of at most 596h \(got '600h'\)/);
    }
    assert.equal(
      load('services:\n  ratings: { timeout: 596h }\n').services.get('ratings')!.timeoutMs,
      596 * 3_600_000,
    );
  });

  it('refuses split weights above 1,000,000, where sums lose precision', () => {
    const r = loadMeshText('services:\n  r:\n    routes:\n      - split: { default: 1e300 }\n', 'm', self);
    assert.equal(r.ok, false);
    assert.match(
      (r as { issues: { message: string }[] }).issues[0]!.message,
      /expected a weight from 0 to 1000000/,
    );
  });
});

describe('parts many services compile alike', () => {
  const text = `mtls: disable
services:
  a:
    versions: { v1: { host: a-v1 }, v2: { host: a-v2 } }
    retries: { attempts: 2, on: [gateway-error] }
  b:
    versions: { v1: { host: b-v1 } }
    retries: { attempts: 2, on: [gateway-error] }
  c:
    versions: { v1: { host: c-v1 } }
    retries: { attempts: 3, on: [5xx] }
`;

  it('are one object per load: the response header of a version name, the retry policy of equal retries', () => {
    const mesh = load(text);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => mesh.services.get(n)!);
    assert.equal(a!.versions.get('v1')!.responseHeader, b!.versions.get('v1')!.responseHeader);
    assert.deepEqual(a!.versions.get('v2')!.responseHeader, ['x-meshlet-upstream-version', 'v2']);
    assert.equal(a!.retry, b!.retry);
    assert.notEqual(a!.retry, c!.retry);
    assert.deepEqual([...c!.retry!.statuses].slice(0, 3), [500, 501, 502]);
    assert.equal(c!.retry!.attempts, 3);
  });

  it('compile to the same values as a service alone: host spellings, FQDN, SPIFFE id, origin', () => {
    const mesh = load(text);
    const alone = load(
      'mtls: disable\nservices:\n  b:\n    versions: { v1: { host: b-v1 } }\n    retries: { attempts: 2, on: [gateway-error] }\n',
    );
    const b = mesh.services.get('b')!;
    const b1 = alone.services.get('b')!;
    assert.deepEqual(
      [...mesh.hosts].filter(([, s]) => s === b).map(([h]) => h),
      [...alone.hosts].filter(([, s]) => s === b1).map(([h]) => h),
    );
    assert.equal(mesh.hosts.get('b.shop.svc.cluster.local:80'), b);
    assert.deepEqual(
      [b.fqdn, b.spiffeId, b.versions.get('v1')!.origin, b.retry],
      [b1.fqdn, b1.spiffeId, b1.versions.get('v1')!.origin, b1.retry],
    );
    assert.equal(b.fqdn, 'b.shop.svc.cluster.local');
  });
});
