// Authorize: the one place the inbound side enforces allow rules, for plain
// requests and upgrades alike. It runs the pure allowDecision, writes the
// audit log line and counts meshlet_authz_denied_total once, and returns a
// Permit that carries the caller's principal on to the metric labels.
import type { Socket } from 'node:net';
import { ProxyError } from '../errors.ts';
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import type { AllowDecision, CompiledAllow } from './types.ts';

/** How the inbound side learns who is calling and what the rules say. */
export interface InboundSecurity {
  /** SPIFFE id of a verified peer certificate on this connection, else null (plaintext or unverified). */
  peerIdentity(socket: Socket): string | null;
  /** Pure allow decision over the compiled rules of this pod's service. */
  allowDecision(
    allow: CompiledAllow | null,
    principal: string | null,
    method: string,
    path: string,
  ): AllowDecision;
}

/** The outcome of authorize: who called, over what, and the denial if there is one. */
export interface Permit {
  /** Verified SPIFFE id of the caller; null for plaintext callers. */
  readonly principal: string | null;
  readonly mtls: boolean;
  /** The RBAC error to answer with, or null when the request may go on. */
  readonly denied: ProxyError | null;
}

/** The pod's own service as the rules see it: its compiled allow rules and FQDN (for the counter). */
export interface Guarded {
  readonly allow: CompiledAllow | null;
  readonly fqdn: string;
}

export interface EnforceContext {
  readonly security: InboundSecurity;
  readonly metrics: MeshMetrics;
  readonly log: Logger;
}

export function authorize(
  ctx: EnforceContext,
  service: Guarded | undefined,
  socket: Socket,
  method: string,
  path: string,
  upgrade = false,
): Permit {
  const principal = ctx.security.peerIdentity(socket);
  const mtls = principal !== null;
  const allow = service?.allow ?? null;
  if (allow === null) return { principal, mtls, denied: null };
  const decision = ctx.security.allowDecision(allow, principal, method, path);
  if (decision.allowed && !decision.audited) return { principal, mtls, denied: null };
  const mode = decision.audited ? 'audit' : 'enforce';
  ctx.metrics.authzDenied(principal ?? 'unknown', service!.fqdn, mode);
  ctx.log.warn(
    { principal, method, path, mode, reason: decision.reason, ...(upgrade ? { upgrade } : {}) },
    decision.audited ? 'allow rules would deny (audit mode)' : 'denied by allow rules',
  );
  if (decision.allowed) return { principal, mtls, denied: null };
  const denied = new ProxyError(
    'RBAC',
    `caller ${principal ?? '(unauthenticated)'} is not allowed to ${method} ${path}`,
  );
  return { principal, mtls, denied };
}

/**
 * Non-HTTP TCP reaching the pod carries no identity or request the rules
 * could check: it may be relayed to the app only where anyone may call it in
 * plaintext (no allow rules, mTLS not strict). A refusal is logged and
 * counted like any other denial.
 */
export function authorizeTcp(
  ctx: Omit<EnforceContext, 'security'>,
  service: (Guarded & { readonly mtls: string }) | undefined,
  meshMode: string,
  port: number,
  protocol: string,
): boolean {
  const mode = service?.mtls ?? meshMode;
  if (mode !== 'strict' && (service?.allow ?? null) === null) return true;
  ctx.log.warn({ port, protocol }, 'refused inbound non-HTTP connection: allow rules or strict mTLS apply');
  ctx.metrics.authzDenied('unknown', service?.fqdn ?? 'unknown', 'enforce');
  return false;
}
