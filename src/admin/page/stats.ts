// /stats.json: the live page's numbers, read from this sidecar's own request
// counters and duration histograms at the moment someone asks (nothing is
// kept or computed between requests). The counters are cumulative; the page
// turns two snapshots into a rate, a success rate and a p99 (page/script.ts).
import type { ServerResponse } from 'node:http';
import type { AdminView } from '../server.ts';

/** One direction, service and version: cumulative counts since start. */
export interface VersionStats {
  /** outbound: calls this pod makes; inbound: calls to this pod. */
  readonly direction: 'outbound' | 'inbound';
  readonly service: string;
  readonly version: string;
  requests: number;
  /** 5xx answers (and requests recorded without a status): the page's success rate is 1 - failures/requests. */
  failures: number;
  /** Duration histogram: [upper bound in seconds (Infinity as "+Inf"), cumulative count]. */
  readonly buckets: Array<[number | '+Inf', number]>;
}

export interface StatsDocument {
  /** Server time in ms since the epoch, for rates between two snapshots. */
  readonly at: number;
  /** The config in force and the time of the last rejected edit: the page re-reads /config when either changes. */
  readonly hash: string;
  readonly lastRejectedAt: string | null;
  readonly versions: VersionStats[];
}

export function serveStats(res: ServerResponse, view: AdminView): void {
  view.metrics.render(undefined).then(
    ({ body }) => {
      const doc: StatsDocument = {
        at: Date.now(),
        hash: view.config.current.hash,
        lastRejectedAt: view.config.lastError?.at.toISOString() ?? null,
        versions: statsOf(body),
      };
      const text = JSON.stringify(doc);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    },
    (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${err.message}\n`);
    },
  );
}

const REQUESTS = 'meshlet_requests_total{';
const BUCKETS = 'meshlet_request_duration_seconds_bucket{';
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Per-version totals from Prometheus text: request counts by status, and the duration buckets. */
export function statsOf(exposition: string): VersionStats[] {
  const byKey = new Map<string, VersionStats>();
  const bucketsByKey = new Map<string, Map<string, number>>();
  for (const line of exposition.split('\n')) {
    const isRequests = line.startsWith(REQUESTS);
    if (!isRequests && !line.startsWith(BUCKETS)) continue;
    const close = line.lastIndexOf('}');
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (close < 0 || !Number.isFinite(value)) continue;
    const labels = labelsOf(line.slice(line.indexOf('{') + 1, close));
    const direction = labels.get('reporter') === 'destination' ? 'inbound' : 'outbound';
    const service = labels.get('destination_service_name') ?? 'unknown';
    const version = labels.get('destination_version') ?? 'unknown';
    const key = `${direction}\n${service}\n${version}`;
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { direction, service, version, requests: 0, failures: 0, buckets: [] };
      byKey.set(key, entry);
      bucketsByKey.set(key, new Map());
    }
    if (isRequests) {
      entry.requests += value;
      const code = Number(labels.get('response_code') ?? '0');
      if (!(code > 0 && code < 500)) entry.failures += value;
    } else {
      const le = labels.get('le') ?? '+Inf';
      const buckets = bucketsByKey.get(key)!;
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    }
  }
  for (const [key, entry] of byKey) {
    const buckets = [...bucketsByKey.get(key)!].map(([le, n]): [number | '+Inf', number] => [
      le === '+Inf' ? '+Inf' : Number(le),
      n,
    ]);
    buckets.sort((a, b) => (a[0] === '+Inf' ? 1 : b[0] === '+Inf' ? -1 : a[0] - b[0]));
    entry.buckets.push(...buckets);
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.direction.localeCompare(b.direction) ||
      a.service.localeCompare(b.service) ||
      a.version.localeCompare(b.version),
  );
}

function labelsOf(block: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const m of block.matchAll(LABEL))
    labels.set(
      m[1]!,
      m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
    );
  return labels;
}
