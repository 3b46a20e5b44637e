// `meshlet run`: wiring only. Read the settings and the config (exit 1 if
// either is invalid), build the shared sidecar state, start the outbound,
// inbound and admin listeners, watch the config, drain on SIGTERM. What each
// piece does lives in its own module; docs/architecture.md walks through it.
import { readFileSync } from 'node:fs';
import { appProbeRoute } from '../admin/app-probes.ts';
import { followPrimaryLogLevel } from '../admin/logging.ts';
import { createAdminServer } from '../admin/server.ts';
import { allowDecision } from '../authz/allow.ts';
import { Balancing } from '../balance/wiring.ts';
import { formatIssue, loadMeshText } from '../config/load.ts';
import { ConfigStore } from '../config/store.ts';
import type { CompiledMesh, SidecarIdentity } from '../config/types.ts';
import { watchConfig } from '../config/watch.ts';
import { MESH_CONFIG_FILE, PORTS } from '../contract.ts';
import { UpstreamPools } from '../forward/pools.ts';
import { serveTls } from '../listener/front-door.ts';
import { createInboundListener } from '../listener/inbound.ts';
import { createOutboundListener } from '../listener/outbound.ts';
import { drainer } from '../runtime/drain.ts';
import { processProbe, startIdleGc } from '../runtime/idle-gc.ts';
import { listen } from '../runtime/listen.ts';
import { isReady, watchReadiness } from '../runtime/readiness.ts';
import type { Sidecar } from '../sidecar.ts';
import { AccessLog } from '../telemetry/access-log.ts';
import { LazyTracing } from '../telemetry/lazy-tracing.ts';
import { log } from '../telemetry/log.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { noopMetrics } from '../telemetry/noop.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { InboundTls } from '../tls/inbound.ts';
import { TlsMaterial } from '../tls/material.ts';
import { meshConnectOptions, meshConnector } from '../tls/outbound.ts';
import { peerSpiffeId } from '../tls/spiffe.ts';
import { EXIT_FAILED, runCommand } from './args.ts';
import { type RunFlags, readSettings, SettingsError } from './env.ts';
import { isWorker, reportToPrimary, runPrimary } from './workers.ts';

export const USAGE = `usage: meshlet run [-c PATH] [--outbound-port N] [--inbound-port N] [--admin-port N] [--bind ADDR]

Starts the sidecar: the outbound listener (${PORTS.outbound}) for the app's calls, the
inbound listener (${PORTS.inbound}) for calls to the app, and the admin port (${PORTS.admin}):
/ (a live page), /healthz, /ready, /metrics, /config, /endpoints, /explain,
/logging, /stats.json and POST /quitquitquit. Edits to the config file apply
live; an invalid edit is refused and the last good config keeps serving. On
SIGTERM it stops accepting, fails /ready and drains ($MESHLET_DRAIN_SECONDS,
default 5) before it exits.

The pod's identity comes from MESHLET_SERVICE, MESHLET_NAMESPACE,
MESHLET_VERSION, MESHLET_SERVICE_ACCOUNT and MESHLET_APP_PORT (set by
\`meshlet inject\`). Logs go to stdout as JSON lines at $MESHLET_LOG_LEVEL
(default info; POST /logging?level=debug changes it); MESHLET_ACCESS_LOG=1
turns the access log on. Every MESHLET_* setting is listed in
docs/configuration.md; a flag wins over its variable.

  -c, --config PATH     mesh.yaml (default $MESHLET_CONFIG, else ${MESH_CONFIG_FILE})
  --outbound-port N     outbound listener port (default $MESHLET_OUTBOUND_PORT, else ${PORTS.outbound})
  --inbound-port N      inbound listener port (default $MESHLET_INBOUND_PORT, else ${PORTS.inbound})
  --admin-port N        admin port (default $MESHLET_ADMIN_PORT, else ${PORTS.admin})
  --bind ADDR           address of every listener (default $MESHLET_BIND; unset:
                        127.0.0.1 for outbound and admin, 0.0.0.0 for inbound)
  -h, --help            this text

exit status: 0 drained after SIGTERM or POST /quitquitquit, 1 invalid settings
or config at start-up, or a port that cannot be bound, 2 a usage error.

examples:
  meshlet run --config mesh.yaml
  MESHLET_SERVICE=productpage MESHLET_APP_PORT=9080 meshlet run -c mesh.yaml --admin-port 15100
  MESHLET_LOG_LEVEL=debug MESHLET_ACCESS_LOG=1 meshlet run -c mesh.yaml
`;

export const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'outbound-port': { type: 'string' },
  'inbound-port': { type: 'string' },
  'admin-port': { type: 'string' },
  bind: { type: 'string' },
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand('run', argv, { options: OPTIONS, usage: USAGE }, async ({ values }) => {
    try {
      return await runSidecar(values);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      process.stderr.write(`meshlet: ${err.message}\n`);
      return EXIT_FAILED;
    }
  });
}

async function runSidecar(flags: RunFlags): Promise<number> {
  const settings = readSettings(flags, process.env);
  const { self, ports, drainMs } = settings;
  const file = settings.configFile;
  const initial = readStartupConfig(file, self);
  if (initial === null) return 1;

  // Several event loops: this process supervises, serves the admin port and forks the workers.
  if (settings.workers > 1 && !isWorker()) {
    return runPrimary({
      workers: settings.workers,
      file,
      text: initial.text,
      mesh: initial.mesh,
      self,
      adminPort: ports.admin,
      adminHost: settings.bind ?? '127.0.0.1',
      drainMs,
      appProbers: settings.appProbers,
      log,
    });
  }

  // Shared state: the published config, telemetry, upstream pools, certificates.
  // One random source for the weighted version pick and the trace sampling draw.
  const random = Math.random;
  const config = new ConfigStore(initial.mesh);
  const registered = settings.metrics ? createMetrics({ istioCompat: settings.istioCompat }) : null;
  const metrics: MeshMetrics = registered ?? noopMetrics;
  metrics.configReload('success', initial.mesh.hash);
  const tracing = new LazyTracing(self.service, random, () => metrics.tracingSpanDropped(), log);
  tracing.configure(initial.mesh.tracing.sampling, initial.mesh.tracing.otlpEndpoint);
  const pools = new UpstreamPools({ idleTimeoutMs: initial.mesh.upstreamIdleTimeoutMs });
  // Endpoints of every version (DNS or `endpoints:`), their health, and the canary guards.
  const balancing = new Balancing({ metrics, log, dnsServers: settings.dnsServers });
  balancing.apply(initial.mesh);
  const accessLog = new AccessLog(log, { forced: settings.accessLog });
  accessLog.configure(initial.mesh.accessLog);
  config.on('change', (next) => {
    pools.setIdleTimeout(next.upstreamIdleTimeoutMs);
    void balancing.applyInSlices(next);
    tracing.configure(next.tracing.sampling, next.tracing.otlpEndpoint);
    accessLog.configure(next.accessLog);
  });
  // Certificates are watched from the start: a reload may turn mTLS on later.
  const material = new TlsMaterial(settings.tlsDir, {
    log,
    needed: () => config.current.pod.needsCertificates,
  });
  config.on('change', (next) => {
    if (next.pod.needsCertificates && !material.ready)
      log.warn(
        { dir: settings.tlsDir },
        'mTLS is on but no usable tls material yet: mesh calls fail until it loads',
      );
  });
  await material.start();
  pools.setTlsConnector((spiffeId, alpn) =>
    meshConnector(material, spiffeId, (reason) => metrics.tlsHandshakeFailure('outbound', reason), {
      timeoutMs: 5000,
      alpnProtocols: alpn,
    }),
  );
  const sidecar: Sidecar = {
    meshTls: (spiffeId) => meshConnectOptions(material, spiffeId),
    config,
    pools,
    balancing,
    metrics,
    tracing,
    log,
    random,
    self,
    appPort: settings.appPort,
    accessLog,
    limits: settings.limits,
    draining: false,
    inFlight: 0,
  };

  // Listeners: outbound (the app's calls), inbound (calls to the app, mTLS or plaintext), admin.
  const outbound = createOutboundListener(sidecar);
  const inboundTls = new InboundTls(material, {
    trustDomain: () => config.current.trustDomain,
    // HTTP/2 or HTTP/1.1, by what ALPN negotiated (listener/front-door.ts).
    onSecureConnection: (socket) => serveTls(inbound, socket),
    onHandshakeFailure: (reason) => metrics.tlsHandshakeFailure('inbound', reason),
  });
  const inbound = createInboundListener(
    sidecar,
    { peerIdentity: (socket) => peerSpiffeId(socket, config.current.trustDomain), allowDecision },
    inboundTls,
  );
  let stopWatching = (): void => {};
  let stopIdleGc = (): void => {};
  const drain = drainer(sidecar, [outbound, inbound], {
    drainMs,
    cleanup: async () => {
      stopWatching();
      stopIdleGc();
      material.close();
      admin.close();
      balancing.close();
      await pools.close();
      await tracing.shutdown();
    },
  });
  const quit = (): void => {
    void drain().then(() => process.exit(0));
  };
  const admin = createAdminServer(sidecar, {
    ready: () => isReady({ config, certificates: material }),
    quit,
    extra: appProbeRoute(settings.appProbers),
  });

  // A worker binds its own sockets (SO_REUSEPORT); the primary serves the admin port
  // and scrapes the worker's registry.
  const worker = isWorker();
  const report = worker ? reportToPrimary(registered?.registry ?? null) : null;
  if (worker) followPrimaryLogLevel(log);
  // First DNS answers before the first request (at most 2 s: a dead resolver must not hold the start).
  await balancing.ready(2000);
  // Memory back to the system once traffic stops (runtime/idle-gc.ts). Reading a large mesh.yaml
  // peaks at about 140 MiB of heap for 2,000 services: those pages go back before serving, not on
  // the first idle check, which still collects what listening and the first seconds leave
  // (docs/performance.md). One probe for both: V8's gc is taken once.
  const heap = processProbe();
  heap.collect();
  stopIdleGc = startIdleGc(
    {
      onCollect: (before, after) =>
        log.debug({ heapBeforeBytes: before, heapAfterBytes: after }, 'idle: collected the heap'),
      onRelease: (before, released) =>
        log.debug({ fileBytesBefore: before, releasedBytes: released }, 'idle: released file pages'),
    },
    heap,
  ).stop;
  try {
    await Promise.all([
      listen(outbound.server, ports.outbound, settings.bind ?? '127.0.0.1', worker),
      listen(inbound.server, ports.inbound, settings.bind ?? '0.0.0.0', worker),
      worker ? null : listen(admin, ports.admin, settings.bind ?? '127.0.0.1', false),
    ]);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot listen');
    process.stderr.write(`meshlet: cannot listen: ${(err as Error).message}\n`);
    // Listeners that did bind, timers and watchers would keep the process up: exit now.
    process.exit(1);
  }

  // Running: follow config edits, tell a primary when this worker can serve, drain on a signal.
  stopWatching = watchConfig({ file, self, store: config, log, metrics }, initial.text);
  if (report !== null) watchReadiness(config, material, report);
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
  log.info(
    // The service is on every line already (the logger's base fields).
    { ports, config: file, hash: initial.mesh.hash, version: self.version },
    'meshlet started',
  );
  return new Promise<number>(() => {});
}

/** The config at start-up, or null after reporting why it cannot be used. */
function readStartupConfig(file: string, self: SidecarIdentity): { text: string; mesh: CompiledMesh } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`meshlet: cannot read config ${file}: ${(err as Error).message}\n`);
    return null;
  }
  const loaded = loadMeshText(text, file, self);
  if (!loaded.ok) {
    for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    log.fatal({ errors: loaded.issues.map(formatIssue) }, 'invalid config at start-up');
    return null;
  }
  return { text, mesh: loaded.mesh };
}
