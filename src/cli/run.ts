// `meshlet run`: wiring only. Load config (exit 1 if invalid), build the shared
// sidecar state, start the outbound, inbound and admin listeners, watch the
// config, drain on SIGTERM.
import type { Server } from 'node:http';
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
import { noopMetrics, noopTracing } from '../telemetry/noop.ts';
import { durationEnv, flagEnv, identityFromEnv, intEnv } from './env.ts';

export async function run(argv: string[]): Promise<number> {
  const env = process.env;
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      'outbound-port': { type: 'string' },
      'inbound-port': { type: 'string' },
      'admin-port': { type: 'string' },
      bind: { type: 'string' },
    },
  });
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
    outbound: Number(values['outbound-port'] ?? intEnv(env, 'MESHLET_OUTBOUND_PORT', 15001)),
    inbound: Number(values['inbound-port'] ?? intEnv(env, 'MESHLET_INBOUND_PORT', 15006)),
    admin: Number(values['admin-port'] ?? intEnv(env, 'MESHLET_ADMIN_PORT', 15000)),
  };
  const bind = values.bind ?? env.MESHLET_BIND;
  const config = new ConfigStore(loaded.mesh);
  const metrics = noopMetrics;
  const tracing = noopTracing;
  const pools = new UpstreamPools({ idleTimeoutMs: loaded.mesh.upstreamIdleTimeoutMs });

  const sidecar: Sidecar = {
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

  const outbound = createOutboundListener(sidecar, () => false);
  const inbound = createInboundListener(sidecar, {
    peerIdentity: () => null,
    allowDecision: () => ({ allowed: true, audited: false }),
  });
  const drainMs = durationEnv(env, 'MESHLET_DRAIN_SECONDS', 5000);
  let stopWatching = (): void => {};
  const quit = (): void => {
    void drain(sidecar, [outbound, inbound], drainMs, async () => {
      stopWatching();
      admin.close();
      await pools.close();
      await tracing.shutdown();
    });
  };
  const admin = createAdminServer(sidecar, { ready: () => true, quit });

  try {
    await Promise.all([
      listen(outbound, ports.outbound, bind ?? '127.0.0.1'),
      listen(inbound, ports.inbound, bind ?? '0.0.0.0'),
      listen(admin, ports.admin, bind ?? '127.0.0.1'),
    ]);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot listen');
    return 1;
  }
  stopWatching = watchConfig({ file, self, store: config, log, metrics }, text);
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
  log.info(
    { ports, config: file, hash: loaded.mesh.hash, service: self.service, version: self.version },
    'meshlet started',
  );
  return new Promise<number>(() => {});
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
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
  servers: Server[],
  drainMs: number,
  cleanup: () => Promise<void>,
): Promise<void> {
  if (sidecar.draining) return;
  sidecar.draining = true;
  sidecar.log.info({ inFlight: sidecar.inFlight, drainMs }, 'draining');
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
