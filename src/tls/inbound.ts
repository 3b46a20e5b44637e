// Server side of sidecar-to-sidecar mTLS, for the inbound listener. The
// listener sniffs the first byte of each connection; TLS ones come here, are
// terminated with the current certificate, and reach the HTTP server only
// when the peer presented a certificate that chains to our CA bundle and
// names a workload in our trust domain. Anything else fails the handshake.
import type { Socket } from 'node:net';
import { Server, type TLSSocket } from 'node:tls';
import { ALPN_PROTOCOLS } from '../listener/server/http2.ts';
import type { TlsMaterial, TlsSnapshot } from './material.ts';
import { secureContextOptionsOf } from './material.ts';
import { peerSpiffeId } from './spiffe.ts';

/** Bounded set of reasons, used as a metric label value. */
export type HandshakeFailureReason =
  | 'no_peer_cert'
  | 'untrusted_peer_cert'
  | 'expired_peer_cert'
  | 'peer_identity'
  | 'handshake_timeout'
  | 'handshake_error'
  | 'not_ready';

export type HandshakeFailureHook = (reason: HandshakeFailureReason, detail: string) => void;

const TLS_HANDSHAKE_RECORD = 0x16;

/** A TLS connection starts with a handshake record (content type 22); HTTP/1 starts with a method letter. */
export function isTlsClientHello(firstByte: number): boolean {
  return firstByte === TLS_HANDSHAKE_RECORD;
}

/**
 * Waits for the first byte of a fresh connection without consuming it: the
 * chunk is put back (`unshift`) and the socket left paused, so whoever takes
 * the socket next (HTTP server or TLS) sees the stream from its start and
 * must resume it. Resolves null when the peer closes or sends nothing within
 * `timeoutMs` (the socket is then destroyed).
 */
export function readFirstByte(socket: Socket, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const done = (value: number | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onGone);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      socket.pause();
      socket.unshift(chunk);
      done(chunk[0]!);
    };
    const onGone = (): void => {
      socket.destroy();
      done(null);
    };
    const timer = setTimeout(onGone, timeoutMs);
    socket.on('data', onData);
    socket.once('end', onGone);
    socket.once('close', onGone);
    socket.once('error', onGone);
  });
}

export interface InboundTlsOptions {
  /** The mesh trust domain; read per handshake so a config reload applies to new connections. */
  trustDomain: () => string;
  /** Gets each authenticated connection; typically `httpServer.emit('connection', socket)`. */
  onSecureConnection: (socket: TLSSocket, spiffeId: string) => void;
  onHandshakeFailure?: HandshakeFailureHook;
  /** Default 10 s. */
  handshakeTimeoutMs?: number;
}

/**
 * Terminates inbound mTLS. A private, never-listening tls.Server does the
 * handshakes, because only its connection path checks the peer certificate
 * and sets `socket.authorized`; a bare `new TLSSocket` would not.
 */
export class InboundTls {
  #material: TlsMaterial;
  #options: InboundTlsOptions;
  #server: Server;
  #applied: TlsSnapshot | null = null;

  constructor(material: TlsMaterial, options: InboundTlsOptions) {
    this.#material = material;
    this.#options = options;
    this.#server = new Server({
      requestCert: true,
      // Verification errors are judged in #onSecure, so each failure is counted with its reason.
      rejectUnauthorized: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      // HTTP/2 preferred, HTTP/1.1 for peers that offer only it (or no ALPN at all).
      ALPNProtocols: [...ALPN_PROTOCOLS],
    });
    this.#server.on('secureConnection', (socket: TLSSocket) => this.#onSecure(socket));
    this.#server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const timeout = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
      this.#fail(socket, timeout ? 'handshake_timeout' : 'handshake_error', err.code ?? err.message);
    });
  }

  /**
   * Starts a TLS handshake on a raw inbound connection. `head` is what a
   * sniffer already read off the socket (e.g. sniffConnection's `head`); it
   * is put back first. Without it, the bytes must still be in the socket
   * (readFirstByte leaves them there). New handshakes always use the
   * material's current certificate, so a rotation needs no restart.
   */
  accept(socket: Socket, head?: Buffer): void {
    const current = this.#material.current;
    if (current === null) {
      this.#options.onHandshakeFailure?.('not_ready', 'no certificate loaded');
      socket.destroy();
      return;
    }
    if (current !== this.#applied) {
      this.#server.setSecureContext(secureContextOptionsOf(current));
      this.#applied = current;
    }
    if (head !== undefined && head.length > 0) socket.unshift(head);
    // No resume(): the TLS layer drains the bytes put back and then reads the handle itself;
    // a resumed, listener-less socket would drop them before it gets there.
    this.#server.emit('connection', socket);
  }

  #onSecure(socket: TLSSocket): void {
    if (!socket.authorized) {
      const code = String(socket.authorizationError ?? '');
      const reason =
        socket.getPeerX509Certificate() === undefined
          ? 'no_peer_cert'
          : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
            ? 'expired_peer_cert'
            : 'untrusted_peer_cert';
      this.#fail(socket, reason, code);
      return;
    }
    const spiffeId = peerSpiffeId(socket, this.#options.trustDomain());
    if (spiffeId === null) {
      this.#fail(socket, 'peer_identity', 'peer certificate has no SPIFFE ID in the trust domain');
      return;
    }
    this.#options.onSecureConnection(socket, spiffeId);
  }

  #fail(socket: TLSSocket, reason: HandshakeFailureReason, detail: string): void {
    this.#options.onHandshakeFailure?.(reason, detail);
    socket.destroy();
  }
}
