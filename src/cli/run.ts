// `meshlet run`: wiring only. Load config (exit 1 if invalid), build the shared
// sidecar state, start the outbound, inbound and admin listeners, watch the
// config, drain on SIGTERM.
import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAdminServer } from '../admin/server.ts';
import { formatIssue, loadMeshText } from '../config/load.ts';
import { ConfigStore } from '../config/store.ts';
import { watchConfig } from '../config/watch.ts';
import { UpstreamPools } from '../forward/pools.ts';
import { createInboundListener } from '../listener/inbound.ts';
import { createOutboundListener } from '../listener/outbound.ts';
import type { Sidecar } from '../sidecar.ts';
import { log } from '../telemetry/log.ts';
import { allowDecision } from '../authz/allow.ts';
import { appHealthStatus } from '../inject/app-probe.ts';
import { APP_HEALTH_PREFIX, parseAppProbers } from '../inject/probes.ts';
import type { Listener } from '../listener/accept.ts';
import { LazyTracing } from '../telemetry/lazy-tracing.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { noopMetrics } from '../telemetry/noop.ts';
import { InboundTls } from '../tls/inbound.ts';
import { TlsMaterial } from '../tls/material.ts';
import { meshConnectOptions, meshConnector } from '../tls/outbound.ts';
import { peerSpiffeId } from '../tls/spiffe.ts';
import type { CompiledMesh } from '../config/types.ts';
import type { Registry } from 'prom-client';
import { durationEnv, flagEnv, identityFromEnv, intEnv, portSetting, SettingsError } from './env.ts';
import { isWorker, reportToPrimary, runPrimary } from './workers.ts';

const USAGE = `usage: meshlet run [--config PATH] [--outbound-port N] [--inbound-port N] [--admin-port N] [--bind ADDR]

Starts the sidecar: outbound listener (15001), inbound listener (15006), admin
port (15000: /healthz /ready /metrics /config). The pod's identity comes from
MESHLET_SERVICE, MESHLET_NAMESPACE, MESHLET_VERSION, MESHLET_SERVICE_ACCOUNT and
MESHLET_APP_PORT; every setting is listed in docs/configuration.md.

  -c, --config PATH   mesh.yaml (default $MESHLET_CONFIG or /etc/meshlet/mesh.yaml)
`;

function parseRunArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      'outbound-port': { type: 'string' },
      'inbound-port': { type: 'string' },
      'admin-port': { type: 'string' },
      bind: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await runSidecar(argv);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`meshlet: ${err.message}\n`);
    return 1;
  }
}

async function runSidecar(argv: string[]): Promise<number> {
  const env = process.env;
  let values: ReturnType<typeof parseRunArgs>['values'];
  try {
    values = parseRunArgs(argv).values;
  } catch (err) {
    process.stderr.write(`meshlet run: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = values.config ?? env.MESHLET_CONFIG ?? '/etc/meshlet/mesh.yaml';
  const self = identityFromEnv(env);

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`meshlet: cannot read config ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const loaded = loadMeshText(text, file, self);
  if (!loaded.ok) {
    for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    log.fatal({ errors: loaded.issues.map(formatIssue) }, 'invalid config at start-up');
    return 1;
  }

  const ports = {
    outbound: portSetting(values['outbound-port'], env, 'MESHLET_OUTBOUND_PORT', 15001),
    inbound: portSetting(values['inbound-port'], env, 'MESHLET_INBOUND_PORT', 15006),
    admin: portSetting(values['admin-port'], env, 'MESHLET_ADMIN_PORT', 15000),
  };
  const bind = values.bind ?? env.MESHLET_BIND;
  const drainMs = durationEnv(env, 'MESHLET_DRAIN_SECONDS', 5000);
  const workers = intEnv(env, 'MESHLET_WORKERS', 1);
  if (workers > 1 && !isWorker()) {
    return runPrimary({
      workers,
      file,
      text,
      mesh: loaded.mesh,
      self,
      adminPort: ports.admin,
      adminHost: bind ?? '127.0.0.1',
      drainMs,
      log,
    });
  }
  const config = new ConfigStore(loaded.mesh);
  const metrics = flagEnv(env, 'MESHLET_METRICS', true)
    ? createMetrics({ istioCompat: env.MESHLET_METRICS_COMPAT === 'istio' })
    : noopMetrics;
  const tracing = new LazyTracing(self.service, Math.random, () => metrics.tracingSpanDropped(), log);
  tracing.configure(loaded.mesh.tracing.sampling, loaded.mesh.tracing.otlpEndpoint);
  const pools = new UpstreamPools({ idleTimeoutMs: loaded.mesh.upstreamIdleTimeoutMs });
  let probers: ReturnType<typeof parseAppProbers>;
  try {
    probers = parseAppProbers(env.MESHLET_APP_PROBERS);
  } catch (err) {
    process.stderr.write(`meshlet: ${(err as Error).message}\n`);
    return 1;
  }

  // Certificates are watched from the start: a reload may turn mTLS on later.
  const material = new TlsMaterial(env.MESHLET_TLS_DIR ?? '/var/run/secrets/meshlet', { log });
  await material.start();
  pools.setTlsConnector((spiffeId) =>
    meshConnector(material, spiffeId, (reason) => metrics.tlsHandshakeFailure('outbound', reason), {
      timeoutMs: 5000,
    }),
  );

  const sidecar: Sidecar = {
    meshTls: (spiffeId) => meshConnectOptions(material, spiffeId),
    config,
    pools,
    metrics,
    tracing,
    log,
    random: Math.random,
    self,
    appPort: intEnv(env, 'MESHLET_APP_PORT', 8080),
    accessLog: flagEnv(env, 'MESHLET_ACCESS_LOG', false),
    limits: {
      maxHeaderBytes: intEnv(env, 'MESHLET_MAX_HEADER_BYTES', 60 * 1024),
      headersTimeoutMs: durationEnv(env, 'MESHLET_HEADERS_TIMEOUT', 10_000),
      keepAliveTimeoutMs: durationEnv(env, 'MESHLET_DOWNSTREAM_IDLE_TIMEOUT', 60_000),
    },
    draining: false,
    inFlight: 0,
  };
  metrics.configReload('success', loaded.mesh.hash);
  config.on('change', (next) => {
    pools.setIdleTimeout(next.upstreamIdleTimeoutMs);
    tracing.configure(next.tracing.sampling, next.tracing.otlpEndpoint);
  });

  const outbound = createOutboundListener(sidecar);
  const inboundTls = new InboundTls(material, {
    trustDomain: () => config.current.trustDomain,
    onSecureConnection: (socket) => {
      inbound.http.emit('connection', socket);
    },
    onHandshakeFailure: (reason) => metrics.tlsHandshakeFailure('inbound', reason),
  });
  const inbound: Listener = createInboundListener(
    sidecar,
    {
      peerIdentity: (socket) => peerSpiffeId(socket, config.current.trustDomain),
      allowDecision,
    },
    inboundTls,
  );
  let stopWatching = (): void => {};
  const quit = (): void => {
    void drain(sidecar, [outbound, inbound], drainMs, async () => {
      stopWatching();
      material.close();
      admin.close();
      await pools.close();
      await tracing.shutdown();
    });
  };
  const admin = createAdminServer(sidecar, {
    ready: () => !needsCertificates(config.current) || material.ready,
    quit,
    extra: (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (!path.startsWith(APP_HEALTH_PREFIX)) return false;
      void appHealthStatus(probers, path).then((status) => {
        res.writeHead(status ?? 404, { 'content-type': 'text/plain' });
        res.end(status === undefined ? 'no such app probe\n' : `${status}\n`);
      });
      return true;
    },
  });

  // A worker binds its own sockets (SO_REUSEPORT); the primary serves the admin port.
  const worker = isWorker();
  const report = worker
    ? reportToPrimary('registry' in metrics ? (metrics.registry as Registry) : null)
    : null;
  try {
    await Promise.all([
      listen(outbound.server, ports.outbound, bind ?? '127.0.0.1', worker),
      listen(inbound.server, ports.inbound, bind ?? '0.0.0.0', worker),
      worker ? null : listen(admin, ports.admin, bind ?? '127.0.0.1', false),
    ]);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot listen');
    process.stderr.write(`meshlet: cannot listen: ${(err as Error).message}\n`);
    // Listeners that did bind, timers and watchers would keep the process up: exit now.
    process.exit(1);
  }
  stopWatching = watchConfig({ file, self, store: config, log, metrics }, text);
  if (report !== null) {
    const status = () => report(!needsCertificates(config.current) || material.ready);
    status();
    material.on('rotate', status);
    config.on('change', status);
  }
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
  log.info(
    { ports, config: file, hash: loaded.mesh.hash, service: self.service, version: self.version },
    'meshlet started',
  );
  return new Promise<number>(() => {});
}

/** /ready waits for certificates only where some traffic will use mTLS. */
function needsCertificates(mesh: CompiledMesh): boolean {
  if (mesh.mtls !== 'disable') return true;
  for (const s of mesh.services.values()) if (s.mtls !== 'disable') return true;
  return false;
}

function listen(server: Server | NetServer, port: number, host: string, reusePort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: reusePort, reusePort }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * SIGTERM: stop accepting, report not-ready, let in-flight requests finish
 * (responses say `connection: close`), and exit 0 when they are done or the
 * drain time is up.
 */
async function drain(
  sidecar: Sidecar,
  listeners: Listener[],
  drainMs: number,
  cleanup: () => Promise<void>,
): Promise<void> {
  if (sidecar.draining) return;
  sidecar.draining = true;
  sidecar.log.info({ inFlight: sidecar.inFlight, drainMs }, 'draining');
  const servers = listeners.map((l) => l.http);
  for (const l of listeners) l.server.close();
  for (const s of servers) {
    s.close();
    s.closeIdleConnections();
  }
  const deadline = Date.now() + drainMs;
  while (sidecar.inFlight > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    for (const s of servers) s.closeIdleConnections();
  }
  if (sidecar.inFlight > 0)
    sidecar.log.warn({ inFlight: sidecar.inFlight }, 'drain time over; closing remaining requests');
  for (const s of servers) s.closeAllConnections();
  await cleanup().catch(() => {});
  sidecar.log.info('drained, exiting');
  process.exit(0);
}
