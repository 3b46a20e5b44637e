// Probe rewriting. Under strict mTLS the inbound listener refuses kubelet's
// plaintext probes, so (like Istio's ISTIO_KUBE_APP_PROBERS) the injector
// points each app HTTP probe at the sidecar's admin port and hands the sidecar
// the original probe in MESHLET_APP_PROBERS; the admin port replays it to the
// app over loopback, which iptables does not capture.
import type { Container, HTTPHeader, Probe } from './k8s.ts';

export const APP_PROBERS_ENV = 'MESHLET_APP_PROBERS';
export const APP_HEALTH_PREFIX = '/app-health/';

const PROBE_KINDS = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;

/** One original app probe, as the admin port replays it. */
export interface AppProber {
  readonly port: number;
  readonly path: string;
  readonly scheme: 'HTTP' | 'HTTPS';
  readonly headers: readonly HTTPHeader[];
  readonly timeoutSeconds: number;
}

/** The JSON stored in MESHLET_APP_PROBERS: admin path → original probe (Istio's shape). */
export type AppProbersJson = Record<
  string,
  {
    httpGet: { path: string; port: number; scheme: string; httpHeaders?: HTTPHeader[] };
    timeoutSeconds?: number;
  }
>;

/** Admin-port path that replays `container`'s probe of `kind`. */
export function appHealthPath(container: string, kind: 'livez' | 'readyz' | 'startupz'): string {
  return `${APP_HEALTH_PREFIX}${container}/${kind}`;
}

/**
 * Rewrites the HTTP probes of `containers` in place to go through the admin
 * port and returns the originals keyed by their new path. Probes with an
 * explicit `host` (they do not target this pod) and non-HTTP probes are left
 * alone; a named port the container does not declare is left alone and
 * reported in `warnings`.
 */
export function rewriteAppProbes(
  containers: Container[],
  adminPort: number,
  warnings: string[],
): AppProbersJson {
  const probers: AppProbersJson = {};
  for (const container of containers) {
    for (const [field, kind] of PROBE_KINDS) {
      const probe: Probe | undefined = container[field];
      const httpGet = probe?.httpGet;
      if (probe === undefined || httpGet === undefined || httpGet.host !== undefined) continue;
      if (httpGet.port === adminPort) continue;
      const port = resolveContainerPort(container, httpGet.port);
      if (port === undefined) {
        warnings.push(
          `container ${container.name}: ${field} uses unknown port '${httpGet.port}', not rewritten`,
        );
        continue;
      }
      const path = appHealthPath(container.name, kind);
      probers[path] = {
        httpGet: {
          path: httpGet.path ?? '/',
          port,
          scheme: (httpGet.scheme ?? 'HTTP').toUpperCase(),
          ...(httpGet.httpHeaders === undefined ? {} : { httpHeaders: httpGet.httpHeaders }),
        },
        ...(probe.timeoutSeconds === undefined ? {} : { timeoutSeconds: probe.timeoutSeconds }),
      };
      container[field] = { ...probe, httpGet: { path, port: adminPort, scheme: 'HTTP' } };
    }
  }
  return probers;
}

/** A port number, or the number of a port the container names. */
export function resolveContainerPort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Parses MESHLET_APP_PROBERS (absent or empty: no probers) into admin path →
 * prober. Throws with the offending path when the JSON is not what the
 * injector writes, so a bad pod spec fails loudly at sidecar start.
 */
export function parseAppProbers(json: string | undefined): Map<string, AppProber> {
  const probers = new Map<string, AppProber>();
  if (json === undefined || json.trim() === '') return probers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`${APP_PROBERS_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new Error(`${APP_PROBERS_ENV} must be a JSON object`);
  for (const [path, entry] of Object.entries(parsed)) {
    const where = `${APP_PROBERS_ENV}[${JSON.stringify(path)}]`;
    if (!path.startsWith(APP_HEALTH_PREFIX))
      throw new Error(`${where}: path must start with ${APP_HEALTH_PREFIX}`);
    const httpGet = isObject(entry) ? entry.httpGet : undefined;
    if (!isObject(httpGet)) throw new Error(`${where}: missing httpGet`);
    const port = httpGet.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${where}: httpGet.port must be a port number`);
    }
    const scheme = String(httpGet.scheme ?? 'HTTP').toUpperCase();
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new Error(`${where}: scheme must be HTTP or HTTPS`);
    const rawHeaders = httpGet.httpHeaders ?? [];
    if (!Array.isArray(rawHeaders) || !rawHeaders.every(isHeader)) {
      throw new Error(`${where}: httpHeaders must be a list of {name, value}`);
    }
    const timeout = (entry as Record<string, unknown>).timeoutSeconds ?? 1;
    if (typeof timeout !== 'number' || !(timeout > 0))
      throw new Error(`${where}: timeoutSeconds must be positive`);
    const target = typeof httpGet.path === 'string' && httpGet.path !== '' ? httpGet.path : '/';
    probers.set(path, {
      port,
      path: target.startsWith('/') ? target : `/${target}`,
      scheme,
      headers: rawHeaders.map((h) => ({ name: h.name, value: h.value })),
      timeoutSeconds: timeout,
    });
  }
  return probers;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHeader(value: unknown): value is HTTPHeader {
  return isObject(value) && typeof value.name === 'string' && typeof value.value === 'string';
}
