// What the forward handler writes the response to. Both node:http's
// ServerResponse and node:http2's Http2ServerResponse satisfy it, so one
// handler (call.ts) serves an HTTP/1.1 and an HTTP/2 caller alike.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';

export interface Downstream {
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers: string[]): unknown;
  write(chunk: Buffer): boolean;
  end(): unknown;
  addTrailers(trailers: OutgoingHttpHeaders): void;
  destroy(): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}

/**
 * The request side the handler needs: the body to stream, whether it has all
 * arrived, and the caller's `TE`. node:http's IncomingMessage and node:http2's
 * Http2ServerRequest both satisfy it.
 */
export interface DownstreamRequest extends Readable {
  readonly headers: IncomingHttpHeaders;
  readonly complete: boolean;
}

/**
 * Whether upstream trailers can reach this caller. HTTP/2 always carries them.
 * HTTP/1.1 carries them only in a chunked body, and only to a client that said
 * `TE: trailers` (RFC 9110 §6.5.1): anything else would be dropped or misread.
 */
export function trailersReach(res: Downstream, req: DownstreamRequest): boolean {
  const chunked = (res as { chunkedEncoding?: boolean }).chunkedEncoding;
  if (chunked === undefined) return true;
  if (!chunked) return false;
  const te = req.headers.te;
  return typeof te === 'string' && /(?:^|,)\s*trailers\s*(?:[;,]|$)/i.test(te);
}

/** undici's parsed trailers as an outgoing header object, without empty entries. */
export function trailersOf(trailers: IncomingHttpHeaders): OutgoingHttpHeaders | null {
  let out: OutgoingHttpHeaders | null = null;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = value;
  }
  return out;
}

/**
 * Ends a response that can no longer complete (the upstream failed after
 * the headers went out). HTTP/1.1: the connection is closed, the one signal
 * it has. HTTP/2: only this stream is reset, with CANCEL (what a gRPC client
 * reads as CANCELLED); the connection and its other streams go on.
 */
export function cutDownstream(res: Downstream): void {
  const stream = (res as { stream?: ServerHttp2Stream }).stream;
  if (stream !== undefined && typeof stream.close === 'function') {
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    return;
  }
  res.destroy();
}
