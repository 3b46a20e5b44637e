// The heap cost of a large config, in-process and RSS-independent: heap used
// after forced GC before and after compiling test/helpers/big-mesh.ts, after
// balancing applies it, and after a first request's balancing state for a
// number of versions; then the size of a /metrics scrape. The "A 2,000-service
// config" section of BENCHMARKS.md comes from it.
//
//   node --expose-gc bench/memory/big-config.ts [--services 2000] [--used 100] [--reps 3]
//
// Imports src/ directly (no build needed). Each rep runs in a fresh process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '2000' },
    used: { type: 'string', default: '100' },
    reps: { type: 'string', default: '3' },
    child: { type: 'boolean', default: false },
  },
});
const MiB = 2 ** 20;

interface Figures {
  compiled: number;
  applied: number;
  used: number;
  scrapeBytes: number;
  scrapeLines: number;
}

async function measure(services: number, usedVersions: number): Promise<Figures> {
  const { bigMesh } = await import('../../test/helpers/big-mesh.ts');
  const { loadMeshText } = await import('../../src/config/load.ts');
  const { Balancing } = await import('../../src/balance/wiring.ts');
  const { UpstreamPools } = await import('../../src/forward/pools.ts');
  const { createMetrics } = await import('../../src/telemetry/metrics.ts');
  const { createLogger } = await import('../../src/telemetry/log.ts');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const heap = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    return process.memoryUsage().heapUsed;
  };
  const self = {
    service: 'bench-client',
    workload: 'bench-client',
    namespace: 'default',
    version: 'v1',
    serviceAccount: 'bench-client',
  };
  const metrics = createMetrics({ istioCompat: false });
  const log = createLogger('silent');
  const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
  // Warm the compile and balancing code on a one-service config first, so the code itself is not counted.
  const small = loadMeshText(bigMesh(1), 'mesh.yaml', self);
  if (!small.ok) throw new Error('small config did not load');
  new Balancing({ metrics, log, dnsServers: null }).apply(small.mesh);
  const text = bigMesh(services);
  const h0 = await heap();
  const r = loadMeshText(text, 'mesh.yaml', self);
  if (!r.ok) throw new Error('big config did not load');
  const h1 = await heap();
  const balancing = new Balancing({ metrics, log, dnsServers: null });
  balancing.apply(r.mesh);
  const h2 = await heap();
  let n = 0;
  for (const service of r.mesh.services.values()) {
    for (const version of service.versions.values()) {
      if (n++ >= usedVersions) break;
      balancing.upstream(version, pools, null, null)?.finished();
    }
  }
  const h3 = await heap();
  const scrape = (await metrics.render(undefined)).body;
  balancing.close();
  await pools.close();
  return {
    compiled: h1 - h0,
    applied: h2 - h1,
    used: h3 - h2,
    scrapeBytes: Buffer.byteLength(scrape),
    scrapeLines: scrape.split('\n').length,
  };
}

const services = Number(args.services);
const used = Number(args.used);
if (args.child) {
  process.stdout.write(JSON.stringify(await measure(services, used)));
} else {
  const runs: Figures[] = [];
  for (let i = 0; i < Number(args.reps); i++) {
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        fileURLToPath(import.meta.url),
        '--child',
        '--services',
        String(services),
        '--used',
        String(used),
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`child exited ${child.status}: ${child.stderr.slice(-600)}`);
    runs.push(JSON.parse(child.stdout) as Figures);
  }
  const row = (name: string, pick: (f: Figures) => number, unit: (x: number) => string) => {
    const xs = runs.map(pick).sort((a, b) => a - b);
    const median = xs[Math.floor((xs.length - 1) / 2)]!;
    return `| ${name} | ${unit(median)} | ${unit(xs[0]!)}–${unit(xs.at(-1)!)} |`;
  };
  const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  process.stdout.write(
    [
      `${services} services, first request on ${used} versions, median of ${runs.length} (heap used after forced GC)`,
      '',
      '| what | median | spread |',
      '| --- | ---: | ---: |',
      row('the compiled config', (f) => f.compiled, mib),
      row('`Balancing.apply`', (f) => f.applied, mib),
      row(`first request on ${used} versions`, (f) => f.used, mib),
      row(
        '/metrics scrape, bytes',
        (f) => f.scrapeBytes,
        (x) => `${(x / 1e6).toFixed(2)} MB`,
      ),
      row(
        '/metrics scrape, lines',
        (f) => f.scrapeLines,
        (x) => String(x),
      ),
      '',
    ].join('\n'),
  );
}
