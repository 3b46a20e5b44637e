// `npm run bench`: measures meshlet against direct calls, nginx and plain Node
// proxies on this machine, in one bounded run. See docs/performance.md.
//
//   npm run bench [-- --quick] [--duration S] [--only REGEX] [--repeat N]
//                 [--workers N] [--entry dist|src] [--node-flags F] [--rate R]
//                 [--cpu-prof] [--no-markdown]
//
// Writes bench/results/<timestamp>.json (+ latest.json for full runs) and the
// section between the bench markers of BENCHMARKS.md (full runs only).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Cell as H2Cell, h2CellIds, measureH2Cells, renderH2Cells } from './h2.ts';
import { startMeshletBalanced } from './lib/balanced.ts';
import { type LoadResult, runFixedRate, runWrk } from './lib/load.ts';
import { cpuSeconds, installCleanup, killAll, rssBytes, sampleRss, sleep } from './lib/procs.ts';
import {
  type CellResult,
  cellId,
  checkTargets,
  derive,
  type Group,
  type Load,
  mergeRounds,
  type Report,
  renderComparison,
  renderConsole,
  renderMarkdown,
  type ScenarioResult,
  spliceMarkdown,
} from './lib/report.ts';
import {
  direct,
  type MeshletOptions,
  policyOneHopConfig,
  prepareMeshlet,
  REPO,
  SHIPPED_NODE_FLAGS,
  startBaseline,
  startMeshletOneHop,
  startMeshPath,
  startNginx,
  startNodeServer,
  type Target,
  Unavailable,
} from './lib/targets.ts';
import { describeMachine, findTools, type Tools } from './lib/tools.ts';
import { CONFIG_COST_ID, type ConfigCost, measureConfigCost } from './memory/config-cost.ts';

const USAGE = `usage: npm run bench -- [options]
  --quick          short cells (2 s each, 1 s warm-up; the whole run takes about 1.5 minutes)
  --duration S     seconds per cell (default 10; 2 with --quick)
  --only REGEX     run only the cells whose id matches (ids: direct/c1, meshlet-one-hop/c32, mesh-path-mtls/r1000, config-2000/idle, ...)
  --workers N      run meshlet with MESHLET_WORKERS=N
  --entry dist|src meshlet from the compiled build as shipped (default; built first) or from src/*.ts
  --node-flags=F   node flags for meshlet (default: the shipped --max-semi-space-size=4; --node-flags= for none)
  --repeat N       N rounds over all systems; each cell reports its median-throughput round
  --rate R         fixed-rate cells' request rate (default 1000)
  --cpu-prof       run meshlet under --cpu-prof, profiles in bench/results/prof/
  --no-markdown    do not rewrite BENCHMARKS.md
`;

interface Scenario {
  id: string;
  label: string;
  group: Group;
  loads: Load[];
  start(): Promise<Target>;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    only: { type: 'string' },
    workers: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '1' },
    entry: { type: 'string', default: 'dist' },
    'node-flags': { type: 'string' },
    rate: { type: 'string', default: '1000' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-markdown': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const seconds = Number(args.duration ?? (args.quick ? 2 : 10));
const warmupSeconds = args.quick ? 1 : 3;
const workers = Number(args.workers);
const repeat = Number(args.repeat);
const entry: 'dist' | 'src' = args.entry === 'src' ? 'src' : 'dist';
const nodeFlags =
  args['node-flags'] === undefined ? SHIPPED_NODE_FLAGS : args['node-flags'].split(/\s+/).filter(Boolean);
const rate = Number(args.rate);
const only = args.only === undefined ? null : new RegExp(args.only);
if (
  !(seconds > 0 && seconds <= 600) ||
  !(workers >= 1) ||
  !(rate > 0) ||
  !(repeat >= 1 && repeat <= 20) ||
  (args.entry !== 'dist' && args.entry !== 'src')
) {
  process.stderr.write(USAGE);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const MiB = 2 ** 20;
const resultsDir = join(REPO, 'bench', 'results');

installCleanup();
const tools = findTools(log);
for (const note of tools.notes) log(note);
const machine = describeMachine(tools);
const tmp = mkdtempSync(join(tmpdir(), 'meshlet-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const meshletOptions: MeshletOptions = {
  workers,
  cpuProfDir: args['cpu-prof'] ? join(resultsDir, 'prof') : null,
  nodeFlags,
};

const wrkBoth: Load[] = [
  { kind: 'wrk', connections: 1 },
  { kind: 'wrk', connections: 32 },
];
const fixedRate: Load = { kind: 'rate', rate };

async function main(): Promise<Report> {
  await prepareMeshlet(entry);
  const upstream = await startNodeServer('upstream.ts');
  let sink: Awaited<ReturnType<typeof startNodeServer>> | null = null;
  const otlpEndpoint = async () => {
    sink ??= await startNodeServer('otlp-sink.ts');
    return `http://127.0.0.1:${sink.port}/v1/traces`;
  };
  const up = upstream.port;
  const tracing = (sampling: number) => async (): Promise<Target> => {
    const endpoint = await otlpEndpoint();
    const before = await sinkStats(endpoint);
    const target = await startMeshletOneHop(
      up,
      tmp,
      { metrics: true, sampling, otlpEndpoint: endpoint },
      meshletOptions,
    );
    return {
      ...target,
      inspect: async () => {
        const after = await sinkStats(endpoint);
        const posts = after.requests - before.requests;
        const kib = (after.bytes - before.bytes) / 1024;
        const inspection = (await target.inspect?.()) ?? { problems: [], info: [] };
        inspection.info.push(`OTLP sink received ${posts} exports (${kib.toFixed(0)} KiB)`);
        if (sampling > 0 && posts === 0)
          inspection.problems.push('tracing configured but no spans were exported');
        return inspection;
      },
    };
  };
  const telemetryLoads: Load[] = args.quick ? [{ kind: 'wrk', connections: 32 }] : wrkBoth;

  const scenarios: Scenario[] = [
    {
      id: 'direct',
      label: 'direct (no proxy)',
      group: 'reference',
      loads: [...wrkBoth, fixedRate],
      start: async () => direct(up),
    },
    {
      id: 'nginx',
      label: 'nginx proxy_pass',
      group: 'reference',
      loads: wrkBoth,
      start: () => startNginx(tools.nginx, up, tmp),
    },
    {
      id: 'baseline-tuned',
      label: 'baseline: tuned Node (undici dispatch)',
      group: 'baseline',
      loads: wrkBoth,
      start: () => startBaseline('baseline-tuned.ts', up),
    },
    {
      id: 'baseline-naive-http-proxy',
      label: 'baseline: http-proxy',
      group: 'baseline',
      loads: wrkBoth,
      start: () => startBaseline('baseline-http-proxy.ts', up),
    },
    {
      id: 'baseline-naive-undici',
      label: 'baseline: undici request + pipe',
      group: 'baseline',
      loads: wrkBoth,
      start: () => startBaseline('baseline-undici.ts', up),
    },
    {
      id: 'meshlet-one-hop',
      label: 'meshlet outbound (one hop)',
      group: 'meshlet',
      loads: [...wrkBoth, fixedRate],
      start: () => startMeshletOneHop(up, tmp, { metrics: true, sampling: null }, meshletOptions),
    },
    {
      id: 'meshlet-one-hop-policy',
      label: 'one hop, route with headers set, 0 % fault, 0 % mirror',
      group: 'meshlet',
      loads: wrkBoth,
      start: () =>
        startMeshletOneHop(up, tmp, { metrics: true, sampling: null }, meshletOptions, {
          configText: policyOneHopConfig(up),
          env: {},
        }),
    },
    {
      id: 'meshlet-one-hop-dns1',
      label: 'one hop, one DNS endpoint',
      group: 'meshlet',
      loads: wrkBoth,
      start: () => startMeshletBalanced(1, tmp, meshletOptions),
    },
    {
      id: 'meshlet-one-hop-dns3',
      label: 'one hop, three DNS endpoints (P2C peak-EWMA)',
      group: 'meshlet',
      loads: wrkBoth,
      start: () => startMeshletBalanced(3, tmp, meshletOptions),
    },
    {
      id: 'mesh-path-plain',
      label: 'meshlet A → B, plaintext',
      group: 'meshlet',
      loads: [...wrkBoth, fixedRate],
      start: () => startMeshPath(up, tmp, false, meshletOptions),
    },
    {
      id: 'mesh-path-mtls',
      label: 'meshlet A → B, mTLS',
      group: 'meshlet',
      loads: [...wrkBoth, fixedRate],
      start: () => startMeshPath(up, tmp, true, meshletOptions),
    },
    {
      id: 'meshlet-telemetry-off',
      label: 'one hop, metrics off, no tracing',
      group: 'telemetry',
      loads: telemetryLoads,
      start: () => startMeshletOneHop(up, tmp, { metrics: false, sampling: null }, meshletOptions),
    },
    {
      id: 'meshlet-tracing-0',
      label: 'one hop, metrics + tracing 0 %',
      group: 'telemetry',
      loads: telemetryLoads,
      start: tracing(0),
    },
    {
      id: 'meshlet-tracing-1',
      label: 'one hop, metrics + tracing 1 %',
      group: 'telemetry',
      loads: telemetryLoads,
      start: tracing(0.01),
    },
    {
      id: 'meshlet-tracing-100',
      label: 'one hop, metrics + tracing 100 %',
      group: 'telemetry',
      loads: telemetryLoads,
      start: tracing(1),
    },
  ];

  // With --repeat, whole rounds over every system interleave the systems in
  // time, so a burst of load from elsewhere does not land on one system only.
  const rounds: ScenarioResult[][] = [];
  let h2Cells: H2Cell[] | undefined;
  let configCost: ConfigCost | undefined;
  try {
    for (let round = 1; round <= repeat; round++) {
      if (repeat > 1) log(`round ${round} of ${repeat}`);
      const results: ScenarioResult[] = [];
      for (const scenario of scenarios) {
        const loads = scenario.loads.filter((l) => only === null || only.test(cellId(scenario.id, l)));
        if (loads.length > 0) results.push(await measureScenario(scenario, loads, tools));
      }
      rounds.push(results);
    }
    // HTTP/2 and gRPC cells (bench/h2.ts): their own loads (h2load, grpc-js), against direct in the same run.
    if (only === null || h2CellIds(rate).some((id) => only.test(id)))
      h2Cells = await measureH2Cells({ seconds, rate, only, h2load: tools.h2load });
    // The memory cost of a 2,000-service config: two idle sidecars, no load.
    if (only === null || only.test(CONFIG_COST_ID)) {
      log(`${CONFIG_COST_ID}: starting`);
      try {
        // One measurement per round; the median by RSS added is reported, every round kept.
        const costs: ConfigCost[] = [];
        for (let i = 0; i < repeat; i++) costs.push(await measureConfigCost(tmp, { nodeFlags, workers }));
        costs.sort((a, b) => a.addedMiB - b.addedMiB);
        configCost = {
          ...costs[Math.floor((costs.length - 1) / 2)]!,
          roundsAddedMiB: costs.map((c) => c.addedMiB),
        };
        log(
          `${CONFIG_COST_ID}: RSS ${configCost.rssOneMiB.toFixed(1)} MiB with one service, ` +
            `${configCost.rssBigMiB.toFixed(1)} MiB with ${configCost.services}: +${configCost.addedMiB.toFixed(1)} MiB`,
        );
      } catch (err) {
        log(`${CONFIG_COST_ID}: failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await upstream.stop();
    if (sink !== null) await (sink as Awaited<ReturnType<typeof startNodeServer>>).stop();
  }

  const report: Report = {
    format: 1,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: {
      quick: args.quick,
      secondsPerCell: seconds,
      warmupSeconds,
      repeat,
      workers,
      meshlet: `node ${[...nodeFlags, entry === 'dist' ? 'dist/main.js' : 'src/main.ts'].join(' ')} run`,
      only: args.only ?? null,
    },
    machine,
    notes: tools.notes,
    scenarios: mergeRounds(rounds),
    targets: [],
    ...(h2Cells === undefined ? {} : { h2: h2Cells }),
    ...(configCost === undefined ? {} : { configCost }),
  };
  derive(report);
  report.targets = checkTargets(report, rate);
  return report;
}

async function sinkStats(endpoint: string): Promise<{ requests: number; bytes: number }> {
  const res = await fetch(new URL('/stats', endpoint), { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as { requests: number; bytes: number };
}

function skipAll(
  scenario: Scenario,
  loads: Load[],
  status: 'skipped' | 'failed',
  note: string,
): ScenarioResult {
  log(`${scenario.id}: ${status}: ${note}`);
  return {
    id: scenario.id,
    label: scenario.label,
    group: scenario.group,
    status,
    note,
    cells: loads.map((load) => ({
      id: cellId(scenario.id, load),
      scenario: scenario.id,
      load,
      status,
      note,
    })),
  };
}

async function measureScenario(scenario: Scenario, loads: Load[], tools: Tools): Promise<ScenarioResult> {
  const needsWrk = loads.some((l) => l.kind === 'wrk');
  if (needsWrk && tools.wrk === null) loads = loads.filter((l) => l.kind !== 'wrk');
  if (tools.fixedRate === null) loads = loads.filter((l) => l.kind !== 'rate');
  if (loads.length === 0)
    return skipAll(scenario, scenario.loads, 'skipped', 'load generator missing (see notes)');

  log(`${scenario.id}: starting`);
  let target: Target;
  try {
    target = await scenario.start();
  } catch (err) {
    const status = err instanceof Unavailable ? 'skipped' : 'failed';
    return skipAll(scenario, loads, status, (err as Error).message);
  }
  const result: ScenarioResult = {
    id: scenario.id,
    label: scenario.label,
    group: scenario.group,
    status: 'ok',
    cells: [],
  };
  try {
    // Idle RSS 5 s after start: past the first idle period, in which a sidecar
    // collects the start-up garbage and unmaps the binary's pages it no longer
    // runs, about 3 s after /ready (src/runtime/idle-gc.ts).
    await sleep(5000);
    const idlePids = target.proxyPids();
    if (idlePids.length > 0) result.rssIdleMiB = rssBytes(idlePids) / MiB;
    if (tools.wrk !== null) await runWrk(tools.wrk, target, 32, warmupSeconds);
    for (const load of loads) {
      const id = cellId(scenario.id, load);
      log(`${id}: ${seconds} s`);
      const pids = target.proxyPids();
      const cpuBefore = cpuSeconds(pids);
      const rss = sampleRss(pids);
      let r: LoadResult;
      try {
        r =
          load.kind === 'wrk'
            ? await runWrk(tools.wrk!, target, load.connections, seconds)
            : await runFixedRate(tools.fixedRate!, target, load.rate, seconds);
      } catch (err) {
        rss.stop();
        result.cells.push({
          id,
          scenario: scenario.id,
          load,
          status: 'failed',
          note: (err as Error).message,
        });
        continue;
      }
      const cell: CellResult = { id, scenario: scenario.id, load, status: 'ok', result: r };
      const rssMax = rss.stop();
      if (pids.length > 0) {
        cell.cpuPer1k = r.requests > 0 ? ((cpuSeconds(pids) - cpuBefore) / r.requests) * 1000 : undefined;
        cell.rssLoadMiB = rssMax / MiB;
      }
      result.cells.push(cell);
      await sleep(300);
    }
    // RSS "after": 5 s after the load, once a sidecar has had the two idle
    // seconds after which it gives its heap and the binary's pages back
    // (src/runtime/idle-gc.ts).
    await sleep(5000);
    const afterPids = target.proxyPids();
    if (afterPids.length > 0) result.rssAfterMiB = rssBytes(afterPids) / MiB;
    if (target.inspect !== undefined) {
      const { problems, info } = await target.inspect();
      if (problems.length > 0) result.problems = problems;
      if (info.length > 0) result.info = info;
      for (const line of [...problems, ...info]) log(`${scenario.id}: ${line}`);
    }
  } finally {
    await target.stop();
  }
  return result;
}

function timestamp(iso: string): string {
  return iso.replace(/[:]/g, '').replace(/-/g, '');
}

try {
  const started = Date.now();
  const report = await main();
  process.stdout.write(`\n${renderConsole(report)}\n`);
  if (report.h2 !== undefined)
    process.stdout.write(`\n${renderH2Cells(report.h2, report.mode.secondsPerCell)}`);

  mkdirSync(resultsDir, { recursive: true });
  const latest = join(resultsDir, 'latest.json');
  if (existsSync(latest)) {
    try {
      process.stdout.write(
        `\n${renderComparison(JSON.parse(readFileSync(latest, 'utf8')) as Report, report)}\n`,
      );
    } catch (err) {
      log(`could not compare with ${latest}: ${(err as Error).message}`);
    }
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(resultsDir, `${timestamp(report.date)}.json`);
  writeFileSync(file, json);
  log(`results: ${file}`);
  if (only === null) {
    writeFileSync(latest, json);
    if (!args['no-markdown']) {
      const md = join(REPO, 'BENCHMARKS.md');
      const doc = existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmarks\n';
      writeFileSync(md, spliceMarkdown(doc, renderMarkdown(report)));
      log(`updated ${md}`);
    }
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (err) {
  log(`error: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  killAll();
}
