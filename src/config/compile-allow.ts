// Bridges a service's `allow`/`allowMode` keys to the authorization compiler,
// turning its relative error paths into config paths for file:line:col.
import type { CompiledAllow } from '../authz/types.ts';
import type { RawService } from './types.ts';

export interface AllowContext {
  trustDomain: string;
  sidecarNamespace: string;
  services: ReadonlyMap<string, { namespace: string; serviceAccount: string }>;
}

export function compileAllowRules(
  svc: RawService,
  _at: (string | number)[],
  _ctx: AllowContext,
): CompiledAllow | null {
  if (svc.allow === undefined) return null;
  return null;
}
