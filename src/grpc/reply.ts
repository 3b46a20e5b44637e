// gRPC-shaped answers for errors the proxy itself produces: a gRPC client
// reads the call's outcome from grpc-status, not from the HTTP status, so a
// 503 page would surface as a confusing UNKNOWN/UNAVAILABLE with no detail.
// The reply is HTTP 200, content-type application/grpc, and grpc-status +
// grpc-message (+ x-meshlet-error) as a trailers-only response, or as
// trailers when the response headers already went out.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Flag } from '../errors.ts';
import type { GrpcStatusCode } from './status.ts';

/** What both node:http's ServerResponse and node:http2's Http2ServerResponse offer. */
export interface GrpcReplyTarget {
  readonly headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  addTrailers(trailers: OutgoingHttpHeaders): void;
  end(): unknown;
}

// grpc-message is percent-encoded UTF-8: bytes outside 0x20..0x7E, and '%' itself.
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** The headers of a trailers-only gRPC error response (the HTTP status is 200). */
export function grpcErrorHeaders(code: GrpcStatusCode, message: string, flag?: Flag): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/grpc',
    'grpc-status': String(code),
    'grpc-message': encodeGrpcMessage(message),
  };
  if (flag !== undefined) headers['x-meshlet-error'] = flag;
  return headers;
}

/**
 * Ends `res` with a gRPC error. Before the response started: a trailers-only
 * response (one HEADERS frame with END_STREAM on HTTP/2). After: grpc-status
 * and grpc-message as trailers, closing the call the upstream left open.
 */
export function sendGrpcError(
  res: GrpcReplyTarget,
  code: GrpcStatusCode,
  message: string,
  flag?: Flag,
): void {
  if (!res.headersSent) {
    // Headers set, not written: end() then sends them with END_STREAM. writeHead()
    // would send them at once without it, and gRPC clients would find no status.
    res.statusCode = 200;
    const headers = grpcErrorHeaders(code, message, flag);
    for (const name in headers) res.setHeader(name, headers[name] as string);
    res.end();
    return;
  }
  const trailers: OutgoingHttpHeaders = {
    'grpc-status': String(code),
    'grpc-message': encodeGrpcMessage(message),
  };
  if (flag !== undefined) trailers['x-meshlet-error'] = flag;
  res.addTrailers(trailers);
  res.end();
}
