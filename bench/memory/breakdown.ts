// Idle memory, module group by module group: a fresh Node per step imports one
// more group than the step before, collects garbage and reports its RSS; then
// `meshlet run` itself, idle, with and without metrics and tracing. Prints a
// Markdown table (the "Footprint" section of BENCHMARKS.md comes from it).
//
//   node bench/memory/breakdown.ts [--reps N] [--flags '--max-semi-space-size=4 ...'] [--only REGEX]
//
// Runs the build in dist/ (`npm run build` first). Every child is killed when it is done.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bigMesh } from '../../test/helpers/big-mesh.ts';
import { freePort, installCleanup, sleep, Tracked, waitForHttp200 } from '../lib/procs.ts';
import { REPO, SHIPPED_NODE_FLAGS } from '../lib/targets.ts';
import { oneServiceMesh } from './config-cost.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    flags: { type: 'string' },
    only: { type: 'string' },
  },
});
const reps = Number(args.reps);
const nodeFlags = args.flags === undefined ? SHIPPED_NODE_FLAGS : args.flags.split(/\s+/).filter(Boolean);
const only = args.only === undefined ? null : new RegExp(args.only);
const MiB = 2 ** 20;
const dist = (path: string) => pathToFileURL(join(REPO, 'dist', path)).href;
const dep = (path: string) => pathToFileURL(join(REPO, 'node_modules', path)).href;

/** Cumulative steps: each imports its own specifiers after every earlier step's. */
const STEPS: Array<{ name: string; imports: string[] }> = [
  { name: 'empty Node 24 process', imports: [] },
  { name: 'node:http', imports: ['node:http'] },
  { name: 'node:tls, node:https, node:crypto', imports: ['node:tls', 'node:https', 'node:crypto'] },
  { name: 'node:http2', imports: ['node:http2'] },
  {
    name: 'other built-ins meshlet imports (cluster, child_process, worker_threads, dns, zlib, v8, perf_hooks)',
    imports: [
      'node:cluster',
      'node:child_process',
      'node:worker_threads',
      'node:dns/promises',
      'node:zlib',
      'node:v8',
      'node:perf_hooks',
    ],
  },
  { name: 'undici Pool (h1 + h2 clients)', imports: [dep('undici/lib/dispatcher/pool.js')] },
  { name: 'prom-client', imports: ['prom-client'] },
  { name: 'pino', imports: ['pino'] },
  { name: 'yaml', imports: ['yaml'] },
  { name: 'precompiled schema validator', imports: [dist('config/mesh-schema.validate.js')] },
  { name: 're2js', imports: ['re2js'] },
  { name: 'http-proxy', imports: ['http-proxy'] },
  { name: '@peculiar/asn1-x509 (SPIFFE id from a peer certificate)', imports: ['@peculiar/asn1-x509'] },
  { name: '@opentelemetry/api', imports: ['@opentelemetry/api'] },
  { name: "meshlet's own modules (`run` and all it imports)", imports: [dist('cli/run.js')] },
  {
    name: 'tracing: OpenTelemetry SDK, OTLP exporter, propagators',
    imports: [dist('telemetry/tracing.js')],
  },
];

interface Figures {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** From /proc/self/smaps_rollup: anonymous (heap, malloc) and file-backed (code) resident memory. */
  anon: number;
  file: number;
}

const PROBE = `
const specs = JSON.parse(process.env.BREAKDOWN_IMPORTS);
for (const s of specs) await import(s);
for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
const m = process.memoryUsage();
const roll = (await import('node:fs')).readFileSync('/proc/self/smaps_rollup', 'utf8');
const kb = (k) => Number(new RegExp('^' + k + ':\\\\s+(\\\\d+) kB', 'm').exec(roll)?.[1] ?? NaN) * 1024;
process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
  anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') }));
`;

function probe(imports: string[]): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', '--input-type=module', '-e', PROBE], {
      cwd: REPO,
      env: { ...process.env, BREAKDOWN_IMPORTS: JSON.stringify(imports) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Figures);
      else reject(new Error(`probe exited ${code}: ${err.slice(-400)}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
function medianFigures(runs: Figures[]): Figures {
  const pick = (k: keyof Figures) => median(runs.map((r) => r[k]));
  return {
    rss: pick('rss'),
    heapUsed: pick('heapUsed'),
    heapTotal: pick('heapTotal'),
    external: pick('external'),
    anon: pick('anon'),
    file: pick('file'),
  };
}

const mib = (b: number) => (b / MiB).toFixed(1);

/** `meshlet run`, idle for 5 s after /ready (past its first idle period); RSS and smaps from /proc, heap from process metrics. */
async function idleSidecar(configText: string, env: Record<string, string>): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'meshlet-footprint-'));
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, configText);
  const admin = await freePort();
  const proc = new Tracked(
    'meshlet',
    process.execPath,
    [...nodeFlags, join(REPO, 'dist', 'main.js'), 'run', '-c', config],
    {
      cwd: REPO,
      env: {
        ...process.env,
        MESHLET_SERVICE: 'bench-client',
        MESHLET_NAMESPACE: 'default',
        MESHLET_OUTBOUND_PORT: String(await freePort()),
        MESHLET_INBOUND_PORT: String(await freePort()),
        MESHLET_ADMIN_PORT: String(admin),
        MESHLET_BIND: '127.0.0.1',
        MESHLET_LOG_LEVEL: 'warn',
        ...env,
      },
    },
  );
  try {
    await waitForHttp200(`http://127.0.0.1:${admin}/ready`, 20_000, proc);
    await sleep(5000);
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const roll = readFileSync(`/proc/${proc.pid}/smaps_rollup`, 'utf8');
    const kb = (text: string, k: string) =>
      Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]) * 1024;
    const rss = kb(status, 'VmRSS');
    const anon = kb(roll, 'Anonymous');
    const metrics = await fetch(`http://127.0.0.1:${admin}/metrics`).then((r) => r.text());
    const heap = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    return {
      rss,
      heapUsed: heap('nodejs_heap_size_used_bytes'),
      heapTotal: heap('nodejs_heap_size_total_bytes'),
      external: Number.NaN,
      anon,
      file: rss - anon,
    };
  } finally {
    await proc.stop(2000);
    rmSync(dir, { recursive: true, force: true });
  }
}

installCleanup();
const rows: string[] = [
  '| step (cumulative) | RSS after GC | added | heap used | anon / file-backed |',
  '| --- | ---: | ---: | ---: | ---: |',
];
let imports: string[] = [];
let previous: number | null = null;
for (const step of STEPS) {
  imports = [...imports, ...step.imports];
  if (only !== null && !only.test(step.name)) continue;
  const runs: Figures[] = [];
  for (let i = 0; i < reps; i++) runs.push(await probe(imports));
  const f = medianFigures(runs);
  const added = previous === null ? '–' : `+${mib(f.rss - previous)}`;
  rows.push(
    `| ${previous === null ? '' : '+ '}${step.name} | ${mib(f.rss)} | ${added} | ${mib(f.heapUsed)} | ${mib(f.anon)} / ${mib(f.file)} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
  previous = f.rss;
}

const sidecars: Array<{ name: string; config: string; env: Record<string, string> }> = [
  {
    name: '`meshlet run`, metrics off, no tracing',
    config: oneServiceMesh(false),
    env: { MESHLET_METRICS: 'off' },
  },
  { name: '`meshlet run`, metrics on, no tracing', config: oneServiceMesh(false), env: {} },
  { name: '`meshlet run`, metrics on, tracing configured (1 %)', config: oneServiceMesh(true), env: {} },
  {
    name: '`meshlet run`, metrics on, 2,000 services (test/helpers/big-mesh.ts)',
    config: bigMesh(2000),
    env: {},
  },
];
rows.push(
  '',
  '| idle sidecar (5 s after ready, no GC forced) | RSS | anon / file-backed | heap used / committed |',
  '| --- | ---: | ---: | ---: |',
);
for (const s of sidecars) {
  if (only !== null && !only.test(s.name)) continue;
  const runs: Figures[] = [];
  for (let i = 0; i < reps; i++) runs.push(await idleSidecar(s.config, s.env));
  const f = medianFigures(runs);
  const spread = `${mib(Math.min(...runs.map((r) => r.rss)))}–${mib(Math.max(...runs.map((r) => r.rss)))}`;
  rows.push(
    `| ${s.name} | ${mib(f.rss)} (${spread}) | ${mib(f.anon)} / ${mib(f.file)} | ${mib(f.heapUsed)} / ${mib(f.heapTotal)} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
process.stdout.write(
  `node flags: ${nodeFlags.join(' ') || '(none)'}, median of ${reps}\n\n${rows.join('\n')}\n`,
);
