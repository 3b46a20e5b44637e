// Connection front-ends. A captured connection (iptables REDIRECT) is sniffed:
// HTTP/1.x and HTTP/2 go to the listener's front door (front-door.ts),
// anything else is relayed byte-for-byte to its original destination.
// Connections that were not redirected (HTTP_PROXY clients, tests) only have
// their first bytes checked for the HTTP/2 preface.
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { authorizeTcp } from '../authz/enforce.ts';
import { type OriginalDst, originalDstOf } from '../capture/original-dst.ts';
import { handOffToHttpServer, sniffConnection } from '../capture/sniff.ts';
import type { Sidecar } from '../sidecar.ts';
import { type FrontDoor, servePlaintext } from './front-door.ts';
import type { H2Server } from './server/http2.ts';
import { passthroughTcp } from './tcp-passthrough.ts';

export interface Listener {
  /** What listens on the port. */
  readonly server: Server;
  /** The HTTP server connections are handed to (drain closes its idle connections). */
  readonly http: HttpServer;
  /** The HTTP/2 server of the same port (drain sends its sessions GOAWAY). */
  readonly h2: H2Server;
}

// Where each captured connection was going, for the HTTP layer: an unknown
// host goes out to it (Istio's PassthroughCluster), an inbound request to its port.
// Kept on the socket itself: an HTTP/2 request's `socket` is a proxy that
// forwards property reads to it (a WeakMap keyed by the socket would miss).
const kOriginalDst = Symbol('meshlet.originalDst');
type Marked = Socket & { [kOriginalDst]?: OriginalDst; _parent?: Marked | null };

/** Reads (once) and records the original destination of an accepted connection; null when not redirected. */
export function recordOriginalDst(socket: Socket): OriginalDst | null {
  const dst = originalDstOf(socket);
  if (dst !== null) (socket as Marked)[kOriginalDst] = dst;
  return dst;
}

/** The original destination of the connection a request came on (a TLS socket: of the TCP socket under it). */
export function capturedDstOf(socket: Socket): OriginalDst | undefined {
  const marked = socket as Marked;
  return marked[kOriginalDst] ?? marked._parent?.[kOriginalDst];
}

export function acceptCaptured(sidecar: Sidecar, door: FrontDoor, direction: 'inbound' | 'outbound'): Server {
  return createServer({ noDelay: true }, (socket) => routeConnection(sidecar, door, direction, socket));
}

/** Plaintext connection: straight to the front door unless it was captured, then sniffed. */
export function routeConnection(
  sidecar: Sidecar,
  door: FrontDoor,
  direction: 'inbound' | 'outbound',
  socket: Socket,
): void {
  const dst = capturedDstOf(socket) ?? recordOriginalDst(socket);
  if (dst === null) {
    servePlaintext(door, socket, sidecar.limits.headersTimeoutMs);
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
      handOffToHttpServer(door.http, socket, head);
      return;
    }
    if (protocol === 'h2') {
      door.h2.accept(socket, head);
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
