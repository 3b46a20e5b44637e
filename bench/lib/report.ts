// Turns measured cells into derived figures (added latency and throughput
// ratio against direct, telemetry cost), target checks, the Markdown section
// of BENCHMARKS.md, and a comparison with the previous run.
import type { Cell as H2Cell } from '../h2.ts';
import type { ConfigCost } from '../memory/config-cost.ts';
import type { LoadResult } from './load.ts';
import type { Machine } from './tools.ts';

export type Load = { kind: 'wrk'; connections: number } | { kind: 'rate'; rate: number };
export type Group = 'reference' | 'baseline' | 'meshlet' | 'telemetry';

export interface CellResult {
  /** `<scenario>/c<connections>` or `<scenario>/r<rate>` */
  id: string;
  scenario: string;
  load: Load;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  result?: LoadResult;
  /** CPU seconds (user+system) of the proxy processes per 1,000 requests */
  cpuPer1k?: number;
  /** Max RSS of the proxy processes sampled during this cell, MiB */
  rssLoadMiB?: number;
  /** Derived against the direct cell with the same load (µs; ratio) */
  addedP50Us?: number;
  addedP99Us?: number;
  addedP999Us?: number;
  ratioToDirect?: number;
  /** Telemetry cells: throughput relative to meshlet with metrics and tracing off */
  ratioToTelemetryOff?: number;
  /** With --repeat: req/s of every round; the cell's figures are from the median round */
  roundsRps?: number[];
  /** With --repeat: each round's figures, in round order (the spread behind the chosen round). */
  rounds?: Array<{ rps: number; p99: number; p999: number; cpuPer1k?: number; rssLoadMiB?: number }>;
}

export interface ScenarioResult {
  id: string;
  label: string;
  group: Group;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  rssIdleMiB?: number;
  rssAfterMiB?: number;
  /** With --repeat: each round's idle and after-load RSS (the fields above are their medians). */
  roundsRssIdleMiB?: number[];
  roundsRssAfterMiB?: number[];
  /** Post-load inspection: a setting the sidecar did not honour makes the figures invalid for targets. */
  problems?: string[];
  info?: string[];
  cells: CellResult[];
}

export interface TargetCheck {
  name: string;
  value: string;
  limit: string;
  result: 'PASS' | 'FAIL' | 'N/A';
}

export interface Report {
  format: 1;
  date: string;
  mode: {
    quick: boolean;
    secondsPerCell: number;
    warmupSeconds: number;
    repeat: number;
    workers: number;
    /** How meshlet was started, e.g. `node --max-semi-space-size=4 dist/main.js run` */
    meshlet?: string;
    only: string | null;
  };
  machine: Machine;
  notes: string[];
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  /** The HTTP/2 and gRPC cells (bench/h2.ts), when they ran. */
  h2?: H2Cell[];
  /** Idle RSS with a 2,000-service config against one service (bench/memory/config-cost.ts), when it ran. */
  configCost?: ConfigCost;
}

export function cellId(scenario: string, load: Load): string {
  return `${scenario}/${load.kind === 'wrk' ? `c${load.connections}` : `r${load.rate}`}`;
}

function sameLoad(a: Load, b: Load): boolean {
  return a.kind === 'wrk' && b.kind === 'wrk'
    ? a.connections === b.connections
    : a.kind === 'rate' && b.kind === 'rate' && a.rate === b.rate;
}

function findCell(report: Report, scenario: string, load: Load): CellResult | undefined {
  const cell = report.scenarios.find((s) => s.id === scenario)?.cells.find((c) => sameLoad(c.load, load));
  return cell?.status === 'ok' ? cell : undefined;
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

/**
 * Merges --repeat rounds: each cell keeps the round with the median req/s
 * (its latencies, CPU and RSS come from that same round, so they stay
 * consistent), RSS idle/after are medians, problems are the union.
 */
export function mergeRounds(rounds: ScenarioResult[][]): ScenarioResult[] {
  if (rounds.length === 1) return rounds[0]!;
  return rounds[0]!.map((first) => {
    const all = rounds.map((r) => r.find((s) => s.id === first.id)).filter((s) => s !== undefined);
    const ok = all.filter((s) => s.status === 'ok');
    if (ok.length === 0) return first;
    const idles = ok.flatMap((s) => (s.rssIdleMiB === undefined ? [] : [s.rssIdleMiB]));
    const afters = ok.flatMap((s) => (s.rssAfterMiB === undefined ? [] : [s.rssAfterMiB]));
    const rssIdle = median(idles);
    const rssAfter = median(afters);
    const problems = [...new Set(ok.flatMap((s) => s.problems ?? []))];
    const merged: ScenarioResult = {
      ...ok[ok.length - 1]!,
      ...(rssIdle === undefined ? {} : { rssIdleMiB: rssIdle }),
      ...(rssAfter === undefined ? {} : { rssAfterMiB: rssAfter }),
      roundsRssIdleMiB: idles,
      roundsRssAfterMiB: afters,
      ...(problems.length === 0 ? {} : { problems }),
      cells: first.cells.map((cell) => {
        const inOrder = ok
          .map((s) => s.cells.find((c) => c.id === cell.id))
          .filter((c): c is CellResult => c?.status === 'ok' && c.result !== undefined);
        const runs = [...inOrder].sort((a, b) => a.result!.rps - b.result!.rps);
        if (runs.length === 0) return cell;
        const chosen = runs[Math.floor((runs.length - 1) / 2)]!;
        return {
          ...chosen,
          roundsRps: runs.map((c) => c.result!.rps),
          rounds: inOrder.map((c) => ({
            rps: c.result!.rps,
            p99: c.result!.p99,
            p999: c.result!.p999,
            ...(c.cpuPer1k === undefined ? {} : { cpuPer1k: c.cpuPer1k }),
            ...(c.rssLoadMiB === undefined ? {} : { rssLoadMiB: c.rssLoadMiB }),
          })),
        };
      }),
    };
    return merged;
  });
}

/** Fills the derived fields of every cell. */
export function derive(report: Report): void {
  for (const scenario of report.scenarios) {
    for (const cell of scenario.cells) {
      if (cell.status !== 'ok' || cell.result === undefined || scenario.id === 'direct') continue;
      const base = findCell(report, 'direct', cell.load)?.result;
      if (base !== undefined) {
        cell.addedP50Us = cell.result.p50 - base.p50;
        cell.addedP99Us = cell.result.p99 - base.p99;
        cell.addedP999Us = cell.result.p999 - base.p999;
        if (cell.load.kind === 'wrk') cell.ratioToDirect = cell.result.rps / base.rps;
      }
      if (scenario.group === 'telemetry' && scenario.id !== 'meshlet-telemetry-off') {
        const off = findCell(report, 'meshlet-telemetry-off', cell.load)?.result;
        if (off !== undefined) cell.ratioToTelemetryOff = cell.result.rps / off.rps;
      }
    }
  }
}

interface CheckSpec {
  name: string;
  value: number | undefined;
  limit: number;
  unit: '×' | 'ms' | 'MiB' | 's/1k';
  atLeast: boolean;
  /** Scenarios whose post-load problems make the value meaningless. */
  from: string[];
  why?: string;
}

function check(report: Report, spec: CheckSpec): TargetCheck {
  const { unit, limit, atLeast, value } = spec;
  const fmt = (x: number) =>
    unit === '×'
      ? x.toFixed(2)
      : unit === 'ms'
        ? (x / 1000).toFixed(3)
        : unit === 's/1k'
          ? x.toFixed(3)
          : x.toFixed(1);
  const limitText = `${atLeast ? '≥' : '≤'} ${fmt(limit)} ${unit}`;
  if (value === undefined || !Number.isFinite(value)) {
    return { name: spec.name, value: spec.why ?? 'not measured', limit: limitText, result: 'N/A' };
  }
  const invalid = report.scenarios.filter((s) => spec.from.includes(s.id) && (s.problems?.length ?? 0) > 0);
  if (invalid.length > 0) {
    const ids = invalid.map((s) => s.id).join(', ');
    return {
      name: spec.name,
      value: `${fmt(value)} ${unit} (invalid: problems in ${ids})`,
      limit: limitText,
      result: 'N/A',
    };
  }
  const ok = atLeast ? value >= limit : value <= limit;
  return { name: spec.name, value: `${fmt(value)} ${unit}`, limit: limitText, result: ok ? 'PASS' : 'FAIL' };
}

function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b <= 0 ? undefined : a / b;
}

/** The targets of the performance issue. Latencies in µs, RSS in MiB. */
export function checkTargets(report: Report, rate: number): TargetCheck[] {
  const oneHop32 = findCell(report, 'meshlet-one-hop', { kind: 'wrk', connections: 32 });
  const oneHop1 = findCell(report, 'meshlet-one-hop', { kind: 'wrk', connections: 1 });
  const traced = report.scenarios.find((s) => s.id === 'meshlet-tracing-1' && s.status === 'ok');
  const traced32 = findCell(report, 'meshlet-tracing-1', { kind: 'wrk', connections: 32 });
  const mtlsRate = findCell(report, 'mesh-path-mtls', { kind: 'rate', rate });
  const directRate = findCell(report, 'direct', { kind: 'rate', rate });
  const tuned32 = findCell(report, 'baseline-tuned', { kind: 'wrk', connections: 32 });
  const workers = report.mode.workers;
  const specs: CheckSpec[] = [
    {
      name: 'one hop, 32 conns: req/s vs direct (single worker)',
      value: workers > 1 ? undefined : oneHop32?.ratioToDirect,
      limit: 0.3,
      unit: '×',
      atLeast: true,
      from: ['meshlet-one-hop'],
      ...(workers > 1 ? { why: `run with --workers ${workers}` } : {}),
    },
    {
      name: 'one hop, 32 conns: req/s vs the tuned Node floor (same run)',
      value: workers > 1 ? undefined : ratioOf(oneHop32?.result?.rps, tuned32?.result?.rps),
      limit: 0.9,
      unit: '×',
      atLeast: true,
      from: ['meshlet-one-hop', 'baseline-tuned'],
      ...(workers > 1 ? { why: `run with --workers ${workers}` } : {}),
    },
    {
      name: 'one hop, 1 conn: added p50',
      value: oneHop1?.addedP50Us,
      limit: 100,
      unit: 'ms',
      atLeast: false,
      from: ['meshlet-one-hop'],
    },
    {
      name: 'one hop, 1 conn: added p99',
      value: oneHop1?.addedP99Us,
      limit: 500,
      unit: 'ms',
      atLeast: false,
      from: ['meshlet-one-hop'],
    },
    {
      name: 'idle RSS, metrics + tracing (1 %) configured',
      value: traced?.rssIdleMiB,
      limit: 64,
      unit: 'MiB',
      atLeast: false,
      from: ['meshlet-tracing-1'],
    },
    {
      name: 'RSS after load, metrics + tracing (1 %)',
      value: traced?.rssAfterMiB,
      limit: 100,
      unit: 'MiB',
      atLeast: false,
      from: ['meshlet-tracing-1'],
    },
    {
      name: 'metrics + tracing 1 %: req/s vs both off, 32 conns',
      value: traced32?.ratioToTelemetryOff,
      limit: 0.9,
      unit: '×',
      atLeast: true,
      from: ['meshlet-tracing-1', 'meshlet-telemetry-off'],
    },
    {
      name: `full mesh path with mTLS at ${rate} req/s: added p99`,
      value: mtlsRate?.addedP99Us,
      limit: 1500,
      unit: 'ms',
      atLeast: false,
      from: ['mesh-path-mtls'],
    },
    {
      name: `mTLS mesh path at ${rate} req/s: CPU s per 1,000 requests, both sidecars`,
      value: mtlsRate?.cpuPer1k,
      limit: 0.3,
      unit: 's/1k',
      atLeast: false,
      from: ['mesh-path-mtls'],
    },
    {
      name: `mTLS mesh path at ${rate} req/s: p99.9 vs direct's p99.9`,
      value: ratioOf(mtlsRate?.result?.p999, directRate?.result?.p999),
      limit: 2,
      unit: '×',
      atLeast: false,
      from: ['mesh-path-mtls'],
    },
    {
      name: '2,000-service config: RSS added, idle 5 s after /ready',
      value: report.configCost?.addedMiB,
      limit: 30,
      unit: 'MiB',
      atLeast: false,
      from: [],
    },
  ];
  return specs.map((spec) => check(report, spec));
}

// ---- Markdown ----

const ms = (us: number | undefined): string => (us === undefined ? '–' : (us / 1000).toFixed(3));
const signedMs = (us: number | undefined): string =>
  us === undefined ? '–' : `${us >= 0 ? '+' : '−'}${(Math.abs(us) / 1000).toFixed(3)}`;
const num = (x: number | undefined, digits = 0): string =>
  x === undefined
    ? '–'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`);
const mib = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(0));

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function loadLabel(load: Load): string {
  return load.kind === 'wrk' ? String(load.connections) : `${load.rate}/s`;
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(
    `_Generated by \`npm run bench${report.mode.quick ? ' -- --quick' : ''}\` on ${report.date}: ` +
      `${report.mode.secondsPerCell} s per cell after ${report.mode.warmupSeconds} s warm-up per system, ` +
      `${report.mode.repeat > 1 ? `median-throughput round of ${report.mode.repeat}, ` : ''}` +
      `meshlet: \`${report.mode.meshlet ?? 'node src/main.ts run'}\`, workers: ${report.mode.workers}${report.mode.only === null ? '' : `, only \`${report.mode.only}\``}._`,
    '',
    `**Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ` +
      `Node ${m.node}, undici ${m.undici ?? '?'}, wrk ${m.wrk ?? 'missing'}, nginx ${m.nginx ?? 'missing'}; ` +
      `load average at start ${m.loadAverageAtStart.join(' / ')}; commit ${m.gitCommit ?? '?'}. ` +
      'Load generator, proxy and upstream share these cores.',
    '',
    '### Targets',
    '',
    row(['target', 'measured', 'limit', 'result']),
    row(['---', '---:', '---:', '---']),
    ...report.targets.map((t) => row([t.name, t.value, t.limit, `**${t.result}**`])),
    '',
  );

  const closed = (groups: Group[]) =>
    report.scenarios
      .filter((s) => groups.includes(s.group))
      .flatMap((s) => s.cells.filter((c) => c.load.kind === 'wrk').map((c) => ({ s, c })));

  out.push(
    '### Closed loop: throughput and latency (wrk, 1 thread)',
    '',
    'Latencies in ms. *added* = this cell minus `direct` at the same connection count; ' +
      '*× direct* = req/s relative to `direct`. CPU = proxy CPU seconds per 1,000 requests. ' +
      'RSS (MiB) of the proxy processes: idle after start / max under load / after load.',
    '',
    row([
      'system',
      'conns',
      'req/s',
      '× direct',
      'p50',
      'p99',
      'p99.9',
      'added p50',
      'added p99',
      'CPU s/1k',
      'RSS idle/load/after',
      'errors',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  );
  for (const { s, c } of closed(['reference', 'baseline', 'meshlet'])) out.push(cellRow(s, c));

  const telemetry = closed(['telemetry']);
  if (telemetry.length > 0) {
    out.push(
      '',
      '### Telemetry cost (meshlet one hop, wrk)',
      '',
      '*vs off* = req/s relative to meshlet with `MESHLET_METRICS=off` and no `tracing` section.',
      '',
      row([
        'system',
        'conns',
        'req/s',
        'vs off',
        'p50',
        'p99',
        'p99.9',
        'added p50',
        'added p99',
        'CPU s/1k',
        'RSS idle/load/after',
        'errors',
      ]),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const { s, c } of telemetry) out.push(cellRow(s, c, true));
  }

  const fixed = report.scenarios.flatMap((s) =>
    s.cells.filter((c) => c.load.kind === 'rate').map((c) => ({ s, c })),
  );
  if (fixed.length > 0) {
    out.push(
      '',
      '### Fixed rate: latency without saturation (open loop, bench/loadgen/fixed-rate.c)',
      '',
      'Latency counted from the scheduled send time (no coordinated omission), 16 keep-alive connections.',
      '',
      row([
        'system',
        'rate',
        'achieved req/s',
        'p50',
        'p90',
        'p99',
        'p99.9',
        'max',
        'added p50',
        'added p99',
        'added p99.9',
        'CPU s/1k',
        'errors',
      ]),
      row([
        '---',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
        '---:',
      ]),
    );
    for (const { s, c } of fixed) {
      const r = c.result;
      if (c.status !== 'ok' || r === undefined) {
        out.push(row([s.label, loadLabel(c.load), `_${c.status}_`, '', '', '', '', '', '', '', '', '', '']));
        continue;
      }
      out.push(
        row([
          s.label,
          loadLabel(c.load),
          num(r.rps),
          ms(r.p50),
          ms(r.p90),
          ms(r.p99),
          ms(r.p999),
          ms(r.max),
          signedMs(c.addedP50Us),
          signedMs(c.addedP99Us),
          signedMs(c.addedP999Us),
          num(c.cpuPer1k, 3),
          num(r.errors),
        ]),
      );
    }
  }

  const skipped = report.scenarios.filter((s) => s.status !== 'ok');
  const failedCells = report.scenarios.flatMap((s) =>
    s.cells.filter((c) => s.status === 'ok' && c.status !== 'ok'),
  );
  const checks = report.scenarios.flatMap((s) =>
    [...(s.problems ?? []).map((p) => `**${p}**`), ...(s.info ?? [])].map((c) => `\`${s.id}\`: ${c}`),
  );
  if (skipped.length + failedCells.length + report.notes.length + checks.length > 0) {
    out.push('', '### Notes and cells not measured', '');
    for (const note of report.notes) out.push(`- ${note}`);
    for (const check of checks) out.push(`- ${check}`);
    for (const s of skipped) out.push(`- \`${s.id}\` ${s.status}: ${s.note ?? ''}`);
    for (const c of failedCells) out.push(`- \`${c.id}\` ${c.status}: ${c.note ?? ''}`);
  }
  return out.join('\n');
}

function cellRow(s: ScenarioResult, c: CellResult, telemetry = false): string {
  const r = c.result;
  if (c.status !== 'ok' || r === undefined) {
    return row([s.label, loadLabel(c.load), `_${c.status}_`, '', '', '', '', '', '', '', '', '']);
  }
  const rss =
    s.group === 'reference' && s.id === 'direct'
      ? '–'
      : `${mib(s.rssIdleMiB)} / ${mib(c.rssLoadMiB)} / ${mib(s.rssAfterMiB)}`;
  return row([
    s.label,
    loadLabel(c.load),
    num(r.rps),
    telemetry
      ? s.id === 'meshlet-telemetry-off'
        ? '1.00×'
        : ratio(c.ratioToTelemetryOff)
      : s.id === 'direct'
        ? '1.00×'
        : ratio(c.ratioToDirect),
    ms(r.p50),
    ms(r.p99),
    ms(r.p999),
    signedMs(c.addedP50Us),
    signedMs(c.addedP99Us),
    num(c.cpuPer1k, 3),
    rss,
    num(r.errors),
  ]);
}

/** Replaces the text between the bench markers, keeping everything else. */
export function spliceMarkdown(document: string, section: string): string {
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = document.indexOf(begin);
  const j = document.indexOf(end);
  if (i === -1 || j === -1 || j < i) return `${document.trimEnd()}\n\n${begin}\n${section}\n${end}\n`;
  return `${document.slice(0, i + begin.length)}\n${section}\n${document.slice(j)}`;
}

// ---- terminal ----

export function renderConsole(report: Report): string {
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  lines.push(
    `${pad('cell', 34)}${lpad('req/s', 10)}${lpad('×dir', 7)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('p99.9', 8)}${lpad('+p50', 8)}${lpad('+p99', 8)}${lpad('CPU/1k', 8)}${lpad('RSS', 6)}${lpad('err', 6)}`,
  );
  for (const s of report.scenarios) {
    for (const c of s.cells) {
      const r = c.result;
      if (c.status !== 'ok' || r === undefined) {
        lines.push(`${pad(c.id, 34)}  ${c.status}: ${c.note ?? s.note ?? ''}`);
        continue;
      }
      lines.push(
        `${pad(c.id, 34)}${lpad(num(r.rps), 10)}${lpad(c.ratioToDirect === undefined ? '' : c.ratioToDirect.toFixed(2), 7)}` +
          `${lpad(ms(r.p50), 8)}${lpad(ms(r.p99), 8)}${lpad(ms(r.p999), 8)}` +
          `${lpad(c.addedP50Us === undefined ? '' : signedMs(c.addedP50Us), 8)}${lpad(c.addedP99Us === undefined ? '' : signedMs(c.addedP99Us), 8)}` +
          `${lpad(c.cpuPer1k === undefined ? '' : c.cpuPer1k.toFixed(3), 8)}${lpad(mib(c.rssLoadMiB), 6)}${lpad(String(r.errors), 6)}`,
      );
    }
  }
  const checks = report.scenarios.flatMap((s) =>
    [...(s.problems ?? []).map((p) => `PROBLEM ${p}`), ...(s.info ?? [])].map((c) => `  ${s.id}: ${c}`),
  );
  if (checks.length > 0) lines.push('', 'checks:', ...checks);
  lines.push('', 'targets:');
  for (const t of report.targets)
    lines.push(`  ${pad(t.result, 5)} ${pad(t.name, 58)} ${t.value} (${t.limit})`);
  return lines.join('\n');
}

/** Req/s and p99 of the cells both runs measured. */
export function renderComparison(previous: Report, current: Report): string {
  const prev = new Map<string, CellResult>();
  for (const s of previous.scenarios) for (const c of s.cells) if (c.status === 'ok') prev.set(c.id, c);
  const lines = [
    `compared with the previous run (${previous.date}, ${previous.mode.secondsPerCell} s/cell):`,
  ];
  for (const s of current.scenarios) {
    for (const c of s.cells) {
      const p = prev.get(c.id);
      if (c.status !== 'ok' || p?.result === undefined || c.result === undefined) continue;
      const d = ((c.result.rps - p.result.rps) / p.result.rps) * 100;
      lines.push(
        `  ${c.id.padEnd(34)} req/s ${num(p.result.rps).padStart(9)} → ${num(c.result.rps).padStart(9)} (${d >= 0 ? '+' : ''}${d.toFixed(1)} %)` +
          `   p99 ${ms(p.result.p99)} → ${ms(c.result.p99)} ms`,
      );
    }
  }
  return lines.length === 1 ? 'no cells in common with the previous run' : lines.join('\n');
}
