// The sidecar's settings from environment and flags (DESIGN.md section 1).
import type { SidecarIdentity } from '../config/types.ts';
import { parseDuration } from '../config/duration.ts';

export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): SidecarIdentity {
  const service = env.MESHLET_SERVICE ?? 'unknown';
  return {
    service,
    workload: env.MESHLET_WORKLOAD ?? service,
    namespace: env.MESHLET_NAMESPACE ?? 'default',
    version: env.MESHLET_VERSION ?? 'unknown',
    serviceAccount: env.MESHLET_SERVICE_ACCOUNT ?? service,
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
