// The sidecar's settings, read once at start-up from `meshlet run`'s flags and
// the MESHLET_* environment (every one is listed in docs/configuration.md).
// The names the injector sets come from the pod contract (contract.ts).

import { parseDuration } from '../config/duration.ts';
import type { SidecarIdentity } from '../config/types.ts';
import { ENV, MESH_CONFIG_FILE, PORTS, TLS_DIR } from '../contract.ts';
import { dnsServersFromEnv } from '../discovery/dns.ts';
import { type AppProber, parseAppProbers } from '../inject/probes.ts';
import type { Limits } from '../sidecar.ts';

export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): SidecarIdentity {
  const service = env[ENV.service] ?? 'unknown';
  return {
    service,
    workload: env[ENV.workload] ?? service,
    namespace: env[ENV.namespace] ?? 'default',
    version: env[ENV.version] ?? 'unknown',
    serviceAccount: env[ENV.serviceAccount] ?? service,
  };
}

/** `meshlet run`'s flags that override settings. */
export interface RunFlags {
  readonly config?: string;
  readonly 'outbound-port'?: string;
  readonly 'inbound-port'?: string;
  readonly 'admin-port'?: string;
  readonly bind?: string;
}

export interface SidecarSettings {
  readonly configFile: string;
  readonly self: SidecarIdentity;
  readonly ports: { readonly outbound: number; readonly inbound: number; readonly admin: number };
  /** Address for every listener; undefined: loopback, except inbound on all addresses. */
  readonly bind: string | undefined;
  readonly drainMs: number;
  readonly workers: number;
  readonly metrics: boolean;
  readonly istioCompat: boolean;
  readonly tlsDir: string;
  readonly appPort: number;
  readonly accessLog: boolean;
  readonly limits: Limits;
  /** Kubelet probes the injector moved to the admin port: admin path → original probe. */
  readonly appProbers: ReadonlyMap<string, AppProber>;
  /** DNS servers for endpoint discovery (MESHLET_DNS_SERVERS); null: the system's. */
  readonly dnsServers: readonly string[] | null;
}

/** Every setting, flags first, then the environment, then the defaults; throws SettingsError. */
export function readSettings(flags: RunFlags, env: NodeJS.ProcessEnv): SidecarSettings {
  let appProbers: ReadonlyMap<string, AppProber>;
  try {
    appProbers = parseAppProbers(env[ENV.appProbers]);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  let dnsServers: string[] | null;
  try {
    dnsServers = dnsServersFromEnv(env);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  return {
    configFile: flags.config ?? env[ENV.config] ?? MESH_CONFIG_FILE,
    self: identityFromEnv(env),
    ports: {
      outbound: portSetting(flags['outbound-port'], env, ENV.outboundPort, PORTS.outbound),
      inbound: portSetting(flags['inbound-port'], env, ENV.inboundPort, PORTS.inbound),
      admin: portSetting(flags['admin-port'], env, ENV.adminPort, PORTS.admin),
    },
    bind: flags.bind ?? env[ENV.bind],
    drainMs: durationEnv(env, 'MESHLET_DRAIN_SECONDS', 5000),
    workers: intEnv(env, 'MESHLET_WORKERS', 1),
    metrics: flagEnv(env, 'MESHLET_METRICS', true),
    istioCompat: env.MESHLET_METRICS_COMPAT === 'istio',
    tlsDir: env[ENV.tlsDir] ?? TLS_DIR,
    appPort: intEnv(env, ENV.appPort, 8080),
    accessLog: flagEnv(env, 'MESHLET_ACCESS_LOG', false),
    limits: {
      maxHeaderBytes: intEnv(env, 'MESHLET_MAX_HEADER_BYTES', 60 * 1024),
      headersTimeoutMs: durationEnv(env, 'MESHLET_HEADERS_TIMEOUT', 10_000),
      keepAliveTimeoutMs: durationEnv(env, 'MESHLET_DOWNSTREAM_IDLE_TIMEOUT', 60_000),
    },
    appProbers,
    dnsServers,
  };
}

/** A bad MESHLET_* value: `meshlet run` reports it and exits 1. */
export class SettingsError extends Error {}

export function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new SettingsError(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

/** A listener port from its flag, else its environment variable, else the default. */
export function portSetting(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
): number {
  const port = flag === undefined ? intEnv(env, name, fallback) : Number(flag);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SettingsError(
      `${name} / --${name.slice(8).toLowerCase().replaceAll('_', '-')} must be a port number, got '${flag ?? env[name]}'`,
    );
  }
  return port;
}

export function durationEnv(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  // A bare number means seconds, as in MESHLET_DRAIN_SECONDS.
  if (/^[0-9.]+$/.test(raw)) return Math.round(Number(raw) * 1000);
  try {
    return parseDuration(raw);
  } catch {
    throw new SettingsError(`${name} must be a number of seconds or a duration such as 500ms, got '${raw}'`);
  }
}

export function flagEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'off', 'no'].includes(raw.toLowerCase());
}
