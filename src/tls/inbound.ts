// Server side of sidecar-to-sidecar mTLS, for the inbound listener. The
// listener sniffs the first byte of each connection; TLS ones come here, are
// terminated with the current certificate, and reach the HTTP server only
// when the peer presented a certificate that chains to our CA bundle and
// names a workload in our trust domain. Anything else fails the handshake.
import type { Socket } from 'node:net';
import { type PeerCertificate, TLSSocket } from 'node:tls';
import { ALPN_PROTOCOLS } from '../listener/server/http2.ts';
import type { TlsMaterial } from './material.ts';
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
  /** From the first byte to the end of the handshake, at most; default 10 s. */
  handshakeTimeoutMs?: number;
}

/**
 * What a server TLSSocket has that tls.Server's connection path uses and that
 * has no public name (Node's lib/internal/tls/wrap.js): the handshake's chain
 * verification result (`ssl` is the TLS handle); the switch that lets TLS
 * errors after the handshake reach the socket's 'error' listeners; and the
 * flag an HTTP/2 session waits on before it reads. Should a Node release
 * rename the first two, every handshake fails as `handshake_error`.
 */
interface ServerSocketInternals {
  ssl?: { verifyError?: () => (Error & { code?: string }) | null } | null;
  _releaseControl?: () => boolean;
  secureConnecting: boolean;
}

/**
 * Terminates inbound mTLS on a server TLSSocket of its own. tls.Server's
 * connection path is not used because it reads the peer certificate with
 * getPeerX509Certificate(), which in Node 24 keeps every client's certificate
 * chain for good (7.6 KiB per connection; BENCHMARKS.md, "Soak"); the
 * certificate is read here with getPeerCertificate(), which copies it.
 */
export class InboundTls {
  #material: TlsMaterial;
  #options: InboundTlsOptions;
  #timeoutMs: number;

  constructor(material: TlsMaterial, options: InboundTlsOptions) {
    this.#material = material;
    this.#options = options;
    this.#timeoutMs = options.handshakeTimeoutMs ?? 10_000;
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
    if (head !== undefined && head.length > 0) socket.unshift(head);
    // No resume(): the TLS layer drains the bytes put back and then reads the handle itself;
    // a resumed, listener-less socket would drop them before it gets there.
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: current.secureContext,
      requestCert: true,
      // Verification errors are judged in #onSecure, so each failure is counted with its reason.
      rejectUnauthorized: false,
      // HTTP/2 preferred, HTTP/1.1 for peers that offer only it (or no ALPN at all).
      ALPNProtocols: [...ALPN_PROTOCOLS],
    });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    // Absolute, not an idle timeout: a peer trickling handshake bytes is cut off too.
    const timer = setTimeout(() => {
      if (settle()) this.#fail(tls, 'handshake_timeout', 'ERR_TLS_HANDSHAKE_TIMEOUT');
    }, this.#timeoutMs);
    tls.once('secure', () => {
      if (settle()) this.#onSecure(tls);
    });
    // Stays attached (a no-op once settled) until the HTTP server adds its own listener.
    tls.on('error', (err: NodeJS.ErrnoException) => {
      if (settle()) this.#fail(tls, 'handshake_error', err.code ?? err.message);
    });
    tls.once('close', () => {
      if (settle()) this.#fail(tls, 'handshake_error', 'ECONNRESET');
    });
  }

  #onSecure(socket: TLSSocket): void {
    const internals = socket as unknown as ServerSocketInternals;
    if (typeof internals.ssl?.verifyError !== 'function' || typeof internals._releaseControl !== 'function') {
      this.#fail(socket, 'handshake_error', 'this Node version has no server TLS verification result');
      return;
    }
    const verifyError = internals.ssl.verifyError();
    // `{}` without a certificate: the check covers a TLS 1.3 resumption too, which verifies as OK without one.
    if ((socket.getPeerCertificate() as Partial<PeerCertificate>).raw === undefined) {
      this.#fail(socket, 'no_peer_cert', verifyError?.code ?? 'no certificate');
      return;
    }
    if (verifyError !== null) {
      const code = verifyError.code ?? verifyError.message;
      const expired = code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID';
      this.#fail(socket, expired ? 'expired_peer_cert' : 'untrusted_peer_cert', code);
      return;
    }
    socket.authorized = true;
    const spiffeId = peerSpiffeId(socket, this.#options.trustDomain());
    if (spiffeId === null) {
      this.#fail(socket, 'peer_identity', 'peer certificate has no SPIFFE ID in the trust domain');
      return;
    }
    internals._releaseControl();
    internals.secureConnecting = false;
    this.#options.onSecureConnection(socket, spiffeId);
  }

  #fail(socket: TLSSocket, reason: HandshakeFailureReason, detail: string): void {
    this.#options.onHandshakeFailure?.(reason, detail);
    socket.destroy();
  }
}
