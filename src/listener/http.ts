// The HTTP/1.1 server both listeners use: limits from docs/configuration.md,
// parser-level errors (smuggling, oversize, slow headers) answered with a
// flagged reply on the raw socket, counted, and the connection closed.
// Requests on one connection are handled in order, one at a time (serial.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyError } from '../errors.ts';
import type { Sidecar } from '../sidecar.ts';
import { parserError, writeRawError } from './rescue.ts';
import { requestInProgress, serializePerConnection } from './serial.ts';

export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** `CONNECT host:port`; without it a CONNECT is refused by node (outbound only tunnels). */
  connect?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A request the parser rejected before it became an IncomingMessage. */
  rejected(err: ProxyError, socket: Socket): void;
}

/** WebSocket is the one upgrade proxied; any other offer (`h2c`) is ignored and served over HTTP/1.1. */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}

export function createHttpServer(sidecar: Sidecar, handlers: HttpHandlers): Server {
  const { limits } = sidecar;
  const onRequest = serializePerConnection((req, res) => {
    if (sidecar.draining) res.shouldKeepAlive = false;
    handlers.request(req, res);
  });
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
  if (handlers.connect !== undefined) server.on('connect', handlers.connect);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A client that stops mid-body: its request is recorded once, as DC, by the
    // forward step; the parser's EOF error is that same event, not a new request.
    const proxyErr = requestInProgress(socket) ? null : parserError(err);
    if (proxyErr === null) {
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
