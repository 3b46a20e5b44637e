import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildGraph, type GraphEdge, renderGraph } from '../../../src/cli/graph.ts';
import { createMetrics, type MeshletMetrics } from '../../../src/telemetry/metrics.ts';
import type { StaticRequestLabels } from '../../../src/telemetry/types.ts';
import { prometheusMissing, startPrometheus } from '../../helpers/prometheus.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE, [join(ROOT, 'src', 'main.ts'), 'graph', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const EDGES: GraphEdge[] = [
  {
    source: 'frontend',
    destination: 'backend',
    reporter: 'source',
    rps: 12.345,
    successRate: 0.75,
    deniedRate: 0,
    p99Seconds: 0.02485,
    mtls: 'mutual_tls',
  },
  {
    source: 'unknown',
    destination: 'frontend',
    reporter: 'destination',
    rps: 0.5,
    successRate: 1,
    deniedRate: null,
    p99Seconds: null,
    mtls: 'none',
  },
  {
    source: 'unknown',
    destination: 'reviews',
    reporter: 'destination',
    rps: 2,
    successRate: 0,
    deniedRate: 1,
    p99Seconds: 0.001,
    mtls: 'none',
  },
];

describe('renderGraph', () => {
  it('prints an aligned table', () => {
    assert.equal(
      renderGraph(EDGES, 'table', '5m'),
      [
        'SOURCE    DESTINATION  RPS   SUCCESS  DENIED  P99     MTLS',
        'frontend  backend      12.3  75.0%    0.0%    24.9ms  mutual_tls',
        'unknown   frontend     0.50  100.0%   -       -       none',
        'unknown   reviews      2.0   0.0%     100.0%  1.00ms  none',
        '',
      ].join('\n'),
    );
  });

  it('prints Graphviz dot with plaintext edges dashed', () => {
    assert.equal(
      renderGraph(EDGES, 'dot', '5m'),
      [
        'digraph meshlet {',
        '  rankdir=LR;',
        '  node [shape=box];',
        '  "frontend" -> "backend" [label="12.3 rps, 75.0% ok, p99 24.9ms, mTLS", style=solid];',
        '  "unknown" -> "frontend" [label="0.50 rps, 100.0% ok, p99 -", style=dashed];',
        '  "unknown" -> "reviews" [label="2.0 rps, 0.0% ok, 100.0% denied, p99 1.00ms", style=dashed];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints a Mermaid flowchart with stable node ids', () => {
    assert.equal(
      renderGraph(EDGES, 'mermaid', '5m'),
      [
        'graph LR',
        '  n0["frontend"] ==>|"12.3 rps, 75.0% ok, p99 24.9ms, mTLS"| n1["backend"]',
        '  n2["unknown"] -->|"0.50 rps, 100.0% ok, p99 -"| n0["frontend"]',
        '  n2["unknown"] -->|"2.0 rps, 0.0% ok, 100.0% denied, p99 1.00ms"| n3["reviews"]',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with the window', () => {
    assert.deepEqual(JSON.parse(renderGraph(EDGES, 'json', '1m')), { window: '1m', edges: EDGES });
  });
});

describe('meshlet graph against a real Prometheus', () => {
  it('rejects bad arguments with exit code 2 and an unreachable Prometheus with 1', async () => {
    const noUrl = await cli(['--format', 'json']);
    assert.equal(noUrl.code, 2);
    assert.equal(
      noUrl.stderr,
      "meshlet graph: --prometheus URL is required\nRun 'meshlet graph --help' for usage.\n",
    );
    const svg = await cli(['--prometheus', 'http://127.0.0.1:9', '--format', 'svg']);
    assert.equal(svg.code, 2);
    assert.match(
      svg.stderr,
      /^meshlet graph: --format must be one of table, dot, mermaid, json, not 'svg'\n/,
    );
    assert.equal((await cli(['--prometheus', 'http://127.0.0.1:9', '--window', 'five'])).code, 2);
    assert.equal((await cli(['--prometheus', 'localhost:9090'])).code, 2);
    assert.equal((await cli(['--prometheus'])).code, 2);
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const down = await cli(['--prometheus', `http://127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    // The URL it tried and why, not fetch()'s bare `fetch failed`.
    assert.equal(
      down.stderr,
      `meshlet graph: cannot query Prometheus at http://127.0.0.1:${port}/api/v1/query: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    const prefixed = await cli(['--prometheus', `http://127.0.0.1:${port}/prom`]);
    assert.match(prefixed.stderr, new RegExp(`at http://127\\.0\\.0\\.1:${port}/prom/api/v1/query: `));
  });

  it('builds exactly the edges the sidecars reported', { timeout: 90_000 }, async (t) => {
    const missing = prometheusMissing();
    if (missing !== null) {
      t.skip(missing);
      return;
    }
    const base = {
      source_version: 'v1',
      destination_workload_namespace: 'shop',
      source_workload_namespace: 'shop',
      request_protocol: 'http',
    } as const;
    const toBackend = (reporter: 'source' | 'destination', version: string): StaticRequestLabels => ({
      ...base,
      reporter,
      source_workload: 'frontend',
      source_principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
      destination_workload: `backend-${version}`,
      destination_service: 'backend.shop.svc.cluster.local',
      destination_service_name: 'backend',
      destination_version: version,
      connection_security_policy: reporter === 'source' ? 'unknown' : 'mutual_tls',
    });
    // frontend -> ratings: every call refused by ratings' allow rules. The
    // caller sees a plain 403; the callee records the RBAC flag.
    const toRatings = (reporter: 'source' | 'destination'): StaticRequestLabels => ({
      ...toBackend(reporter, 'v1'),
      destination_workload: 'ratings-v1',
      destination_service: 'ratings.shop.svc.cluster.local',
      destination_service_name: 'ratings',
    });
    const fromIngress: StaticRequestLabels = {
      ...base,
      reporter: 'destination',
      source_workload: 'unknown',
      source_principal: 'unknown',
      source_version: 'unknown',
      source_workload_namespace: 'unknown',
      destination_workload: 'frontend',
      destination_service: 'frontend.shop.svc.cluster.local',
      destination_service_name: 'frontend',
      destination_version: 'v1',
      connection_security_policy: 'none',
    };
    const sidecars: { metrics: MeshletMetrics; server: Server; target: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const metrics = createMetrics({ istioCompat: false });
      const server = createServer(async (req, res) => {
        const r = await metrics.render(req.headers.accept);
        res.writeHead(200, { 'content-type': r.contentType }).end(r.body);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      sidecars.push({ metrics, server, target: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
    const [frontend, backend] = sidecars as [(typeof sidecars)[0], (typeof sidecars)[0]];
    const tick = () => {
      frontend.metrics.recorder(fromIngress).record('GET', 200, '-', 0.004, 0, 10, undefined);
      frontend.metrics.recorder(toRatings('source')).record('GET', 403, '-', 0.002, 0, 10, undefined);
      backend.metrics.recorder(toRatings('destination')).record('GET', 403, 'RBAC', 0.001, 0, 10, undefined);
      // frontend -> backend: three good answers and one 500 each tick, all 20 ms.
      for (const [version, code] of [
        ['v1', 200],
        ['v1', 200],
        ['v2', 200],
        ['v2', 500],
      ] as const) {
        frontend.metrics
          .recorder(toBackend('source', version))
          .record('GET', code, '-', 0.02, 0, 10, undefined);
        backend.metrics
          .recorder(toBackend('destination', version))
          .record('GET', code, '-', 0.019, 0, 10, undefined);
      }
    };
    tick();
    const feeder = setInterval(tick, 200);
    const prom = await startPrometheus({ targets: sidecars.map((s) => s.target) }).catch((err) => {
      clearInterval(feeder);
      throw err;
    });
    try {
      await prom.waitForScrapes(3);
      const edges = await buildGraph(prom.url, '1m');
      assert.deepEqual(
        edges.map((e) => [e.source, e.destination, e.reporter, e.mtls]),
        [
          ['frontend', 'backend', 'source', 'mutual_tls'],
          ['frontend', 'ratings', 'source', 'mutual_tls'],
          ['unknown', 'frontend', 'destination', 'none'],
        ],
      );
      const [fb, fr, inf] = edges as [GraphEdge, GraphEdge, GraphEdge];
      // A fully denied edge is no success, though the caller saw only 4xx.
      assert.equal(fr.successRate, 0);
      assert.equal(fr.deniedRate, 1);
      assert.equal(fb.deniedRate, 0);
      assert.ok(fb.rps > 0 && inf.rps > 0);
      // One 500 in four calls; all queries share one evaluation time, so the ratio holds.
      assert.ok(Math.abs(fb.successRate! - 0.75) < 1e-6, String(fb.successRate));
      assert.equal(inf.successRate, 1);
      // All calls take 20 ms, inside the (0.01, 0.025] bucket: 0.01 + 0.99 * 0.015.
      assert.ok(Math.abs(fb.p99Seconds! - 0.02485) < 1e-9, String(fb.p99Seconds));
      // Four calls to backend per ingress call, counted in the same scrapes.
      assert.ok(Math.abs(fb.rps / inf.rps - 4) < 1e-6, `${fb.rps} / ${inf.rps}`);

      const json = await cli(['--prometheus', prom.url, '--format', 'json', '--window', '1m']);
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { window: string; edges: GraphEdge[] };
      assert.equal(parsed.window, '1m');
      assert.deepEqual(
        parsed.edges.map((e) => `${e.source}->${e.destination}`),
        ['frontend->backend', 'frontend->ratings', 'unknown->frontend'],
      );
      const table = await cli(['--prometheus', prom.url]);
      assert.equal(table.code, 0, table.stderr);
      // 24.85 ms sits on the rounding edge: Prometheus's float arithmetic gives 24.8499... or 24.8500...
      assert.match(table.stdout, /^frontend\s+backend\s+\S+\s+75\.0%\s+0\.0%\s+24\.[89]ms\s+mutual_tls$/m);
      assert.match(table.stdout, /^frontend\s+ratings\s+\S+\s+0\.0%\s+100\.0%\s+\S+\s+mutual_tls$/m);
      assert.match(table.stdout, /^unknown\s+frontend\s+\S+\s+100\.0%\s+0\.0%\s+\S+\s+none$/m);
    } finally {
      clearInterval(feeder);
      await prom.stop();
      for (const s of sidecars) s.server.close();
    }
  });
});
