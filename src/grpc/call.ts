// What the listeners do differently for a gRPC call (content-type
// application/grpc*): its deadline, the headers it needs upstream, and where
// its status is noted for telemetry. See docs/configuration.md ("gRPC").
import type { IncomingHttpHeaders } from 'node:http';
import { type GrpcMethod, grpcMethodOf, isGrpc, parseGrpcTimeout } from './request.ts';

export interface GrpcCall {
  /** Service and method from the path; null for a path that is not `/pkg.Svc/Method`. */
  readonly method: GrpcMethod | null;
  /** `grpc-timeout` in ms; null when the caller set none (or sent a malformed one). */
  readonly timeoutMs: number | null;
}

/** The gRPC call a request carries, or null when it is not gRPC. */
export function grpcCallOf(headers: IncomingHttpHeaders, path: string): GrpcCall | null {
  if (!isGrpc(headers['content-type'])) return null;
  const q = path.indexOf('?');
  return {
    method: grpcMethodOf(q === -1 ? path : path.slice(0, q)),
    timeoutMs: parseGrpcTimeout(headers['grpc-timeout']),
  };
}

// Node's longest timer; a longer delay would fire at once (grpc-timeout allows ~11,000 years).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The whole-call deadline: the shorter of the route's timeout and the
 * caller's `grpc-timeout` (0 = none). A `grpc-timeout` of 0 is already
 * expired and gets the shortest timer; one beyond a timer's reach is capped.
 */
export function callDeadlineMs(routeTimeoutMs: number, call: GrpcCall | null): number {
  const grpc = call?.timeoutMs ?? null;
  if (grpc === null) return routeTimeoutMs;
  const ms = Math.min(MAX_TIMER_MS, Math.max(1, grpc));
  return routeTimeoutMs > 0 ? Math.min(routeTimeoutMs, ms) : ms;
}

/**
 * Headers a gRPC call needs upstream that the hop-by-hop pass removed: `TE:
 * trailers` (gRPC servers use it to tell a gRPC client from an HTTP proxy
 * that would drop trailers).
 */
export function addGrpcHeaders(headers: string[], call: GrpcCall | null): void {
  if (call !== null) headers.push('te', 'trailers');
}
