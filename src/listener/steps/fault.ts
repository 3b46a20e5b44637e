// Fault step (outbound): a route's `fault` delays a share of requests before
// they are forwarded (DI on the served response's record; the delay is not
// part of the route timeout, whose clock starts when forwarding does) and
// answers a share itself (FI, the configured status, or the gRPC status for a
// gRPC caller). The draws come from the sidecar's injected random source.
// See docs/configuration.md ("Traffic policy", "fault").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError, type ResponseFlags } from '../../errors.ts';
import { abortReply, type CompiledFault, decideFault } from '../../policy/fault.ts';
import type { RandomSource } from '../../route/pick.ts';
import { isGrpcRequest, replyPolicyError } from './reply.ts';

type Finish = (status: number, flags: ResponseFlags, requestBytes?: number, responseBytes?: number) => void;

/** How the request goes on after the fault step: the finish to give the forward step, and when to start it. */
export interface FaultPlan {
  readonly finish: Finish;
  readonly delayMs: number;
}

/**
 * Decides the route's fault for this request. Null when the step answered it
 * (an abort, after its delay if it has one; or the caller left during that
 * delay). Otherwise the forward step's finish, which marks a delayed response
 * DI unless the response carries a flag of its own, and the delay to wait.
 */
export function faultStep(
  fault: CompiledFault | null,
  random: RandomSource,
  req: IncomingMessage,
  res: ServerResponse,
  finish: Finish,
  /** Where a gRPC answer's status is noted for the metrics and the span (the Observation). */
  grpc: { grpcStatus: number | null } | null = null,
): FaultPlan | null {
  const decision = fault === null ? null : decideFault(fault, random);
  if (decision === null) return { finish, delayMs: 0 };
  if (decision.abort === null) {
    return {
      finish: (status, flags, requestBytes, responseBytes) =>
        finish(status, flags === '-' ? 'DI' : flags, requestBytes, responseBytes),
      delayMs: decision.delayMs,
    };
  }
  const abort = decision.abort;
  const answer = (): void => {
    const reply = abortReply(abort, isGrpcRequest(req));
    const err = new ProxyError('FI', 'fault injected by the route', { status: reply.status });
    replyPolicyError(res, err, reply.grpcStatus);
    if (grpc !== null && reply.grpcStatus !== null) grpc.grpcStatus = reply.grpcStatus;
    finish(reply.status, 'FI');
  };
  if (decision.delayMs === 0) answer();
  else afterDelay(decision.delayMs, res, finish, answer);
  return null;
}

/** Starts the forward step (and the mirror copy, if any) once the fault's delay has passed. */
export function forwardAfter(
  plan: FaultPlan,
  res: ServerResponse,
  call: { start(): void },
  mirror: (() => void) | null,
): void {
  if (plan.delayMs === 0) {
    mirror?.();
    call.start();
    return;
  }
  afterDelay(plan.delayMs, res, plan.finish, () => {
    mirror?.();
    call.start();
  });
}

/** Runs `then` after `ms`, unless the caller leaves first: that is recorded 499 DC and nothing runs. */
function afterDelay(ms: number, res: ServerResponse, finish: Finish, then: () => void): void {
  const onClose = (): void => {
    clearTimeout(timer);
    finish(499, 'DC');
  };
  const timer = setTimeout(() => {
    res.off('close', onClose);
    then();
  }, ms);
  res.once('close', onClose);
}
