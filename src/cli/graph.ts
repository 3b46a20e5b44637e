// `meshlet graph`: the service dependency graph, built from the sidecars'
// `meshlet_requests_total` / duration series in Prometheus, the way Kiali
// builds its graph from Istio's: one edge per caller workload → callee service.
import { failure, runCommand, UsageError } from './args.ts';

export type GraphFormat = 'table' | 'dot' | 'mermaid' | 'json';

export interface GraphEdge {
  /** `source_workload`; `unknown` for callers without a sidecar. */
  readonly source: string;
  /** `destination_service_name`. */
  readonly destination: string;
  /** Which side's series the edge comes from: callers' sidecars when they have one. */
  readonly reporter: 'source' | 'destination';
  readonly rps: number;
  /** Share of responses that are neither 5xx, nor missing, nor refused by allow rules; null without traffic. */
  readonly successRate: number | null;
  /** Share refused by the callee's allow rules (403 `RBAC`, counted where it is decided); null when the callee reports nothing. */
  readonly deniedRate: number | null;
  /** 99th percentile duration in seconds; null without traffic. */
  readonly p99Seconds: number | null;
  /** From the callee side's connection_security_policy; `mixed` when both were seen. */
  readonly mtls: 'mutual_tls' | 'none' | 'mixed' | 'unknown';
}

export const USAGE = `usage: meshlet graph --prometheus URL [--format table|dot|mermaid|json] [--window 5m]

Prints the service graph (source workload -> destination service) with request
rate, success rate, share denied by allow rules, p99 duration and mTLS, from
meshlet metrics in Prometheus (docs/observability.md).

  --prometheus URL     Prometheus base URL (required)
  --format FORMAT      table (default), dot, mermaid or json
  --window DURATION    PromQL range to average over (default 5m)
  -h, --help           this text

examples:
  meshlet graph --prometheus http://localhost:9090
  meshlet graph --prometheus http://prometheus.monitoring:9090 --format dot --window 1h | dot -Tsvg > mesh.svg
`;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The query endpoint under the base URL, keeping a path prefix (Prometheus behind `--web.route-prefix`). */
function queryUrl(prometheus: string): URL {
  return new URL('api/v1/query', prometheus.endsWith('/') ? prometheus : `${prometheus}/`);
}

async function query(prometheus: string, promql: string, time: number): Promise<Sample[]> {
  const url = queryUrl(prometheus);
  url.searchParams.set('query', promql);
  url.searchParams.set('time', String(time));
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    text = await res.text();
  } catch (err) {
    // fetch() says only `fetch failed`; the reason (ECONNREFUSED, ENOTFOUND, ...) is in `cause`.
    throw new Error(`cannot query Prometheus at ${queryUrl(prometheus).href}: ${causeOf(err)}`);
  }
  let body: { status?: string; error?: string; data?: { resultType: string; result: Sample[] } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url.origin} answered ${res.status}, not the Prometheus API: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success' || body.data?.resultType !== 'vector') {
    throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? text.slice(0, 200)}`);
  }
  return body.data.result;
}

function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer within 15 s';
  const cause = e.cause;
  if (cause?.code !== undefined && cause.message !== undefined && !cause.message.includes(cause.code)) {
    return `${cause.code} (${cause.message})`;
  }
  return cause?.message ?? cause?.code ?? e.message ?? String(err);
}

const edgeKey = (m: Record<string, string>) =>
  `${m.source_workload ?? 'unknown'}\u0000${m.destination_service_name ?? 'unknown'}`;

function byEdge(samples: Sample[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) out.set(edgeKey(s.metric), Number(s.value[1]));
  return out;
}

const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** Queries Prometheus for every edge seen in `window` (a PromQL duration). */
export async function buildGraph(prometheus: string, window: string): Promise<GraphEdge[]> {
  const by = 'source_workload, destination_service_name';
  // One evaluation time for every query, so ratios between them are consistent.
  const time = Date.now() / 1000;
  const perReporter = async (reporter: 'source' | 'destination') => {
    const sel = `reporter="${reporter}"`;
    const [rps, ok, denied, p99] = await Promise.all([
      query(prometheus, `sum by (${by}) (rate(meshlet_requests_total{${sel}}[${window}]))`, time),
      query(
        prometheus,
        `sum by (${by}) (rate(meshlet_requests_total{${sel},response_code!~"5..|0",response_flags!="RBAC"}[${window}]))`,
        time,
      ),
      query(
        prometheus,
        `sum by (${by}) (rate(meshlet_requests_total{${sel},response_flags="RBAC"}[${window}]))`,
        time,
      ),
      query(
        prometheus,
        `histogram_quantile(0.99, sum by (le, ${by}) (rate(meshlet_request_duration_seconds_bucket{${sel}}[${window}])))`,
        time,
      ),
    ]);
    return { rps, ok: byEdge(ok), denied: byEdge(denied), p99: byEdge(p99) };
  };
  const [src, dst, security] = await Promise.all([
    perReporter('source'),
    perReporter('destination'),
    query(
      prometheus,
      `sum by (${by}, connection_security_policy) (rate(meshlet_requests_total{reporter="destination"}[${window}])) > 0`,
      time,
    ),
  ]);

  const policies = new Map<string, Set<string>>();
  for (const s of security) {
    const key = edgeKey(s.metric);
    let set = policies.get(key);
    if (set === undefined) policies.set(key, (set = new Set()));
    set.add(s.metric.connection_security_policy ?? 'unknown');
  }
  const mtlsOf = (key: string): GraphEdge['mtls'] => {
    const set = policies.get(key);
    if (set === undefined || set.size === 0) return 'unknown';
    const mutual = set.has('mutual_tls');
    const plain = set.has('none');
    if (mutual && plain) return 'mixed';
    return mutual ? 'mutual_tls' : plain ? 'none' : 'unknown';
  };

  // Allow rules are decided by the callee: its share of denials applies to
  // the edge whichever side's counts are shown.
  const deniedShare = new Map<string, number>();
  for (const s of dst.rps) {
    const total = Number(s.value[1]);
    const key = edgeKey(s.metric);
    if (total > 0) deniedShare.set(key, Math.min(1, (dst.denied.get(key) ?? 0) / total));
  }

  // The caller's view when it has a sidecar (it sees connect failures and
  // timeouts too); the callee's view for callers outside the mesh. Either
  // side counts a denial as an answered 403, so the success share loses the
  // callee's denied share.
  const edges = new Map<string, GraphEdge>();
  for (const [reporter, side] of [
    ['source', src],
    ['destination', dst],
  ] as const) {
    for (const s of side.rps) {
      const key = edgeKey(s.metric);
      if (edges.has(key)) continue;
      const rps = Number(s.value[1]);
      const ok = side.ok.get(key) ?? 0;
      const denied = deniedShare.get(key) ?? null;
      const okShare = rps > 0 ? ok / rps : null;
      edges.set(key, {
        source: s.metric.source_workload ?? 'unknown',
        destination: s.metric.destination_service_name ?? 'unknown',
        reporter,
        rps,
        // A denial is not a success on either side (the callee counts its 403 as answered).
        successRate: okShare === null ? null : Math.max(0, okShare - (denied ?? 0)),
        deniedRate: rps > 0 ? denied : null,
        p99Seconds: finite(side.p99.get(key)),
        mtls: mtlsOf(key),
      });
    }
  }
  return [...edges.values()].sort((a, b) =>
    a.source === b.source ? a.destination.localeCompare(b.destination) : a.source.localeCompare(b.source),
  );
}

const fmtRps = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
const fmtPct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const fmtMs = (v: number | null) => (v === null ? '-' : `${(v * 1000).toFixed(v < 0.01 ? 2 : 1)}ms`);

function edgeLabel(e: GraphEdge): string {
  const denied = e.deniedRate !== null && e.deniedRate > 0 ? `, ${fmtPct(e.deniedRate)} denied` : '';
  return `${fmtRps(e.rps)} rps, ${fmtPct(e.successRate)} ok${denied}, p99 ${fmtMs(e.p99Seconds)}${e.mtls === 'mutual_tls' ? ', mTLS' : ''}`;
}

const dotId = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

export function renderGraph(edges: readonly GraphEdge[], format: GraphFormat, window: string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ window, edges }, null, 2)}\n`;
    case 'dot': {
      const lines = ['digraph meshlet {', '  rankdir=LR;', '  node [shape=box];'];
      for (const e of edges) {
        // Plaintext edges are dashed: they carry no verified identity.
        const style = e.mtls === 'mutual_tls' ? 'solid' : e.mtls === 'unknown' ? 'dotted' : 'dashed';
        lines.push(
          `  ${dotId(e.source)} -> ${dotId(e.destination)} [label=${dotId(edgeLabel(e))}, style=${style}];`,
        );
      }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    }
    case 'mermaid': {
      const ids = new Map<string, string>();
      const id = (name: string) => {
        let v = ids.get(name);
        if (v === undefined) ids.set(name, (v = `n${ids.size}`));
        return v;
      };
      const lines = ['graph LR'];
      for (const e of edges) {
        const arrow = e.mtls === 'mutual_tls' ? '==>' : '-->';
        lines.push(
          `  ${id(e.source)}["${e.source}"] ${arrow}|"${edgeLabel(e)}"| ${id(e.destination)}["${e.destination}"]`,
        );
      }
      return `${lines.join('\n')}\n`;
    }
    case 'table': {
      const header = ['SOURCE', 'DESTINATION', 'RPS', 'SUCCESS', 'DENIED', 'P99', 'MTLS'];
      const rows = edges.map((e) => [
        e.source,
        e.destination,
        fmtRps(e.rps),
        fmtPct(e.successRate),
        fmtPct(e.deniedRate),
        fmtMs(e.p99Seconds),
        e.mtls,
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd();
      return `${[line(header), ...rows.map(line)].join('\n')}\n`;
    }
  }
}

const FORMATS: readonly GraphFormat[] = ['table', 'dot', 'mermaid', 'json'];

export const OPTIONS = {
  prometheus: { type: 'string' },
  format: { type: 'string', default: 'table' },
  window: { type: 'string', default: '5m' },
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand('graph', argv, { options: OPTIONS, usage: USAGE }, async ({ values }) => {
    const format = values.format as GraphFormat;
    const window = values.window ?? '5m';
    const prometheus = values.prometheus;
    if (prometheus === undefined) throw new UsageError('--prometheus URL is required');
    if (!URL.canParse(prometheus) || !/^https?:$/.test(new URL(prometheus).protocol)) {
      throw new UsageError(`--prometheus must be an http(s) URL, not '${prometheus}'`);
    }
    if (!FORMATS.includes(format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not '${values.format}'`);
    }
    if (!/^\d+(ms|s|m|h|d|w|y)$/.test(window)) {
      throw new UsageError(`--window must be a PromQL duration like 5m, not '${window}'`);
    }
    try {
      const edges = await buildGraph(prometheus, window);
      process.stdout.write(renderGraph(edges, format, window));
      if (edges.length === 0) process.stderr.write(`meshlet graph: no requests in the last ${window}\n`);
      return 0;
    } catch (err) {
      return failure('graph', (err as Error).message);
    }
  });
}
