// Connection front-ends. A captured connection (iptables REDIRECT) is sniffed:
// HTTP goes to the listener's HTTP server, anything else is relayed
// byte-for-byte to its original destination. Connections that were not
// redirected (HTTP_PROXY clients, tests) skip the sniff entirely.
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { originalDstOf } from '../capture/original-dst.ts';
import { handOffToHttpServer, sniffConnection } from '../capture/sniff.ts';
import type { Sidecar } from '../sidecar.ts';
import { passthroughTcp } from './tcp-passthrough.ts';

export interface Listener {
  /** What listens on the port. */
  readonly server: Server;
  /** The HTTP server connections are handed to (drain closes its idle connections). */
  readonly http: HttpServer;
}

export function acceptCaptured(
  sidecar: Sidecar,
  http: HttpServer,
  direction: 'inbound' | 'outbound',
): Server {
  return createServer({ noDelay: true }, (socket) => routeConnection(sidecar, http, direction, socket));
}

/** Plaintext connection: straight to HTTP unless it was captured, then sniffed. */
export function routeConnection(
  sidecar: Sidecar,
  http: HttpServer,
  direction: 'inbound' | 'outbound',
  socket: Socket,
): void {
  const dst = originalDstOf(socket);
  if (dst === null) {
    http.emit('connection', socket);
    // A first-byte sniff (inbound permissive mode) leaves the socket paused.
    socket.resume();
    return;
  }
  void sniffConnection(socket, { dstPort: dst.port }).then(({ protocol, head }) => {
    if (protocol === 'http') {
      handOffToHttpServer(http, socket, head);
      return;
    }
    const tcp = sidecar.metrics.tcp({ direction, destination_port: String(dst.port) });
    passthroughTcp(socket, head, dst, {
      onOpen: () => tcp.opened(),
      onClose: (bytesIn, bytesOut) => tcp.bytes(bytesIn, bytesOut),
    });
  });
}
