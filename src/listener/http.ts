// The HTTP/1.1 server both listeners use: limits from docs/configuration.md,
// parser-level errors (smuggling, oversize, slow headers) answered with a
// flagged reply on the raw socket, counted, and the connection closed.
// Requests on one connection are handled in order, one at a time (serial.ts).
// Every request the parser delivers but this edge will not serve (a framing
// the parser rejects only after the head, an expectation, a CONNECT where no
// tunnel is offered) gets a flagged, counted reply: never a silent close.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProxyError } from '../errors.ts';
import { requestMalformed } from '../forward/call.ts';
import { createServer } from '../runtime/node-http.ts';
import type { Sidecar } from '../sidecar.ts';
import { connectRefusal } from './connect.ts';
import { parserError, replyError, writeRawError } from './rescue.ts';
import { requestInProgress, serializePerConnection } from './serial.ts';

export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** `CONNECT host:port`; without it a CONNECT is answered 404 `NR` (outbound only tunnels). */
  connect?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A request the parser rejected before it became an IncomingMessage. */
  rejected(err: ProxyError, socket: Socket): void;
}

/**
 * Requests node's parser saw as an upgrade offer that we serve over HTTP/1.1
 * instead (`h2c`). The parser stops reading the connection after such a
 * request, so anything pipelined behind it would never be answered: the
 * response says `connection: close` and the client sends the rest again on a
 * new connection (RFC 9112 §9.3.2).
 */
const declinedUpgrades = new WeakSet<IncomingMessage>();

/**
 * WebSocket is the one upgrade proxied: a GET offering `websocket` alone, the
 * one form the upgrade proxy accepts (it drops any other without a word, see
 * forward/upgrade.ts). Any other offer (`h2c`, a list, another method) is
 * ignored and served over HTTP/1.1, as RFC 9110 §7.8 lets a server do.
 */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const websocket = req.method === 'GET' && /^websocket$/i.test(req.headers.upgrade ?? '');
  if (!websocket) declinedUpgrades.add(req);
  return websocket;
}

/**
 * A request head the parser delivers and then rejects (so nothing after it on
 * the connection is read): a Transfer-Encoding whose last coding is not
 * `chunked` leaves the body length unknown (RFC 9112 §6.3: 400 and close).
 */
function refusedHead(req: IncomingMessage): ProxyError | null {
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return null;
  const last = te.split(',').at(-1)!.trim().toLowerCase();
  if (last === 'chunked') return null;
  return new ProxyError('DPE', 'Transfer-Encoding without chunked as its last coding');
}

/** An expectation we cannot meet is 417; a request malformed besides is 400 first, as without it. */
function expectationRefusal(req: IncomingMessage): ProxyError {
  const malformed = refusedHead(req);
  if (malformed !== null) return malformed;
  if ((req.headersDistinct.host?.length ?? 0) > 1)
    return new ProxyError('DPE', 'request has more than one Host header');
  return new ProxyError('DPE', 'unsupported expectation', { status: 417 });
}

export function createHttpServer(sidecar: Sidecar, handlers: HttpHandlers): Server {
  const { limits } = sidecar;
  // Connections whose parser stopped on a head we refused: its error is that
  // same refusal (already answered and counted), and the reply closes them.
  const refusedOn = new WeakSet<Socket>();
  const refuse = (req: IncomingMessage, res: ServerResponse, err: ProxyError): void => {
    refusedOn.add(req.socket);
    handlers.rejected(err, req.socket);
    replyError(res, err);
  };
  const serve = serializePerConnection((req, res) => {
    if (sidecar.draining || declinedUpgrades.has(req)) res.shouldKeepAlive = false;
    handlers.request(req, res);
  });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const err = refusedHead(req);
    if (err !== null) refuse(req, res, err);
    else serve(req, res);
  };
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      // Bodies may stream for a long time; only header arrival is bounded here.
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      // A missing Host is answered by resolve with a flagged 400.
      requireHostHeader: false,
      noDelay: true,
      shouldUpgradeCallback: isWebSocketUpgrade,
    },
    onRequest,
  );
  server.on('upgrade', handlers.upgrade);
  // Envoy answers a CONNECT no route accepts with 404 (no connect matcher):
  // the inbound listener opens no tunnels. See docs/configuration.md.
  server.on(
    'connect',
    handlers.connect ??
      ((req: IncomingMessage, socket: Socket) => {
        const err = connectRefusal(req);
        handlers.rejected(err, socket);
        writeRawError(socket, err);
      }),
  );
  // Node answers an expectation other than 100-continue with a bare 417; ours
  // is flagged and counted (undici cannot forward `Expect`, see forward/headers.ts).
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    refuse(req, res, expectationRefusal(req)),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Bytes after a `Connection: close` request are discarded (RFC 9112 §9.6),
    // and after a refused head the parser's error is that refusal: the reply
    // in progress is written and then closes the connection.
    if (err.code === 'HPE_CLOSED_CONNECTION' || refusedOn.has(socket)) return;
    // A client that stops mid-body: its request is recorded once, as DC, by the
    // forward step; the parser's EOF error is that same event, not a new request.
    const inProgress = requestInProgress(socket);
    const proxyErr = parserError(err);
    // A body malformed mid-upload (a bad chunk size): the forward step answers
    // 400 DPE, or resets if the response has started (docs/architecture.md).
    const res = (socket as { _httpMessage?: object | null })._httpMessage;
    if (inProgress && proxyErr !== null && err.code !== 'HPE_INVALID_EOF_STATE' && res != null) {
      if (requestMalformed(res, proxyErr)) return;
    }
    if (inProgress || proxyErr === null) {
      socket.destroy();
      return;
    }
    handlers.rejected(proxyErr, socket);
    writeRawError(socket, proxyErr);
  });
  // This server never listens itself: connections reach it from a front-end
  // (sniffing, TLS). Node starts the header/request timeout checks on
  // 'listening', so announce it, or slow clients would never be cut off.
  server.emit('listening');
  return server;
}
