// The front door of both listeners: one port, HTTP/1.1 and HTTP/2. A
// plaintext connection that opens with the HTTP/2 preface (h2c with prior
// knowledge, as plaintext gRPC clients connect) goes to the HTTP/2 server, a
// TLS connection by what ALPN negotiated (`h2` or `http/1.1`); the rest to
// the HTTP/1.1 server. Both servers call the SAME request handler: an HTTP/2
// request is presented in the shape the steps read (flat raw headers with a
// Host, no pseudo-headers). See docs/architecture.md ("The front door").
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { handOffToHttpServer } from '../capture/sniff.ts';
import { ProxyError } from '../errors.ts';
import type { Sidecar } from '../sidecar.ts';
import { createHttpServer, type HttpHandlers } from './http.ts';
import { replyError } from './rescue.ts';
import { createH2Server, type H2Server } from './server/http2.ts';
import { peekH2Preface } from './server/preface.ts';

export interface FrontDoor {
  /** HTTP/1.1 (node:http; never listens itself). */
  readonly http: HttpServer;
  /** HTTP/2 (node:http2; never listens itself). */
  readonly h2: H2Server;
}

/** Both servers of a listener, serving `handlers` (CONNECT and WebSocket upgrades are HTTP/1.1 only). */
export function createFrontDoor(sidecar: Sidecar, handlers: HttpHandlers): FrontDoor {
  const http = createHttpServer(sidecar, handlers);
  const h2 = createH2Server((req, res) => {
    // A stream the client reset before its turn came has nothing to answer,
    // and its socket proxy throws once the stream is gone.
    if (req.stream.destroyed) return;
    asHttp1Shape(req);
    withConnectionSocket(req);
    try {
      handlers.request(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    } catch (err) {
      // Thrown inside node:http2's stream event it would end the whole
      // session (GOAWAY INTERNAL_ERROR) and every other stream on it.
      sidecar.log.warn({ err: (err as Error).message }, 'HTTP/2 request handler failed');
      if (!req.stream.destroyed) req.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  // Plain CONNECT and RFC 8441's extended CONNECT (WebSocket over HTTP/2):
  // tunnels and WebSocket are HTTP/1.1 only here. We never advertise
  // SETTINGS_ENABLE_CONNECT_PROTOCOL, so a conforming client does not try;
  // one that does is told plainly (node:http2 would answer a bare 405).
  h2.server.on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const err = new ProxyError(
      'DPE',
      'CONNECT over HTTP/2 is not supported (WebSocket and tunnels: use HTTP/1.1)',
      { status: 501 },
    );
    handlers.rejected(err, req.socket as Socket);
    replyError(res as unknown as ServerResponse, err);
  });
  // Each connection's own socket, reachable through the request's socket proxy (withConnectionSocket).
  h2.server.prependListener('connection', (socket: Socket) => {
    (socket as Socket & { [kConnectionSocket]?: Socket })[kConnectionSocket] = socket;
  });
  return { http, h2 };
}

const kConnectionSocket = Symbol('meshlet.connectionSocket');

/**
 * node:http2 gives each request a new proxy as `req.socket`. The steps key
 * per-connection facts by the socket (the verified peer identity, the
 * captured destination): through a fresh proxy every lookup would miss, and
 * the peer certificate would be parsed again for every request. The steps
 * only read from it, so they get the connection's socket itself.
 */
function withConnectionSocket(req: Http2ServerRequest): void {
  const socket = (req.socket as Socket & { [kConnectionSocket]?: Socket })[kConnectionSocket];
  if (socket !== undefined) Object.defineProperty(req, 'socket', { value: socket, configurable: true });
}

/**
 * A plaintext connection not captured by iptables (or one the capture sniff
 * already read from, `head`): h2c with prior knowledge, or HTTP/1.x.
 */
export function servePlaintext(door: FrontDoor, socket: Socket, timeoutMs: number): void {
  void peekH2Preface(socket, timeoutMs).then(({ h2, head }) => {
    if (h2) door.h2.accept(socket, head);
    else handOffToHttpServer(door.http, socket, head);
  });
}

/** A TLS connection that finished its handshake: HTTP/2 when ALPN chose `h2`. */
export function serveTls(door: FrontDoor, socket: TLSSocket): void {
  if (socket.alpnProtocol === 'h2') door.h2.accept(socket);
  else door.http.emit('connection', socket);
}

/**
 * Presents an HTTP/2 request as the steps read an HTTP/1.1 one: `rawHeaders`
 * without pseudo-headers and with `Host` (from `:authority`, RFC 9113
 * §8.3.1). A body that arrives without Content-Length is marked the way
 * HTTP/1.1 marks one (`Transfer-Encoding: chunked`), which the header pass
 * reads as "the request streams a body" and removes.
 */
function asHttp1Shape(req: Http2ServerRequest): void {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let host: string | undefined;
  let authority: string | undefined;
  let length = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':authority') authority = value;
      continue;
    }
    if (name === 'host') host = value;
    else if (name === 'content-length') length = true;
    out.push(name, value);
  }
  if (host === undefined && authority !== undefined) {
    out.push('host', authority);
    req.headers.host = authority;
  }
  if (!length && !req.stream.endAfterHeaders) out.push('transfer-encoding', 'chunked');
  Object.defineProperty(req, 'rawHeaders', { value: out, configurable: true });
}
