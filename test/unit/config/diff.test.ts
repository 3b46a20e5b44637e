// `meshlet diff`: the effective change between two configs, the human output
// compared whole (golden), JSON, exit codes like diff(1), and spellings that
// mean the same counting as no change.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { diffMeshes } from '../../../src/config/diff.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import { explainRequest } from '../../../src/route/explain.ts';

const MAIN = new URL('../../../src/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'meshlet-diff-'));
const SELF = {
  service: 'productpage',
  workload: 'productpage',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'productpage',
};

function meshlet(args: string[], stdin = '') {
  const r = spawnSync(process.execPath, [MAIN, 'diff', ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: stdin,
    env: { ...process.env, MESHLET_NAMESPACE: 'default' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function load(text: string) {
  const r = loadMeshText(text, 'm', SELF);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.mesh;
}

const OLD = `services:
  productpage:
    versions: { v1: { host: productpage } }
  reviews:
    versions:
      v1: { host: reviews-v1 }
      v2: { host: reviews-v2 }
    timeout: 5s
    routes:
      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - name: api
        match: { path: { prefix: /api/ } }
        split: { v1: 95, v2: 5 }
      - name: default
        split: { v1: 1 }
    allow:
      - from: [productpage]
        methods: [GET]
  details:
    versions: { v1: { host: details } }
`;

const NEW = `services:
  productpage:
    versions: { v1: { host: productpage } }
  reviews:
    versions:
      v1: { host: reviews-v1 }
      v2: { host: reviews-v2 }
      v3: { host: reviews-v3, port: 8080 }
    timeout: 3s
    routes:
      - name: api
        match: { path: { prefix: /api/ }, method: GET }
        split: { v1: 80, v2: 15, v3: 5 }
        fault: { delay: { percent: 10, duration: 200ms } }
      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - name: default
        split: { v1: 1 }
    allow:
      - from: [productpage, ns/ops/sa/probe]
        methods: [GET]
  ratings:
    versions: { v1: { host: ratings } }
`;

describe('meshlet diff', () => {
  it('lists the effective changes grouped by service and route, and exits 1 (golden)', () => {
    const r = meshlet([file('old.yaml', OLD), file('new.yaml', NEW)]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 1);
    assert.equal(
      r.stdout,
      `service reviews
  + version v3: reviews-v3:8080
  ~ timeout: 5s -> 3s
  ~ allow rule #0: { from: [productpage], methods: [GET] } -> { from: [productpage, ns/ops/sa/probe], methods: [GET] }
service reviews route jason
  ~ position: #0 -> #1
service reviews route api
  ~ position: #1 -> #0
  ~ match: { path: { prefix: /api/ } } -> { method: [GET], path: { prefix: /api/ } }
  ~ split v1 95% -> 80%, v2 5% -> 15%, v3 0% -> 5%
  + fault: { delay: { percent: 10, duration: 200ms } }
service details
  - service: { versions: [v1], routes: [route-0] }
service ratings
  + service: { versions: [v1], routes: [route-0] }
10 changes
`,
    );
  });

  it('counts spellings that mean the same as no change, and exits 0', () => {
    const a = file(
      'a.yaml',
      'services:\n  r:\n    versions: { v1: { host: a }, v2: { host: b } }\n    timeout: 5s\n    routes: [{ split: { v1: 1, v2: 1 }, match: { headers: { X-User: { exact: j } } } }]\n    allow: [{ from: [r] }]\n',
    );
    const b = file(
      'b.yaml',
      'services:\n  r:\n    versions: { v1: { host: a }, v2: { host: b } }\n    timeout: 5000ms\n    routes: [{ split: { v1: 50, v2: 50 }, match: { headers: { x-user: { exact: j } } } }]\n    allow: [{ from: [ns/default/sa/r] }]\n',
    );
    const r = meshlet([a, b]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'no effective change\n');
  });

  it('reads Helm values and a ConfigMap from stdin; -o json lists {scope, what, kind, old, new}', () => {
    const helm = file(
      'values.yaml',
      `replicas: 1\nmesh:\n${OLD.split('\n')
        .map((l) => (l === '' ? l : `  ${l}`))
        .join('\n')}`,
    );
    const indented = NEW.split('\n')
      .map((l) => (l === '' ? l : `    ${l}`))
      .join('\n');
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: meshlet-mesh }\ndata:\n  mesh.yaml: |\n${indented}`;
    const r = meshlet(['-o', 'json', helm, '-'], manifest);
    assert.equal(r.status, 1, r.stderr);
    const changes = JSON.parse(r.stdout);
    assert.deepEqual(
      changes.find((c: { what: string; scope: string }) => c.what === 'split'),
      {
        scope: 'service reviews route api',
        what: 'split',
        kind: 'changed',
        old: { v1: 95, v2: 5, v3: 0 },
        new: { v1: 80, v2: 15, v3: 5 },
      },
    );
    assert.equal(changes.length, 10);
  });

  it('exits 2 when a side cannot be loaded, naming file:line:col, and on usage errors', () => {
    const bad = meshlet([
      file('ok.yaml', OLD),
      file('bad.yaml', 'services:\n  r:\n    versions: { v1: { host: "a b" } }\n'),
    ]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^meshlet diff: bad\.yaml:3:\d+: /);
    const missing = meshlet(['ok.yaml', 'nope.yaml']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read the config file: no such file/);
    assert.equal(meshlet(['ok.yaml']).status, 2);
    assert.equal(meshlet(['-', '-']).status, 2);
    assert.equal(meshlet(['-o', 'yaml', 'ok.yaml', 'ok.yaml']).status, 2);
  });

  it('reports an allow list appearing, a sticky key and a route removed', () => {
    const before = load(
      'services:\n  r:\n    versions: { v1: { host: a }, v2: { host: b } }\n    routes:\n      - { name: x, match: { path: { exact: /x } }, split: { v1: 1 } }\n      - { name: all, split: { v1: 1, v2: 1 } }\n',
    );
    const after = load(
      'services:\n  r:\n    versions: { v1: { host: a }, v2: { host: b } }\n    routes:\n      - { name: all, split: { v1: 1, v2: 1 }, sticky: { header: x-user } }\n    allow: [{ from: ["*"] }]\n',
    );
    const changes = diffMeshes(before, after).map((c) => `${c.kind} ${c.scope}: ${c.what}`);
    assert.deepEqual(changes, [
      'changed service r: allow',
      'removed service r route x: route',
      'changed service r route all: position',
      'added service r route all: sticky',
    ]);
  });
});

// Random configs, and the same configs spelled differently: weights scaled,
// header names in upper case, durations in ms, a lone method as a list,
// `from` entries as ns/<ns>/sa/<account>. Decisions must not change, and diff
// must say so; any real edit to a split must show.
describe('diffMeshes: settings compared as written', () => {
  it('reports mesh-wide and service settings it has no compiled form for (accessLog, rateLimit, loadBalancer)', () => {
    const before = load('services:\n  r:\n    versions: { v1: { host: a } }\n');
    const after = load(
      'accessLog: { enabled: true }\nservices:\n  r:\n    versions: { v1: { host: a } }\n    loadBalancer: round-robin\n    rateLimit: { requestsPerSecond: 50, burst: 10 }\n',
    );
    assert.deepEqual(
      diffMeshes(before, after).map((c) => `${c.kind} ${c.scope}: ${c.what}`),
      ['added mesh: accessLog', 'added service r: loadBalancer', 'added service r: rateLimit'],
    );
  });
});

describe('meshlet diff (property)', () => {
  const NAMES = ['reviews', 'ratings', 'details'];
  const routeArb = fc.record(
    {
      match: fc.record(
        {
          method: fc.constantFrom('GET', 'POST'),
          path: fc.constantFrom({ prefix: '/a' }, { exact: '/b' }),
          headers: fc.constantFrom({ 'x-user': { exact: 'jason' } }, { 'x-group': { present: true } }),
        },
        { requiredKeys: [] },
      ),
      split: fc
        .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }))
        .map(([a, b]) => ({ v1: a, v2: b })),
      timeout: fc.constantFrom('1s', '250ms', '2s'),
    },
    { requiredKeys: ['split'] },
  );
  const serviceArb = fc.record(
    {
      versions: fc.constant({ v1: { host: 'h1' }, v2: { host: 'h2' } }),
      timeout: fc.constantFrom('5s', '3s'),
      routes: fc.array(routeArb, { minLength: 1, maxLength: 3 }),
      allow: fc.array(fc.record({ from: fc.subarray(NAMES, { minLength: 1 }) }), { maxLength: 2 }),
    },
    { requiredKeys: ['versions', 'routes'] },
  );
  const meshArb = fc
    .tuple(...NAMES.map(() => serviceArb))
    .map((ss) => ({ services: Object.fromEntries(NAMES.map((n, i) => [n, ss[i]!])) }));

  type RawMeshLike = { services: Record<string, Record<string, unknown>> };
  const inMs = (d: unknown) =>
    typeof d === 'string'
      ? `${d.endsWith('ms') ? Number.parseInt(d, 10) : Number.parseInt(d, 10) * 1000}ms`
      : d;
  function respell(raw: RawMeshLike, k: number): RawMeshLike {
    const out = structuredClone(raw);
    for (const svc of Object.values(out.services)) {
      if (svc.timeout !== undefined) svc.timeout = inMs(svc.timeout);
      for (const r of svc.routes as Array<{
        split: Record<string, number>;
        timeout?: string;
        match?: { method?: string | string[]; headers?: Record<string, unknown> };
      }>) {
        r.split = Object.fromEntries(
          Object.entries(r.split as Record<string, number>).map(([v, w]) => [v, w * k]),
        );
        if (r.timeout !== undefined) r.timeout = inMs(r.timeout) as string;
        const m = r.match;
        if (m?.method !== undefined && !Array.isArray(m.method)) m.method = [m.method];
        if (m?.headers !== undefined)
          m.headers = Object.fromEntries(Object.entries(m.headers).map(([h, v]) => [h.toUpperCase(), v]));
      }
      for (const rule of (svc.allow ?? []) as Array<{ from: string[] }>)
        rule.from = rule.from.map((f) => `ns/default/sa/${f}`);
    }
    return out;
  }
  const loadRaw = (raw: unknown) => load(JSON.stringify(raw));

  it('finds no change between a config and itself respelled, and the decisions agree', () => {
    fc.assert(
      fc.property(meshArb, fc.integer({ min: 2, max: 7 }), (raw, k) => {
        const a = loadRaw(raw);
        const b = loadRaw(respell(raw, k));
        assert.deepEqual(diffMeshes(a, a), []);
        assert.deepEqual(diffMeshes(a, b), []);
        for (const target of ['/a/1', '/b', '/c']) {
          for (const method of ['GET', 'POST']) {
            for (const draw of [0, 0.3, 0.6, 0.99]) {
              const ask = (m: typeof a) =>
                explainRequest(m, {
                  host: 'reviews',
                  method,
                  target,
                  headers: [['x-user', 'jason']],
                  random: draw,
                  from: 'ratings',
                });
              const [x, y] = [ask(a), ask(b)];
              assert.deepEqual([x.route, x.version, x.allow.verdict], [y.route, y.version, y.allow.verdict]);
            }
          }
        }
      }),
      { seed: 1313, numRuns: 150, interruptAfterTimeLimit: 20_000 },
    );
  });

  it("reports every change of a route's shares", () => {
    fc.assert(
      fc.property(meshArb, fc.nat(), (raw, pick) => {
        const routes = raw.services.reviews!.routes as Array<{ split: Record<string, number> }>;
        const route = routes[pick % routes.length]!;
        const edited = structuredClone(raw);
        const target = (edited.services.reviews!.routes as Array<{ split: Record<string, number> }>)[
          pick % routes.length
        ]!;
        // v2 always has weight >= 1: one more for v1 changes the proportions.
        target.split = { ...route.split, v1: route.split.v1! + 1 };
        const changes = diffMeshes(loadRaw(raw), loadRaw(edited));
        const split = changes.filter((c) => c.what === 'split');
        assert.equal(split.length, 1, JSON.stringify(changes));
        assert.ok(split[0]!.scope.startsWith('service reviews route '));
      }),
      { seed: 1313, numRuns: 150, interruptAfterTimeLimit: 20_000 },
    );
  });
});
