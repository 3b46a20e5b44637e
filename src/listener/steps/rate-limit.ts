// Rate-limit step (inbound): the service's `rateLimit`, enforced by its own
// sidecar against the verified caller (plaintext callers share the service's
// bucket): 429 RL with retry-after (RESOURCE_EXHAUSTED for gRPC) and
// meshlet_rate_limited_total. The buckets live outside the config snapshot
// and carry their levels across reloads. See docs/configuration.md ("Traffic policy", "rateLimit").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledMesh } from '../../config/types.ts';
import { ProxyError, type ResponseFlags } from '../../errors.ts';
import { GRPC_STATUS } from '../../grpc/status.ts';
import { RateLimiter } from '../../policy/rate-limit.ts';
import type { MeshMetrics } from '../../telemetry/types.ts';
import { isGrpcRequest, replyPolicyError } from './reply.ts';

export type RateLimitStep = (
  req: IncomingMessage,
  res: ServerResponse,
  principal: string | null,
  finish: (status: number, flags: ResponseFlags) => void,
) => boolean;

/**
 * The step for this pod's service. Returns true when it answered the request
 * (429 RL, recorded through `finish`): the caller then stops.
 */
export function createRateLimitStep(
  config: { readonly current: CompiledMesh },
  metrics: Pick<MeshMetrics, 'rateLimited'>,
  now: () => number = performance.now.bind(performance),
): RateLimitStep {
  let limiter: RateLimiter | null = null;
  return (req, res, principal, finish) => {
    const service = config.current.pod.service;
    const limit = service?.rateLimit ?? null;
    if (limit === null) return false;
    // A reload compiles a new limit: a new limiter takes over the old one's token levels.
    if (limiter?.limit !== limit) limiter = new RateLimiter(limit, now, limiter ?? undefined);
    const verdict = limiter.take(principal);
    if (verdict.allowed) return false;
    metrics.rateLimited(service!.fqdn, principal ?? 'unknown');
    const err = new ProxyError('RL', `rate limit of service '${service!.name}' exceeded`);
    const grpc = isGrpcRequest(req);
    replyPolicyError(res, err, grpc ? GRPC_STATUS['resource-exhausted'] : null, {
      'retry-after': String(verdict.retryAfterSeconds),
    });
    finish(grpc ? 200 : err.status, 'RL');
    return true;
  };
}
