// Admin port: liveness, readiness, metrics, the effective config, and a drain
// trigger for Jobs. Never on the request path of the app's traffic.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Balancing } from '../balance/wiring.ts';
import { formatIssue } from '../config/load.ts';
import type { ConfigStore } from '../config/store.ts';
import type { CompiledMesh } from '../config/types.ts';
import { createServer } from '../runtime/node-http.ts';
import { type LogLevel, log } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { type VersionInfo, versionInfo } from '../version.ts';
import { serveExplain } from './explain.ts';
import { serveLogging } from './logging.ts';
import { PAGE_ASSETS, servePageAsset } from './page/assets.ts';
import { serveStats } from './page/stats.ts';

/** What the admin port reads: a sidecar, or the primary of a multi-worker sidecar. */
export interface AdminView {
  readonly config: ConfigStore;
  readonly metrics: Pick<MeshMetrics, 'render'>;
  readonly draining: boolean;
  /** Endpoint sets and canary guards (a worker's own; absent on a multi-worker primary). */
  readonly balancing?: Pick<Balancing, 'endpoints' | 'guards' | 'steer'>;
}

export interface AdminHooks {
  /** True once config and (where mTLS is on) certificates are loaded. */
  ready(): boolean;
  /** Starts the drain (POST /quitquitquit). */
  quit(): void;
  /** After POST /logging set a level (a multi-worker primary passes it on). */
  logLevelChanged?(level: LogLevel): void;
  /** Extra routes (e.g. kubelet app probes rewritten through the admin port); return false if not handled. */
  extra?(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createAdminServer(sidecar: AdminView, hooks: AdminHooks): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz':
        return text(res, 200, 'ok\n');
      case '/ready':
        if (sidecar.draining) return text(res, 503, 'draining\n');
        return hooks.ready() ? text(res, 200, 'ready\n') : text(res, 503, 'not ready\n');
      case '/metrics':
        sidecar.metrics.render(req.headers.accept).then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          (err: Error) => text(res, 500, `${err.message}\n`),
        );
        return;
      case '/explain':
        return serveExplain(res, sidecar.config.current, req.url ?? '/', sidecar.balancing);
      case '/config':
        return json(res, 200, describeConfig(sidecar));
      case '/endpoints':
        if (sidecar.balancing === undefined) return text(res, 404, 'endpoints are kept by each worker\n');
        return json(res, 200, sidecar.balancing.endpoints());
      case '/logging':
        return serveLogging(req, res, log, isLoopback(req.socket.remoteAddress), hooks.logLevelChanged);
      case '/stats.json':
        return serveStats(res, sidecar);
      case '/quitquitquit':
        if (req.method !== 'POST') return text(res, 405, 'use POST\n');
        // The admin port may be bound to the pod IP for kubelet probes; only the pod itself may stop us.
        if (!isLoopback(req.socket.remoteAddress)) return text(res, 403, 'only from localhost\n');
        text(res, 200, 'draining\n');
        hooks.quit();
        return;
    }
    if (PAGE_ASSETS.has(path)) return servePageAsset(res, path);
    if (hooks.extra?.(req, res)) return;
    text(res, 404, 'not found\n');
  });
}

function isLoopback(address: string | undefined): boolean {
  return (
    address !== undefined &&
    (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'))
  );
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(value, null, 2)}\n`);
}

// Read once: finding the commit may run git.
let version: VersionInfo | undefined;

/** The /config document: what is serving, where it came from, and the last rejected edit. */
function describeConfig(sidecar: AdminView): unknown {
  const mesh = sidecar.config.current;
  const lastError = sidecar.config.lastError;
  return {
    meshlet: (version ??= versionInfo()),
    hash: mesh.hash,
    loadedAt: mesh.loadedAt.toISOString(),
    source: mesh.source,
    lastReloadError:
      lastError === null
        ? null
        : {
            at: lastError.at.toISOString(),
            errors: lastError.issues.map(formatIssue),
            issues: lastError.issues,
          },
    self: mesh.self,
    trustDomain: mesh.trustDomain,
    mtls: mesh.mtls,
    outboundTrafficPolicy: mesh.outboundTrafficPolicy,
    tracing: mesh.tracing,
    canaryGuards: sidecar.balancing?.guards() ?? [],
    services: effectiveServices(mesh),
  };
}

function effectiveServices(mesh: CompiledMesh): unknown[] {
  return [...mesh.services.values()].map((s) => ({
    name: s.name,
    fqdn: s.fqdn,
    spiffeId: s.spiffeId,
    port: s.port,
    mtls: s.mtls,
    timeoutMs: s.timeoutMs,
    retry: s.retry === null ? null : { ...s.retry, statuses: [...s.retry.statuses] },
    versions: Object.fromEntries(
      [...s.versions.values()].map((v) => [v.name, { host: v.host, port: v.port }]),
    ),
    routes: s.routes.map((r, i) => ({
      name: r.name,
      match: mesh.raw.services?.[s.name]?.routes?.[i]?.match ?? {},
      split: Object.fromEntries(
        r.targets.map((t, j) => [t.name, r.cumulative[j]! - (j === 0 ? 0 : r.cumulative[j - 1]!)]),
      ),
      sticky: r.sticky,
      timeoutMs: r.timeoutMs,
    })),
    allowMode: s.allow?.mode ?? null,
    allow: mesh.raw.services?.[s.name]?.allow ?? null,
  }));
}
