// The admin port's /explain query: each parameter read as documented, every
// bad value a 400 with the reason (never a throw out of the admin port), and
// the live balancing consulted for endpoint states and the guard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainQuery, type LiveBalancing } from '../../../src/admin/explain.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import type { Explanation } from '../../../src/route/explain.ts';

const SELF = {
  service: 'productpage',
  workload: 'productpage',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'productpage',
};
const loaded = loadMeshText(
  `services:
  productpage:
    versions: { v1: { host: productpage } }
  reviews:
    versions: { v1: { host: r1 }, v2: { host: r2 } }
    routes:
      - match: { headers: { x-user: { exact: jason } }, method: [GET, POST] }
        split: { v2: 1 }
      - split: { v1: 1, v2: 1 }
    allow: [{ from: [productpage], methods: [GET] }]
`,
  'mesh.yaml',
  SELF,
);
assert.ok(loaded.ok);
const mesh = loaded.mesh;

describe('/explain query', () => {
  it('reads host, method, path, repeated headers, from and random', () => {
    const r = explainQuery(
      mesh,
      '/explain?host=reviews&method=POST&path=/a%3Fq%3D1&header=x-user:jason&header=x-b:%20c&from=productpage',
    );
    assert.equal(r.status, 200);
    const e = r.body as Explanation;
    assert.equal(e.request.path, '/a?q=1');
    assert.deepEqual(e.request.headers, { host: 'reviews', 'x-user': 'jason', 'x-b': 'c' });
    assert.equal(e.version, 'v2');
    assert.deepEqual(
      [e.allow.verdict, e.allow.reason],
      ['denied', 'no allow rule matches spiffe://cluster.local/ns/default/sa/productpage POST'],
    );
    const drawn = explainQuery(mesh, '/explain?host=reviews&random=0.75').body as Explanation;
    assert.deepEqual(
      [drawn.version, drawn.pickedBy, drawn.allow.verdict, drawn.allow.rule],
      ['v2', 'random draw 0.75', 'allowed', 0],
    );
  });

  it('answers 400 with the reason for a bad question', () => {
    for (const [url, reason] of [
      ['/explain', /host is required/],
      ['/explain?host=reviews&method=get', /upper-case HTTP method/],
      ['/explain?host=reviews&path=api', /must start with/],
      ['/explain?host=reviews&header=nocolon', /not name:value/],
      ['/explain?host=reviews&random=1', /\[0, 1\)/],
      ['/explain?host=reviews&random=x', /\[0, 1\)/],
      ['/explain?host=reviews&from=a%20b', /not a valid service name/],
      [`/explain?host=reviews${'&header=a:b'.repeat(65)}`, /at most 64 headers/],
    ] as const) {
      const r = explainQuery(mesh, url);
      assert.equal(r.status, 400, url);
      assert.match((r.body as { error: string }).error, reason, url);
    }
  });

  it('shows live endpoint states and the version the canary guard steers to', () => {
    const balancing: LiveBalancing = {
      endpoints: () => ({
        versions: [
          {
            service: 'reviews',
            version: 'v1',
            loadBalancer: 'peak-ewma',
            breaker: { pending: 0, active: 0 },
            endpoints: [
              {
                address: '10.0.0.1:80',
                state: 'ejected',
                ejections: 1,
                ejectedForMs: 30000,
                pending: 0,
                latencyMs: 3,
              },
            ],
          },
        ],
      }),
      // A guard that has tripped v2 sends its share to v1.
      steer: (t) =>
        t.version?.name === 'v2'
          ? { ...t, version: t.service!.versions.get('v1')!, origin: 'http://r1:80' }
          : t,
    };
    const e = explainQuery(mesh, '/explain?host=reviews&random=0.75', balancing).body as Explanation;
    assert.equal(e.version, 'v1');
    assert.equal(e.upstream, 'http://r1:80');
    assert.match(e.pickedBy!, /canary guard has tripped v2, so it goes to the baseline v1/);
    assert.deepEqual([e.endpoints[0]!.live, e.endpoints[0]!.endpoints[0]!.state], [true, 'ejected']);
  });
});
