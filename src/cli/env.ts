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

export function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

export function durationEnv(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  // A bare number means seconds, as in MESHLET_DRAIN_SECONDS.
  return /^[0-9.]+$/.test(raw) ? Math.round(Number(raw) * 1000) : parseDuration(raw);
}

export function flagEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'off', 'no'].includes(raw.toLowerCase());
}
