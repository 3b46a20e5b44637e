// The memory cost of a large config, measured in `npm run bench` beside its
// reference: an idle meshlet with the one-service bench config, then one with
// test/helpers/big-mesh.ts (2,000 services), each 5 s after /ready (past its
// first idle period), no load.
// See BENCHMARKS.md ("A 2,000-service config").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bigMesh } from '../../test/helpers/big-mesh.ts';
import { freePort, processTree, rssBytes, sleep, Tracked, waitForHttp200 } from '../lib/procs.ts';
import { meshletMain, REPO } from '../lib/targets.ts';

export const CONFIG_COST_ID = 'config-2000/idle';
const SERVICES = 2000;
const MiB = 2 ** 20;

export interface ConfigCost {
  id: string;
  services: number;
  /** RSS of the sidecar with the one-service bench config, MiB. */
  rssOneMiB: number;
  /** RSS of the sidecar with the large config, MiB. */
  rssBigMiB: number;
  addedMiB: number;
  /** With --repeat: RSS added in each round, sorted. */
  roundsAddedMiB?: number[];
}

/**
 * The bench's one-hop config (bench/lib/targets.ts), with or without a
 * tracing section; nothing connects to its port. bench/memory/breakdown.ts
 * measures the same sidecar.
 */
export function oneServiceMesh(tracing = false): string {
  return `trustDomain: cluster.local
mtls: disable
${tracing ? 'tracing:\n  sampling: 0.01\n  otlpEndpoint: http://127.0.0.1:4318/v1/traces\n' : ''}services:
  upstream:
    port: 80
    versions:
      v1: { host: 127.0.0.1, port: 9 }
      v2: { host: 127.0.0.1, port: 9 }
    routes:
      - split: { v1: 90, v2: 10 }
`;
}

/** RSS of an idle `meshlet run` with this config, 5 s after /ready (its process tree with workers). */
async function idleRss(
  dir: string,
  name: string,
  configText: string,
  opts: { nodeFlags: readonly string[]; workers: number },
): Promise<number> {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, configText);
  const admin = await freePort();
  const proc = new Tracked(
    name,
    process.execPath,
    [...opts.nodeFlags, meshletMain(), 'run', '--config', config],
    {
      cwd: REPO,
      env: {
        ...process.env,
        MESHLET_SERVICE: 'bench-client',
        MESHLET_SERVICE_ACCOUNT: 'bench-client',
        MESHLET_NAMESPACE: 'default',
        MESHLET_VERSION: 'v1',
        MESHLET_OUTBOUND_PORT: String(await freePort()),
        MESHLET_INBOUND_PORT: String(await freePort()),
        MESHLET_ADMIN_PORT: String(admin),
        MESHLET_BIND: '127.0.0.1',
        MESHLET_LOG_LEVEL: 'warn',
        MESHLET_DRAIN_SECONDS: '1',
        ...(opts.workers > 1 ? { MESHLET_WORKERS: String(opts.workers) } : {}),
      },
    },
  );
  try {
    await waitForHttp200(`http://127.0.0.1:${admin}/ready`, 60_000, proc);
    await sleep(5000);
    return rssBytes(processTree(proc.pid)) / MiB;
  } finally {
    await proc.stop(5000);
  }
}

export async function measureConfigCost(
  tmp: string,
  opts: { nodeFlags: readonly string[]; workers: number },
): Promise<ConfigCost> {
  const dir = join(tmp, 'config-cost');
  mkdirSync(dir, { recursive: true });
  const rssOneMiB = await idleRss(dir, 'meshlet-one-service', oneServiceMesh(), opts);
  const rssBigMiB = await idleRss(dir, `meshlet-${SERVICES}-services`, bigMesh(SERVICES), opts);
  return { id: CONFIG_COST_ID, services: SERVICES, rssOneMiB, rssBigMiB, addedMiB: rssBigMiB - rssOneMiB };
}
