// Connection front-ends. A captured connection (iptables REDIRECT) is sniffed:
// HTTP goes to the listener's HTTP server, anything else is relayed
// byte-for-byte to its original destination. Connections that were not
// redirected (HTTP_PROXY clients, tests) skip the sniff entirely.
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { type OriginalDst, originalDstOf } from '../capture/original-dst.ts';
import { authorizeTcp } from '../authz/enforce.ts';
import { handOffToHttpServer, sniffConnection } from '../capture/sniff.ts';
import type { Sidecar } from '../sidecar.ts';
import { passthroughTcp } from './tcp-passthrough.ts';

export interface Listener {
  /** What listens on the port. */
  readonly server: Server;
  /** The HTTP server connections are handed to (drain closes its idle connections). */
  readonly http: HttpServer;
}

// Where each captured connection was going, for the HTTP layer: an unknown
// host goes out to it (Istio's PassthroughCluster), an inbound request to its port.
const capturedDsts = new WeakMap<Socket, OriginalDst>();

/** Reads (once) and records the original destination of an accepted connection; null when not redirected. */
export function recordOriginalDst(socket: Socket): OriginalDst | null {
  const dst = originalDstOf(socket);
  if (dst !== null) capturedDsts.set(socket, dst);
  return dst;
}

/** The original destination of the connection a request came on (a TLS socket: of the TCP socket under it). */
export function capturedDstOf(socket: Socket): OriginalDst | undefined {
  const parent = (socket as Socket & { _parent?: Socket | null })._parent;
  return capturedDsts.get(socket) ?? (parent == null ? undefined : capturedDsts.get(parent));
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
  const dst = capturedDstOf(socket) ?? recordOriginalDst(socket);
  if (dst === null) {
    http.emit('connection', socket);
    // A first-byte sniff (inbound permissive mode) leaves the socket paused.
    socket.resume();
    return;
  }
  // A connection captured on its way to our own listener port would be
  // relayed straight back to us (Istio's virtualOutbound blackhole).
  if (direction === 'outbound' && dst.port === socket.localPort) {
    socket.destroy();
    return;
  }
  void sniffConnection(socket, { dstPort: dst.port }).then(({ protocol, head }) => {
    if (protocol === 'http') {
      handOffToHttpServer(http, socket, head);
      return;
    }
    if (direction === 'inbound') {
      const mesh = sidecar.config.current;
      const allowed = authorizeTcp(
        sidecar,
        mesh.services.get(sidecar.self.service),
        mesh.mtls,
        dst.port,
        protocol,
      );
      if (!allowed) {
        socket.destroy();
        return;
      }
    }
    const tcp = sidecar.metrics.tcp({ direction, destination_port: String(dst.port) });
    passthroughTcp(socket, head, dst, {
      onOpen: () => tcp.opened(),
      onClose: (bytesIn, bytesOut) => tcp.bytes(bytesIn, bytesOut),
    });
  });
}
