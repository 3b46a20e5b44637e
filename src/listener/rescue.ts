// The rescue step: every error the proxy answers itself goes out through here,
// with the status, flag and body the error table (src/errors.ts) gives it:
// status, `x-meshlet-error` flag, small JSON body (docs/architecture.md, "Errors");
// a gRPC call gets the table's gRPC status instead (grpc/reply.ts).
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { grpcStatusOf, ProxyError, toProxyError } from '../errors.ts';
import { cutDownstream } from '../forward/downstream.ts';
import { sendGrpcError } from '../grpc/reply.ts';
import { isGrpc } from '../grpc/request.ts';
import { GRPC_STATUS, grpcCodeOfConstant } from '../grpc/status.ts';
import { STATUS_CODES } from '../runtime/node-http.ts';

/** Runs a step that may refuse the request: its result, or the refusal as a ProxyError. */
export function attempt<T>(step: () => T): T | ProxyError {
  try {
    return step();
  } catch (err) {
    return toProxyError(err);
  }
}

/** Failures of the upstream itself: their reply says which service, version and endpoint failed. */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set(['UF', 'UC', 'UT', 'URX', 'UH', 'UO']);

/** `err` naming where the request went ("... (service reviews version v1 endpoint 10.0.0.7:9080)"). */
export function naming(err: ProxyError, request: { where(): string }): ProxyError {
  if (!UPSTREAM_FAILURES.has(err.flag)) return err;
  return new ProxyError(err.flag, `${err.message} (${request.where()})`, { cause: err, status: err.status });
}

export function replyError(res: ServerResponse, err: ProxyError): void {
  if (res.headersSent) {
    cutDownstream(res);
    return;
  }
  // After a malformed request nothing later on its connection can be trusted:
  // an HTTP/1.1 DPE reply closes it, pipelined requests behind it are dropped
  // (serial.ts). HTTP/2 responses have no such switch: the stream ends alone.
  if (err.flag === 'DPE' && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
  // A gRPC caller reads the outcome from grpc-status: HTTP 200, the table's
  // gRPC status and the message as a trailers-only reply, plus the flag.
  if (isGrpc(res.req?.headers['content-type'])) {
    sendGrpcError(
      res,
      grpcCodeOfConstant(grpcStatusOf(err.flag)) ?? GRPC_STATUS.unknown,
      err.message,
      err.flag,
    );
    return;
  }
  const body = err.body();
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-meshlet-error': err.flag,
  });
  res.end(body);
}

/**
 * Errors raised by node's HTTP parser before a request object exists
 * (malformed, smuggling attempts, oversized headers, header timeout). The
 * reply is written on the raw socket and the connection closed: after a
 * framing error nothing later on that connection can be trusted.
 */
export function parserError(err: NodeJS.ErrnoException & { code?: string }): ProxyError | null {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null;
    case 'HPE_HEADER_OVERFLOW':
      return new ProxyError('DPE', 'request headers too large', { status: 431 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return new ProxyError('DPE', 'request headers not received in time', { status: 408 });
    default:
      // Only the parser's own verdicts are malformed requests; any other socket
      // error (a reset we caused, say) is not the client's fault and not counted.
      if (err.code?.startsWith('HPE_') !== true) return null;
      return new ProxyError('DPE', `malformed request: ${err.code}`, { status: 400 });
  }
}

export function writeRawError(socket: Socket, err: ProxyError): void {
  if (
    !socket.writable ||
    (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
  ) {
    socket.destroy();
    return;
  }
  const body = err.body();
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-meshlet-error: ${err.flag}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}
