// HTTP/2 and gRPC cells, each measured in the same run against direct:
//   h2load (nghttp2-client) through one sidecar vs direct to an h2c upstream;
//   gRPC unary from a grpc-js client (closed loop) through one sidecar vs direct;
//   gRPC unary at a fixed rate: direct, one sidecar, and the two-sidecar mTLS path.
// Figures: throughput ratio, p50/p99 (and what the proxy adds), CPU of the
// sidecars per 1,000 requests. Load generators run in their own processes.
//
//   npm run bench:h2 [-- --quick] [--seconds S] [--rate R] [--only REGEX]
// `npm run bench` runs the same cells after its own (ids h2load/..., grpc-...).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, freePort, installCleanup, processTree, Tracked, waitForHttp200 } from './lib/procs.ts';
import { REPO, startNodeServer } from './lib/targets.ts';
import { findTools } from './lib/tools.ts';

export interface H2Options {
  /** Seconds per cell. */
  readonly seconds: number;
  /** Requests per second of the fixed-rate cells. */
  readonly rate: number;
  readonly only: RegExp | null;
  /** h2load's path, or null: its cells are then skipped (the report's notes say why). */
  readonly h2load: string | null;
}

const MAIN = join(REPO, 'dist', 'main.js');
const log = (line: string) => process.stderr.write(`bench-h2: ${line}\n`);

interface Measured {
  requests: number;
  seconds: number;
  rps: number;
  /** µs */
  p50: number;
  p99: number;
  errors: number;
  /** CPU seconds of the sidecar processes per 1,000 requests, in ms; null for direct. */
  cpuMsPer1k: number | null;
}

/** A load's figures, and how many requests the proxy served while its CPU was counted (warm-up included). */
type LoadFigures = Omit<Measured, 'cpuMsPer1k'> & { served?: number };

export interface Cell {
  id: string;
  label: string;
  result: Measured;
  /** Against the direct cell of the same load. */
  vsDirect?: { ratio: number; addedP50Us: number; addedP99Us: number };
}

interface Sidecar {
  proc: Tracked;
  outbound: number;
  inbound: number;
}

async function startSidecar(
  name: string,
  config: string,
  env: Record<string, string>,
  inbound?: number,
): Promise<Sidecar> {
  const ports = {
    outbound: await freePort(),
    inbound: inbound ?? (await freePort()),
    admin: await freePort(),
  };
  const proc = new Tracked(name, process.execPath, [MAIN, 'run', '--config', config], {
    cwd: REPO,
    env: {
      ...process.env,
      MESHLET_NAMESPACE: 'default',
      MESHLET_VERSION: 'v1',
      MESHLET_OUTBOUND_PORT: String(ports.outbound),
      MESHLET_INBOUND_PORT: String(ports.inbound),
      MESHLET_ADMIN_PORT: String(ports.admin),
      MESHLET_BIND: '127.0.0.1',
      MESHLET_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  await waitForHttp200(`http://127.0.0.1:${ports.admin}/ready`, 15_000, proc);
  return { proc, ...ports };
}

/** Runs `load` while measuring the CPU the sidecars spend. */
async function measure(pids: () => number[], load: () => Promise<LoadFigures>): Promise<Measured> {
  const tree = pids().flatMap((p) => processTree(p));
  const before = tree.length > 0 ? cpuSeconds(tree) : 0;
  const { served, ...r } = await load();
  const cpu = tree.length > 0 ? cpuSeconds(tree) - before : null;
  return { ...r, cpuMsPer1k: cpu === null ? null : (cpu * 1000 * 1000) / Math.max(1, served ?? r.requests) };
}

// No h2load warm-up: its requests then are the ones the sidecar's CPU time was spent on.
function h2load(bin: string, port: number, authority: string, dir: string, seconds: number): LoadFigures {
  const file = join(dir, `h2load-${port}-${Date.now()}.log`);
  const out = execFileSync(
    bin,
    [
      '-D',
      String(seconds),
      '-c',
      '4',
      '-m',
      '32',
      '-H',
      `:authority: ${authority}`,
      `--log-file=${file}`,
      `http://127.0.0.1:${port}/`,
    ],
    { encoding: 'utf8', timeout: (seconds + 30) * 1000 },
  );
  const done =
    /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (done === null) throw new Error(`h2load output not understood:\n${out}`);
  // Each log line: start time (µs since epoch), status, duration (µs).
  const durations = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split('\t')[2]))
    .sort((a, b) => a - b);
  const q = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0;
  const succeeded = Number(done[3]);
  return {
    requests: succeeded,
    seconds,
    rps: succeeded / seconds,
    p50: q(0.5),
    p99: q(0.99),
    errors: Number(done[4]) + Number(done[5]),
  };
}

async function grpcLoad(
  target: string,
  authority: string | null,
  mode: { concurrency: number } | { rate: number },
  seconds: number,
): Promise<LoadFigures> {
  const a = ['--target', target, '--seconds', String(seconds), '--warmup', '1'];
  if (authority !== null) a.push('--authority', authority);
  if ('rate' in mode) a.push('--rate', String(mode.rate));
  else a.push('--concurrency', String(mode.concurrency));
  const proc = new Tracked(
    'grpc-unary',
    process.execPath,
    [join(REPO, 'bench', 'loadgen', 'grpc-unary.ts'), ...a],
    {
      cwd: REPO,
    },
  );
  const m = await proc.waitFor(/\{"requests".*\}/, (seconds + 30) * 1000);
  await proc.exited;
  const r = JSON.parse(m[0]) as Measured & { firstError: string | null; answered: number };
  if (r.firstError !== null) log(`${r.errors} errors, the first: ${r.firstError}`);
  return {
    requests: r.requests,
    seconds: r.seconds,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    served: r.answered,
  };
}

function compare(cell: Cell, direct: Cell): Cell {
  return {
    ...cell,
    vsDirect: {
      ratio: cell.result.rps / direct.result.rps,
      addedP50Us: cell.result.p50 - direct.result.p50,
      addedP99Us: cell.result.p99 - direct.result.p99,
    },
  };
}

/** The cell ids `only` can select. */
export function h2CellIds(rate: number): string[] {
  return [
    'h2load/direct',
    'h2load/one-hop',
    'grpc-c32/direct',
    'grpc-c32/one-hop',
    ...['direct', 'one-hop', 'mesh-mtls'].map((t) => `grpc-r${rate}/${t}`),
  ];
}

/** Runs the HTTP/2 and gRPC cells (dist/ must be built). */
export async function measureH2Cells(opts: H2Options): Promise<Cell[]> {
  const { seconds, rate, only } = opts;
  const tmp = mkdtempSync(join(tmpdir(), 'meshlet-bench-h2-'));
  const h2up = await startNodeServer('h2-upstream.ts');
  const echo = await startNodeServer('grpc-echo.ts');
  const cells: Cell[] = [];
  const want = (prefix: string) =>
    only === null || h2CellIds(rate).some((id) => id.startsWith(prefix) && only.test(id));
  try {
    const oneHopConfig = join(tmp, 'one-hop.yaml');
    writeFileSync(
      oneHopConfig,
      `mtls: disable
services:
  h2up:
    protocol: http2
    versions: { v1: { host: 127.0.0.1, port: ${h2up.port} } }
  echo:
    protocol: grpc
    versions: { v1: { host: 127.0.0.1, port: ${echo.port} } }
`,
    );
    const oneHop = await startSidecar('meshlet-one-hop', oneHopConfig, {
      MESHLET_SERVICE: 'bench-client',
      MESHLET_APP_PORT: String(await freePort()),
    });
    const pidsOf =
      (...s: Sidecar[]) =>
      () =>
        s.map((x) => x.proc.pid);

    const h2loadBin = opts.h2load;
    if (want('h2load') && h2loadBin === null) log('h2load direct / one hop: skipped, h2load missing');
    if (want('h2load') && h2loadBin !== null) {
      log('h2load direct / one hop');
      const d: Cell = {
        id: 'h2load/direct',
        label: 'h2load, direct',
        result: await measure(
          () => [],
          async () => h2load(h2loadBin, h2up.port, 'h2up', tmp, seconds),
        ),
      };
      const s: Cell = {
        id: 'h2load/one-hop',
        label: 'h2load, one sidecar (h2c in, HTTP/2 out)',
        result: await measure(pidsOf(oneHop), async () =>
          h2load(h2loadBin, oneHop.outbound, 'h2up', tmp, seconds),
        ),
      };
      cells.push(d, compare(s, d));
    }
    if (want('grpc-c32')) {
      log('gRPC unary c32 direct / one hop');
      const d: Cell = {
        id: 'grpc-c32/direct',
        label: 'gRPC unary, 32 in flight, direct',
        result: await measure(
          () => [],
          () => grpcLoad(`127.0.0.1:${echo.port}`, null, { concurrency: 32 }, seconds),
        ),
      };
      const s: Cell = {
        id: 'grpc-c32/one-hop',
        label: 'gRPC unary, 32 in flight, one sidecar',
        result: await measure(pidsOf(oneHop), () =>
          grpcLoad(`127.0.0.1:${oneHop.outbound}`, 'echo', { concurrency: 32 }, seconds),
        ),
      };
      cells.push(d, compare(s, d));
    }
    if (want(`grpc-r${rate}`)) {
      log(`gRPC unary at ${rate}/s: direct / one hop / two sidecars mTLS`);
      const d: Cell = {
        id: `grpc-r${rate}/direct`,
        label: `gRPC unary at ${rate}/s, direct`,
        result: await measure(
          () => [],
          () => grpcLoad(`127.0.0.1:${echo.port}`, null, { rate }, seconds),
        ),
      };
      const s: Cell = {
        id: `grpc-r${rate}/one-hop`,
        label: `gRPC unary at ${rate}/s, one sidecar`,
        result: await measure(pidsOf(oneHop), () =>
          grpcLoad(`127.0.0.1:${oneHop.outbound}`, 'echo', { rate }, seconds),
        ),
      };
      cells.push(d, compare(s, d));
      // The mesh path: client sidecar ══ mTLS, ALPN h2 ══▶ echo's sidecar ──h2c──▶ echo.
      const certs = join(tmp, 'certs');
      execFileSync(process.execPath, [
        MAIN,
        'certs',
        'dev',
        '--out',
        certs,
        '--trust-domain',
        'cluster.local',
        '--service',
        'bench-client',
        '--service',
        'echo',
      ]);
      const inboundB = await freePort();
      const meshConfig = join(tmp, 'mesh.yaml');
      writeFileSync(
        meshConfig,
        `trustDomain: cluster.local
mtls: strict
services:
  bench-client: {}
  echo:
    protocol: grpc
    versions: { v1: { host: 127.0.0.1, port: ${inboundB} } }
`,
      );
      const b = await startSidecar(
        'meshlet-echo',
        meshConfig,
        {
          MESHLET_SERVICE: 'echo',
          MESHLET_APP_PORT: String(echo.port),
          MESHLET_TLS_DIR: join(certs, 'echo'),
        },
        inboundB,
      );
      const a = await startSidecar('meshlet-client', meshConfig, {
        MESHLET_SERVICE: 'bench-client',
        MESHLET_APP_PORT: String(await freePort()),
        MESHLET_TLS_DIR: join(certs, 'bench-client'),
      });
      const m: Cell = {
        id: `grpc-r${rate}/mesh-mtls`,
        label: `gRPC unary at ${rate}/s, two sidecars, mTLS`,
        result: await measure(pidsOf(a, b), () =>
          grpcLoad(`127.0.0.1:${a.outbound}`, 'echo', { rate }, seconds),
        ),
      };
      cells.push(compare(m, d));
      await a.proc.stop();
      await b.proc.stop();
    }
    await oneHop.proc.stop();
  } finally {
    await h2up.stop();
    await echo.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  return cells;
}

/** The cells as a text table. */
export function renderH2Cells(cells: readonly Cell[], seconds: number): string {
  const ms = (us: number) => (us / 1000).toFixed(2);
  let out = `HTTP/2 and gRPC cells (${seconds} s each)\n`;
  for (const c of cells) {
    const r = c.result;
    const vs =
      c.vsDirect === undefined
        ? ''
        : `  ×${c.vsDirect.ratio.toFixed(2)} of direct, +${ms(c.vsDirect.addedP50Us)} / +${ms(c.vsDirect.addedP99Us)} ms p50/p99`;
    const cpu = r.cpuMsPer1k === null ? '' : `  CPU ${r.cpuMsPer1k.toFixed(0)} ms/1k`;
    out += `${c.label.padEnd(48)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${ms(r.p50)} ms  p99 ${ms(r.p99)} ms  errors ${r.errors}${cpu}${vs}\n`;
  }
  return out;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rate: { type: 'string', default: '1000' },
      only: { type: 'string' },
    },
  });
  const seconds = Number(args.seconds ?? (args.quick ? 2 : 10));
  const rate = Number(args.rate);
  installCleanup();
  const tools = findTools(log);
  for (const note of tools.notes) log(note);
  const cells = await measureH2Cells({
    seconds,
    rate,
    only: args.only === undefined ? null : new RegExp(args.only),
    h2load: tools.h2load,
  });
  process.stdout.write(`\n${renderH2Cells(cells, seconds)}`);
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `h2-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}.json`);
  writeFileSync(file, `${JSON.stringify({ format: 1, quick: args.quick, seconds, rate, cells }, null, 2)}\n`);
  log(`results in ${file}`);
}

if (import.meta.main) await main();
