// Bridges a service's `allow`/`allowMode` keys to the authorization compiler,
// turning its relative error paths into config paths for file:line:col.

import type { AllowContext } from '../authz/allow.ts';
import { compileAllow } from '../authz/allow.ts';
import type { CompiledAllow } from '../authz/types.ts';
import { CompileError } from './compile-error.ts';
import type { RawService } from './types.ts';

export function compileAllowRules(
  svc: RawService,
  at: (string | number)[],
  ctx: AllowContext,
): CompiledAllow | null {
  const result = compileAllow(svc.allow, svc.allowMode, ctx);
  if ('errors' in result) {
    const [first] = result.errors;
    const path = first!.path.length === 0 ? [...at, 'allowMode'] : [...at, 'allow', ...first!.path];
    throw new CompileError(path, first!.message);
  }
  return result.allow;
}
