// Replies the policy steps answer themselves, for HTTP and gRPC callers: a
// gRPC caller gets a trailers-only answer (HTTP 200, grpc-status in the
// headers), as a gRPC server would send; anyone else the JSON error body of
// the rescue step. See docs/configuration.md ("Traffic policy").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyError } from '../../errors.ts';
import { isGrpc } from '../../grpc/request.ts';

/** A gRPC call: its content type says so (gRPC-Web is not: it gets the HTTP answer). */
export function isGrpcRequest(req: IncomingMessage): boolean {
  return isGrpc(req.headers['content-type']);
}

/**
 * Answered before the caller finished sending its body: on HTTP/1.1 the
 * connection is closed after the answer instead of reading (and discarding)
 * the rest, as the forward core and nginx do.
 */
export function closeIfBodyUnread(res: ServerResponse): void {
  if (res.req !== undefined && !res.req.complete && !res.headersSent) res.shouldKeepAlive = false;
}

/** Writes `err` as the reply, with `extra` headers; a gRPC caller gets `grpcStatus` instead of the HTTP status. */
export function replyPolicyError(
  res: ServerResponse,
  err: ProxyError,
  grpcStatus: number | null,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  closeIfBodyUnread(res);
  if (grpcStatus !== null) {
    res.writeHead(200, {
      'content-type': 'application/grpc',
      'grpc-status': String(grpcStatus),
      'grpc-message': encodeURIComponent(err.message),
      'x-meshlet-error': err.flag,
      ...extra,
    });
    res.end();
    return;
  }
  const body = err.body();
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-meshlet-error': err.flag,
    ...extra,
  });
  res.end(body);
}
