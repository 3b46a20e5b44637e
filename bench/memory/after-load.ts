// RSS after load, and what holds it: meshlet under a fixed-rate load for a
// while, its RSS sampled, then split from /proc/<pid>/smaps into V8 heap pages
// (256 KiB anonymous mappings), the malloc heap, other anonymous memory and
// file-backed pages (the node binary's code and read-only data), next to the
// V8 figures from its /metrics. Compares node flags / environments side by side.
//
//   node bench/memory/after-load.ts [--system mtls|traced] [--seconds S] [--rate R | --wrk CONNS]
//                                   [--variant 'name=FLAGS'...] [--env 'name=K=V,K=V'...]
//
// A variant is `label=node flags` (the shipped flags are prepended); `--env label=MALLOC_ARENA_MAX=2`
// adds environment to the variant with that label. Runs the build in dist/.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFixedRate, runWrk } from '../lib/load.ts';
import { cpuSeconds, installCleanup, sleep } from '../lib/procs.ts';
import {
  type MeshletOptions,
  prepareMeshlet,
  SHIPPED_NODE_FLAGS,
  startMeshletOneHop,
  startMeshPath,
  startNodeServer,
  type Target,
} from '../lib/targets.ts';
import { findTools } from '../lib/tools.ts';

const { values: args } = parseArgs({
  options: {
    system: { type: 'string', default: 'mtls' },
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '1000' },
    wrk: { type: 'string' },
    variant: { type: 'string', multiple: true, default: ['shipped='] },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const seconds = Number(args.seconds);
const rate = Number(args.rate);
const MiB = 2 ** 20;
const log = (line: string) => process.stderr.write(`after-load: ${line}\n`);

interface Split {
  rss: number;
  v8Pages: number;
  mallocHeap: number;
  otherAnon: number;
  file: number;
}

/** Resident memory of one process by kind of mapping. */
function split(pid: number): Split {
  const out: Split = { rss: 0, v8Pages: 0, mallocHeap: 0, otherAnon: 0, file: 0 };
  let size = 0;
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) {
      size = Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16);
      name = head[3]!.trim();
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss === null) continue;
    const bytes = Number(rss[1]) * 1024;
    out.rss += bytes;
    if (name === '[heap]') out.mallocHeap += bytes;
    else if (name === '' && size === 256 * 1024) out.v8Pages += bytes;
    else if (name === '' || name.startsWith('[')) out.otherAnon += bytes;
    else out.file += bytes;
  }
  return out;
}

async function v8Figures(adminPort: number): Promise<{ used: number; committed: number }> {
  const body = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(body)?.[1] ?? Number.NaN);
  return {
    used: value(/^nodejs_heap_size_used_bytes (\S+)$/m),
    committed: value(/^nodejs_heap_size_total_bytes (\S+)$/m),
  };
}

installCleanup();
const tools = findTools(log);
if (tools.fixedRate === null) throw new Error('needs the fixed-rate generator (a C compiler)');
await prepareMeshlet('dist');
const upstream = await startNodeServer('upstream.ts');
const sink = args.system === 'traced' ? await startNodeServer('otlp-sink.ts') : null;
const tmp = mkdtempSync(join(tmpdir(), 'meshlet-after-load-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const envOf = (label: string): Record<string, string> => {
  const entry = args.env.find((e) => e.startsWith(`${label}=`));
  if (entry === undefined) return {};
  return Object.fromEntries(
    entry
      .slice(label.length + 1)
      .split(',')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
};

const rows = [
  `${args.system === 'mtls' ? 'two sidecars, mTLS (figures per sidecar: A / B)' : 'one hop, metrics + tracing 1 %'}, ${args.wrk === undefined ? `${rate} req/s` : `wrk, ${args.wrk} connections,`} for ${seconds} s`,
  '',
  '| variant | req/s | CPU s/1k | RSS idle | RSS peak | RSS after | V8 pages | malloc heap | other anon | file-backed | heap used / committed |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const variant of args.variant) {
  const label = variant.slice(0, variant.indexOf('='));
  const flags = variant
    .slice(variant.indexOf('=') + 1)
    .split(/\s+/)
    .filter(Boolean);
  const env = envOf(label);
  const saved = { ...process.env };
  Object.assign(process.env, env); // the sidecars inherit the bench's environment
  const options: MeshletOptions = {
    workers: 1,
    cpuProfDir: null,
    nodeFlags: [...SHIPPED_NODE_FLAGS, ...flags],
  };
  let target: Target;
  try {
    target =
      args.system === 'mtls'
        ? await startMeshPath(upstream.port, tmp, true, options)
        : await startMeshletOneHop(
            upstream.port,
            tmp,
            { metrics: true, sampling: 0.01, otlpEndpoint: `http://127.0.0.1:${sink!.port}/v1/traces` },
            options,
          );
  } finally {
    process.env = saved;
  }
  const pids = target.proxyPids();
  const admins = pids.map((pid) => {
    const m = /MESHLET_ADMIN_PORT=(\d+)/.exec(
      readFileSync(`/proc/${pid}/environ`, 'utf8').replaceAll('\0', ' '),
    );
    return Number(m?.[1]);
  });
  await sleep(1000);
  const idle = pids.map((pid) => split(pid).rss);
  const peak = pids.map(() => 0);
  const sampler = setInterval(() => {
    pids.forEach((pid, i) => {
      peak[i] = Math.max(peak[i]!, split(pid).rss);
    });
  }, 500);
  const cpuBefore = cpuSeconds(pids);
  const load =
    args.wrk === undefined
      ? await runFixedRate(tools.fixedRate, target, rate, seconds)
      : await runWrk(tools.wrk!, target, Number(args.wrk), seconds);
  const cpuPer1k = ((cpuSeconds(pids) - cpuBefore) / load.requests) * 1000;
  clearInterval(sampler);
  await sleep(2000);
  const after = pids.map(split);
  const heaps = await Promise.all(admins.map(v8Figures));
  await target.stop();
  const f = (xs: number[]) => xs.map((x) => (x / MiB).toFixed(0)).join(' / ');
  rows.push(
    `| ${label}${flags.length > 0 ? ` (\`${flags.join(' ')}\`)` : ''}${Object.keys(env).length > 0 ? ` ${Object.entries(env).map(([k, v]) => `${k}=${v}`)}` : ''} | ${load.rps.toFixed(0)} | ${cpuPer1k.toFixed(3)} | ${f(idle)} | ${f(peak)} | ${f(after.map((s) => s.rss))} | ${f(after.map((s) => s.v8Pages))} | ${f(after.map((s) => s.mallocHeap))} | ${f(after.map((s) => s.otherAnon))} | ${f(after.map((s) => s.file))} | ${heaps.map((h) => `${(h.used / MiB).toFixed(0)}/${(h.committed / MiB).toFixed(0)}`).join(' · ')} |`,
  );
  log(rows.at(-1)!);
}
await upstream.stop();
await sink?.stop();
process.stdout.write(`${rows.join('\n')}\n`);
process.exit(0);
