// The HTTP/1.1 server both listeners use: limits from DESIGN.md section 3,
// and parser-level errors (smuggling, oversize, slow headers) answered with a
// flagged reply on the raw socket, counted, and the connection closed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ProxyError } from '../errors.ts';
import type { Sidecar } from '../sidecar.ts';
import { parserError, writeRawError } from './rescue.ts';

export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A request the parser rejected before it became an IncomingMessage. */
  rejected(err: ProxyError, socket: Socket): void;
}

export function createHttpServer(sidecar: Sidecar, handlers: HttpHandlers): Server {
  const { limits } = sidecar;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      // Bodies may stream for a long time; only header arrival is bounded here.
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      // A missing Host is answered by the outbound listener with a flagged 400.
      requireHostHeader: false,
      noDelay: true,
    },
    handlers.request,
  );
  server.on('upgrade', handlers.upgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const proxyErr = parserError(err);
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
