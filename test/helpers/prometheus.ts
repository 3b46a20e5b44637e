// A real Prometheus server for tests (Debian package `prometheus`), scraping
// the given targets every second from a throwaway directory. Tests call
// `prometheusMissing()` first and skip with that reason when it is not null.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mesh.ts';

const BINARY = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** Why Prometheus cannot run here, or null when it can. */
export function prometheusMissing(): string | null {
  return existsSync(BINARY) ? null : `${BINARY} not found (apt-get install prometheus)`;
}

export interface PromSample {
  metric: Record<string, string>;
  /** Instant vector value, or the last value of a range. */
  value: number;
}

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:39111 */
  readonly url: string;
  /** Instant query; scalars and strings come back as one sample with no labels. */
  query(promql: string): Promise<PromSample[]>;
  /** Label values of a series selector (what Grafana's label_values() asks). */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Exemplars of a selector over the last `seconds`. */
  exemplars(promql: string, seconds: number): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Waits until every target has been scraped successfully at least `scrapes` times. */
  waitForScrapes(scrapes: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiReply<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiReply<T>;
  if (body.status !== 'success') throw new Error(`Prometheus ${url}: ${body.error ?? res.status}`);
  return body.data;
}

/**
 * Starts Prometheus scraping `targets` (host:port, path /metrics) every 1 s,
 * with exemplar storage on. Resolves once it answers queries.
 */
export async function startPrometheus(opts: {
  targets: string[];
  metricsPath?: string;
}): Promise<PrometheusServer> {
  const missing = prometheusMissing();
  if (missing !== null) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'meshlet-prom-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: meshlet',
    `    metrics_path: ${opts.metricsPath ?? '/metrics'}`,
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit').catch(() => {});
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`prometheus exited: ${stderr}`);
      if (i > 200) throw new Error(`prometheus not ready after 20 s: ${stderr}`);
      const ok = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const server: PrometheusServer = {
    url,
    async query(promql) {
      const data = await api<{ resultType: string; result: unknown }>(
        `${url}/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      if (data.resultType === 'scalar' || data.resultType === 'string') {
        const [, v] = data.result as [number, string];
        return [{ metric: {}, value: Number(v) }];
      }
      if (data.resultType === 'matrix') {
        return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
          metric: s.metric,
          value: Number(s.values.at(-1)?.[1]),
        }));
      }
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
        metric: s.metric,
        value: Number(s.value[1]),
      }));
    },
    async labelValues(label, match) {
      return api<string[]>(
        `${url}/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`,
      );
    },
    async exemplars(promql, seconds) {
      const end = Date.now() / 1000;
      const data = await api<{ exemplars: { labels: Record<string, string>; value: string }[] }[]>(
        `${url}/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${end - seconds}&end=${end}`,
      );
      return data.flatMap((s) => s.exemplars.map((e) => ({ labels: e.labels, value: Number(e.value) })));
    },
    async waitForScrapes(scrapes, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // sum_over_time(up) is the number of successful scrapes in the window.
        const up = await server.query('sum_over_time(up[1m])');
        const need = opts.targets.length;
        const done = up.filter((s) => s.value >= scrapes).length;
        if (done >= need) return;
        if (Date.now() > deadline) {
          const targets = await api<{
            activeTargets: { scrapeUrl: string; health: string; lastError: string }[];
          }>(`${url}/api/v1/targets`);
          throw new Error(`targets not scraped ${scrapes} times: ${JSON.stringify(targets.activeTargets)}`);
        }
        await sleep(250);
      }
    },
    stop,
  };
  return server;
}
