// MESHLET_WORKERS=N (N > 1): N event loops share the listening ports. The
// primary holds the one admin endpoint, aggregates the workers' metrics and
// supervises them; each worker is a full sidecar without an admin port that
// binds the ports itself with SO_REUSEPORT, so the kernel spreads connections
// and no byte passes through the primary.
import cluster, { type Worker } from 'node:cluster';
import { createRequire } from 'node:module';
import type { AggregatorRegistry as PromAggregatorRegistry, Registry } from 'prom-client';
import { appProbeRoute } from '../admin/app-probes.ts';
import { broadcastLogLevel } from '../admin/logging.ts';
import { createAdminServer } from '../admin/server.ts';
import { ConfigStore } from '../config/store.ts';
import type { CompiledMesh, SidecarIdentity } from '../config/types.ts';
import { watchConfig } from '../config/watch.ts';
import type { AppProber } from '../inject/probes.ts';
import type { Logger } from '../telemetry/log.ts';
import { noopMetrics } from '../telemetry/noop.ts';

// By path: prom-client's package index loads its default metrics and, through
// them, @opentelemetry/api (see telemetry/metrics/exposition.ts).
const AggregatorRegistry = createRequire(import.meta.url)(
  'prom-client/lib/cluster',
) as typeof PromAggregatorRegistry;

interface WorkerStatus {
  readonly meshlet: 'status';
  readonly ready: boolean;
}

export interface PrimaryOptions {
  workers: number;
  file: string;
  text: string;
  mesh: CompiledMesh;
  self: SidecarIdentity;
  adminPort: number;
  adminHost: string;
  drainMs: number;
  /** The pod's app probes, answered on the primary's admin port as on a single sidecar's. */
  appProbers: ReadonlyMap<string, AppProber>;
  log: Logger;
}

export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  const { log } = opts;
  const aggregator = new AggregatorRegistry();
  const config = new ConfigStore(opts.mesh);
  const ready = new Map<number, boolean>();
  const view = {
    config,
    draining: false,
    metrics: {
      async render() {
        return { contentType: aggregator.contentType, body: await aggregator.clusterMetrics() };
      },
    },
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    ready.set(worker.id, false);
    worker.on('message', (msg: WorkerStatus) => {
      if (msg?.meshlet === 'status') ready.set(worker.id, msg.ready);
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (view.draining) return;
    // A worker that dies is replaced; its connections are lost, the others carry on.
    log.error({ worker: worker.id, code, signal }, 'worker exited; starting a new one');
    fork();
  });
  for (let i = 0; i < opts.workers; i++) fork();

  const quit = (): void => {
    if (view.draining) return;
    view.draining = true;
    log.info({ workers: Object.keys(cluster.workers ?? {}).length }, 'draining workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    const deadline = setTimeout(() => process.exit(0), opts.drainMs + 2000);
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        admin.close();
        log.info('all workers drained, exiting');
        process.exit(0);
      }
    }, 50);
  };

  const admin = createAdminServer(view, {
    ready: () => ready.size === opts.workers && [...ready.values()].every(Boolean),
    quit,
    logLevelChanged: broadcastLogLevel,
    extra: appProbeRoute(opts.appProbers),
  });
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(opts.adminPort, opts.adminHost, resolve);
  });
  // The primary watches the file too, only to show what is live on /config.
  watchConfig({ file: opts.file, self: opts.self, store: config, log, metrics: noopMetrics }, opts.text);
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
  log.info({ workers: opts.workers, admin: opts.adminPort }, 'meshlet primary started');
  return new Promise<number>(() => {});
}

/** In a worker: let the primary collect this registry, and tell it when the worker can serve. */
export function reportToPrimary(registry: Registry | null): (ready: boolean) => void {
  // Constructing one installs prom-client's worker-side listener that answers the primary.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(registry === null ? [] : [registry]);
  return (ready) => process.send?.({ meshlet: 'status', ready } satisfies WorkerStatus);
}

export const isWorker = (): boolean => cluster.isWorker;
