import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Balancing } from '../../../src/balance/wiring.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';
import type { DnsResolver, RecordWithTtl } from '../../../src/discovery/dns.ts';
import { UpstreamPools } from '../../../src/forward/pools.ts';
import type { OutboundTarget } from '../../../src/route/resolve.ts';
import { createLogger } from '../../../src/telemetry/log.ts';
import type { BalanceMetrics } from '../../../src/telemetry/metrics/balance.ts';
import { createMetrics } from '../../../src/telemetry/metrics.ts';
import { noopMetrics } from '../../../src/telemetry/noop.ts';

const SELF = { service: 't', workload: 't', namespace: 'default', version: 'v1', serviceAccount: 't' };

function mesh(split: string, v2 = '["10.0.0.2:80"]'): CompiledMesh {
  const r = loadMeshText(
    `mtls: disable
services:
  reviews:
    versions:
      v1: { endpoints: ["10.0.0.1:80"] }
      v2: { endpoints: ${v2} }
    routes:
      - name: canary
        split: { ${split} }
        guard: { baseline: v1, maxErrorRate: 0.1, window: 10s, minRequests: 5 }
`,
    'mesh.yaml',
    SELF,
  );
  assert.ok(r.ok);
  return r.mesh;
}

function balancing() {
  const gauges = new Map<string, number>();
  const balance: BalanceMetrics = {
    ...noopMetrics.balance,
    canaryGuard: (service, route, version, tripped) =>
      gauges.set(`${service} ${route} ${version}`, tripped ? 1 : 0),
  };
  const b = new Balancing({
    metrics: { ...noopMetrics, balance },
    log: createLogger('silent'),
    dnsServers: null,
  });
  return { b, gauges };
}

function target(m: CompiledMesh, version: string): OutboundTarget {
  const service = m.services.get('reviews')!;
  const v = service.versions.get(version)!;
  return {
    service,
    route: service.routes[0]!,
    version: v,
    origin: v.origin,
    path: '/',
    peerId: null,
    authority: 'reviews',
    absoluteForm: false,
  };
}

/** Finishes `n` requests to `version` with `status` through the guard. */
function feed(b: Balancing, t: OutboundTarget, n: number, status: number): void {
  for (let i = 0; i < n; i++) b.watch(t, performance.now(), () => {})(status, '-', 0, 0, null);
}

describe('Balancing', () => {
  it('the guard trips a failing canary: its requests go to the baseline, the gauge reads 1, /config lists it', () => {
    const { b, gauges } = balancing();
    const m = mesh('v1: 90, v2: 10');
    b.apply(m);
    const key = 'reviews.default.svc.cluster.local canary v2';
    assert.equal(gauges.get(key), 0, 'a watched version reads 0 before any trip');
    feed(b, target(m, 'v2'), 5, 500);
    assert.equal(gauges.get(key), 1);
    assert.equal(b.steer(target(m, 'v2')).version!.name, 'v1');
    assert.equal(b.steer(target(m, 'v1')).version!.name, 'v1');
    assert.deepEqual(
      b.guards().map((g) => [g.route, g.baseline, g.tripped.map((t) => t.version)]),
      [['canary', 'v1', ['v2']]],
    );
    b.close();
  });

  it('a reload with the same weights keeps the trip; new weights reset it and the gauge reads 0', () => {
    const { b, gauges } = balancing();
    const m = mesh('v1: 90, v2: 10');
    b.apply(m);
    feed(b, target(m, 'v2'), 5, 503);
    const same = mesh('v1: 90, v2: 10');
    b.apply(same);
    assert.equal(b.steer(target(same, 'v2')).version!.name, 'v1');
    const next = mesh('v1: 80, v2: 20');
    b.apply(next);
    assert.equal(b.steer(target(next, 'v2')).version!.name, 'v2');
    assert.equal(gauges.get('reviews.default.svc.cluster.local canary v2'), 0);
    b.close();
  });

  it('endpoint state survives a reload that keeps the endpoint; a removed version drains away', () => {
    const { b } = balancing();
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const m = mesh('v1: 1, v2: 1', '["10.0.0.2:80", "10.0.0.3:80"]');
    b.apply(m);
    assert.equal(b.registry.get('reviews/v2'), undefined, 'no state before the first request');
    const up = b.upstream(m.services.get('reviews')!.versions.get('v2')!, pools, null, null)!;
    const set = b.registry.get('reviews/v2')!;
    assert.equal(set.size, 2);
    const picked = up.pick(1, new Set());
    assert.ok(!('flag' in picked));
    b.apply(mesh('v1: 1, v2: 1', '["10.0.0.2:80", "10.0.0.3:80"]'));
    assert.equal(b.registry.get('reviews/v2'), set, 'the same set across reloads');
    assert.equal(
      set.snapshot().endpoints.reduce((n, e) => n + e.pending, 0),
      1,
      'in-flight count kept',
    );
    up.finished();
    assert.equal(
      set.snapshot().endpoints.reduce((n, e) => n + e.pending, 0),
      0,
    );
    const r = loadMeshText(
      'mtls: disable\nservices:\n  reviews:\n    versions:\n      v1: { endpoints: ["10.0.0.1:80"] }\n',
      'mesh.yaml',
      SELF,
    );
    assert.ok(r.ok);
    b.apply(r.mesh);
    assert.equal(b.registry.get('reviews/v2'), undefined);
    assert.deepEqual(
      b.endpoints().versions.map((v) => `${v.service}/${v.version}`),
      ['reviews/v1'],
      'the removed version had nothing in flight: gone at once',
    );
    b.close();
    void pools.close();
  });
});

/** `n` services of two versions each, on listed IP endpoints. */
function manyServices(n: number): CompiledMesh {
  const lines = ['mtls: disable', 'services:'];
  for (let i = 0; i < n; i++)
    lines.push(
      `  svc-${i}:`,
      '    versions:',
      `      v1: { host: 10.0.${i >> 8}.${i & 255}, port: 80 }`,
      `      v2: { endpoints: ["10.1.${i >> 8}.${i & 255}:80", "10.2.${i >> 8}.${i & 255}:80"] }`,
    );
  const r = loadMeshText(`${lines.join('\n')}\n`, 'mesh.yaml', SELF);
  assert.ok(r.ok);
  return r.mesh;
}

const versionOf = (m: CompiledMesh, service: string, version: string) =>
  m.services.get(service)!.versions.get(version)!;

/** The label sets of a family in one scrape. */
async function seriesOf(metrics: ReturnType<typeof createMetrics>, family: string): Promise<string[]> {
  const body = (await metrics.render(undefined)).body;
  return body
    .split('\n')
    .filter((l) => l.startsWith(`${family}{`))
    .map((l) => l.slice(family.length, l.lastIndexOf('}') + 1));
}

describe('Balancing: state on first use', () => {
  it("applying a config makes no endpoint set and no series; the first request makes its version's only", async () => {
    const metrics = createMetrics({ istioCompat: false });
    const b = new Balancing({ metrics, log: createLogger('silent'), dnsServers: null });
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const m = manyServices(50);
    b.apply(m);
    assert.deepEqual(b.registry.sets(), []);
    assert.deepEqual(await seriesOf(metrics, 'meshlet_retries_total'), []);
    assert.deepEqual(await seriesOf(metrics, 'meshlet_endpoints'), []);

    const up = b.upstream(versionOf(m, 'svc-7', 'v2'), pools, null, null)!;
    const picked = up.pick(1, new Set());
    assert.ok(!('flag' in picked));
    assert.match(picked.key, /^svc-7\/v2\|10\.[12]\.0\.7:80$/);
    up.finished();
    assert.deepEqual(
      b.registry.sets().map((s) => s.key),
      ['svc-7/v2'],
    );
    const fqdn = 'svc-7.default.svc.cluster.local';
    assert.deepEqual(await seriesOf(metrics, 'meshlet_retries_total'), [
      `{destination_service="${fqdn}",destination_version="v2",outcome="success"}`,
      `{destination_service="${fqdn}",destination_version="v2",outcome="failure"}`,
      `{destination_service="${fqdn}",destination_version="v2",outcome="budget_exhausted"}`,
    ]);
    assert.deepEqual(await seriesOf(metrics, 'meshlet_endpoints'), [
      `{destination_service="${fqdn}",destination_version="v2",state="healthy"}`,
      `{destination_service="${fqdn}",destination_version="v2",state="ejected"}`,
    ]);
    assert.equal(
      b.upstream(versionOf(m, 'svc-7', 'v2'), pools, null, null) !== null && b.registry.sets().length === 1,
      true,
      'a second request reuses the state',
    );
    b.close();
    await pools.close();
  });

  it('/endpoints lists every version of the config: those without a request as fresh sets', () => {
    const b = new Balancing({ metrics: noopMetrics, log: createLogger('silent'), dnsServers: null });
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const m = manyServices(2);
    b.apply(m);
    const idle = b.endpoints();
    b.upstream(versionOf(m, 'svc-1', 'v2'), pools, null, null)!.finished();
    const used = b.endpoints();
    // Equal but for the latency estimate's decay since the set was made.
    const rounded = (snap: typeof idle) =>
      snap.versions.map((v) => ({
        ...v,
        endpoints: v.endpoints.map((e) => ({ ...e, latencyMs: Math.round(e.latencyMs) })),
      }));
    assert.deepEqual(
      rounded(idle),
      rounded(used),
      'a version with state and nothing in flight looks as before its first request',
    );
    assert.deepEqual(
      used.versions.map((v) => [`${v.service}/${v.version}`, v.endpoints.map((e) => e.address)]),
      [
        ['svc-0/v1', ['10.0.0.0:80']],
        ['svc-0/v2', ['10.1.0.0:80', '10.2.0.0:80']],
        ['svc-1/v1', ['10.0.0.1:80']],
        ['svc-1/v2', ['10.1.0.1:80', '10.2.0.1:80']],
      ],
    );
    b.close();
    void pools.close();
  });

  it('a reload keeps the state of a version it keeps and drops the state and series of one it removes', async () => {
    const metrics = createMetrics({ istioCompat: false });
    const b = new Balancing({ metrics, log: createLogger('silent'), dnsServers: null });
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const m = manyServices(3);
    b.apply(m);
    for (const s of ['svc-0', 'svc-2']) b.upstream(versionOf(m, s, 'v2'), pools, null, null)!.finished();
    const kept = b.registry.get('svc-0/v2')!;
    const smaller = manyServices(2);
    await b.applyInSlices(smaller);
    assert.equal(b.registry.get('svc-0/v2'), kept, 'the same set across the reload');
    assert.equal(b.registry.get('svc-2/v2'), undefined);
    const retries = await seriesOf(metrics, 'meshlet_retries_total');
    assert.equal(retries.length, 3);
    assert.ok(retries.every((l) => l.includes('svc-0.default')));
    // The kept version's state is found from the new config's objects without a new set.
    b.upstream(versionOf(smaller, 'svc-0', 'v2'), pools, null, null)!.finished();
    assert.equal(b.registry.get('svc-0/v2'), kept);
    b.close();
    await pools.close();
  });

  it('a DNS-named version is looked up when the config is applied; its first request waits for no answer', async () => {
    let answer: (records: RecordWithTtl[]) => void = () => {};
    const resolver: DnsResolver = {
      resolve4: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
      resolve6: () => Promise.resolve([]),
    };
    const b = new Balancing({
      metrics: noopMetrics,
      log: createLogger('silent'),
      dnsServers: null,
      dnsResolver: resolver,
    });
    const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
    const r = loadMeshText(
      'mtls: disable\nservices:\n  reviews:\n    versions:\n      v1: { host: reviews-v1.test, port: 9080 }\n',
      'mesh.yaml',
      SELF,
    );
    assert.ok(r.ok);
    b.apply(r.mesh);
    assert.deepEqual(b.dns.hosts, ['reviews-v1.test'], 'discovery starts with the config');
    const v1 = versionOf(r.mesh, 'reviews', 'v1');
    assert.equal(b.upstream(v1, pools, null, null), null, 'no answer yet: the host as one endpoint');
    answer([
      { address: '10.0.0.5', ttl: 30 },
      { address: '10.0.0.6', ttl: 30 },
    ]);
    await b.ready(1000);
    const up = b.upstream(v1, pools, null, null)!;
    const picked = up.pick(1, new Set());
    assert.ok(!('flag' in picked));
    assert.match(picked.key, /^reviews\/v1\|10\.0\.0\.[56]:9080$/);
    up.finished();
    b.close();
    await pools.close();
  });
});

describe('Balancing: state only for versions with traffic (property)', () => {
  it('after any run of reloads and requests, sets and series exist exactly for the listed versions that had a request since they were last listed', async () => {
    const SERVICES = ['a', 'b', 'c'];
    const VERSIONS = ['v1', 'v2', 'v3'];
    const listing = fc.array(
      fc.tuple(fc.constantFrom(...SERVICES), fc.subarray(VERSIONS, { minLength: 1 })),
      {
        maxLength: 3,
      },
    );
    const step = fc.oneof(
      listing.map((services) => ({ kind: 'reload' as const, services: new Map(services) })),
      fc.record({
        kind: fc.constant('request' as const),
        service: fc.constantFrom(...SERVICES),
        version: fc.constantFrom(...VERSIONS),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const metrics = createMetrics({ istioCompat: false });
        const b = new Balancing({ metrics, log: createLogger('silent'), dnsServers: null });
        const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
        let mesh = meshOf(new Map());
        b.apply(mesh);
        const live = new Set<string>();
        for (const s of steps) {
          if (s.kind === 'reload') {
            mesh = meshOf(s.services);
            await b.applyInSlices(mesh, 0);
            for (const key of [...live]) {
              const [service, version] = key.split('/') as [string, string];
              if (!mesh.services.get(service)?.versions.has(version)) live.delete(key);
            }
          } else {
            const v = mesh.services.get(s.service)?.versions.get(s.version);
            if (v === undefined) continue;
            b.upstream(v, pools, null, null)!.finished();
            live.add(`${s.service}/${s.version}`);
          }
          const expected = [...live].sort();
          assert.deepEqual(
            b.registry
              .sets()
              .map((set) => set.key)
              .sort(),
            expected,
          );
          const series = (await seriesOf(metrics, 'meshlet_outlier_ejections_total')).map((l) => {
            const m = /destination_service="([a-z]+)\.default[^"]*",destination_version="(v\d)"/.exec(l)!;
            return `${m[1]}/${m[2]}`;
          });
          assert.deepEqual(series.sort(), expected);
          assert.equal(
            b.endpoints().versions.length,
            [...mesh.services.values()].reduce((n, x) => n + x.versions.size, 0),
          );
        }
        b.close();
        await pools.close();
      }),
      { numRuns: 60 },
    );
  });
});

/** A config listing `services` (name → version names), each version on its own listed endpoint. */
function meshOf(services: ReadonlyMap<string, readonly string[]>): CompiledMesh {
  const lines = ['mtls: disable', 'services:'];
  if (services.size === 0) lines[1] = 'services: {}';
  for (const [name, versions] of services) {
    lines.push(`  ${name}:`, '    versions:');
    for (const [i, v] of versions.entries()) lines.push(`      ${v}: { endpoints: ["10.9.${i}.1:80"] }`);
  }
  const r = loadMeshText(`${lines.join('\n')}\n`, 'mesh.yaml', SELF);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.mesh;
}
