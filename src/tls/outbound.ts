// Client side of sidecar-to-sidecar mTLS, for the outbound listener's upstream
// pools. The server is authenticated by its SPIFFE ID, not by host name: the
// chain must verify against our CA bundle and the certificate's single URI
// SAN must equal the destination service's ID exactly.
import {
  type ConnectionOptions,
  connect,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import type { buildConnector } from 'undici';
import type { HandshakeFailureHook, HandshakeFailureReason } from './inbound.ts';
import type { TlsMaterial } from './material.ts';
import { spiffeIdOfCertificate } from './spiffe.ts';

export const PEER_IDENTITY_ERROR = 'ERR_MESHLET_PEER_IDENTITY';

export class PeerIdentityError extends Error {
  readonly code = PEER_IDENTITY_ERROR;
  readonly expected: string;
  readonly actual: string | null;
  constructor(expected: string, actual: string | null) {
    super(`upstream presented ${actual ?? 'no SPIFFE ID'}, expected ${expected}`);
    this.name = 'PeerIdentityError';
    this.expected = expected;
    this.actual = actual;
  }
}

export interface MeshConnectorOptions {
  /** Connect + handshake deadline; undici does not time out custom connectors. Default 10 s. */
  timeoutMs?: number;
  /** TCP keep-alive initial delay. Default 60 s, as undici's own connector. */
  keepAliveInitialDelayMs?: number;
  /** ALPN offered: `['h2']` for an HTTP/2 destination. Default `['http/1.1']`. */
  alpnProtocols?: readonly string[];
}

function reasonOf(err: NodeJS.ErrnoException): HandshakeFailureReason {
  switch (err.code) {
    case PEER_IDENTITY_ERROR:
      return 'peer_identity';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'expired_peer_cert';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'handshake_timeout';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
    case 'INVALID_CA':
      return 'untrusted_peer_cert';
    default:
      return 'handshake_error';
  }
}

class ConnectTimeoutError extends Error {
  readonly code = 'UND_ERR_CONNECT_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`mTLS connect timed out after ${timeoutMs} ms`);
    this.name = 'ConnectTimeoutError';
  }
}

/**
 * An undici `connect` function (`new Pool(origin, { connect: meshConnector(...) })`)
 * that originates mTLS with the material's current client certificate and
 * accepts only a server whose SPIFFE ID is `expectedSpiffeId`. A wrong
 * identity fails the connection with PeerIdentityError (code
 * ERR_MESHLET_PEER_IDENTITY); chain errors keep OpenSSL's codes. TLS failures
 * (not TCP ones) are reported to `onHandshakeFailure`.
 */
export function meshConnector(
  material: TlsMaterial,
  expectedSpiffeId: string,
  onHandshakeFailure?: HandshakeFailureHook,
  options: MeshConnectorOptions = {},
): buildConnector.connector {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keepAliveInitialDelay = options.keepAliveInitialDelayMs ?? 60_000;
  const alpn = [...(options.alpnProtocols ?? ['http/1.1'])];
  // Node calls this only after the chain verified; the host name plays no part.
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
    const actual = spiffeIdOfCertificate(cert.raw);
    return actual === expectedSpiffeId ? undefined : new PeerIdentityError(expectedSpiffeId, actual);
  };

  return (opts, callback) => {
    let secureContext: SecureContext;
    try {
      secureContext = material.secureContext;
    } catch (err) {
      onHandshakeFailure?.('not_ready', (err as Error).message);
      callback(err as Error, null);
      return;
    }
    const socket: TLSSocket = connect({
      host: opts.hostname,
      port: Number(opts.port),
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      secureContext,
      rejectUnauthorized: true,
      checkServerIdentity,
      // No `session` is passed: without resumption every connection re-checks the peer certificate.
      ALPNProtocols: alpn,
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveInitialDelay);
    let tcpConnected = false;
    let settled = false;
    const settle = (err: NodeJS.ErrnoException | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('secureConnect', onSecure);
      // onError stays attached (a no-op once settled), as in undici's own connector:
      // an error between here and undici adding its listeners must not crash the process.
      if (err === null) {
        callback(null, socket);
        return;
      }
      if (tcpConnected || err.code === PEER_IDENTITY_ERROR)
        onHandshakeFailure?.(reasonOf(err), err.code ?? err.message);
      socket.destroy();
      callback(err, null);
    };
    const onConnect = (): void => {
      tcpConnected = true;
    };
    const onSecure = (): void => settle(null);
    const onError = (err: NodeJS.ErrnoException): void => settle(err);
    const timer = setTimeout(() => settle(new ConnectTimeoutError(timeoutMs)), timeoutMs);
    socket.on('connect', onConnect);
    socket.once('secureConnect', onSecure);
    socket.on('error', onError);
  };
}

/**
 * tls.connect options for a one-off mesh connection (HTTP upgrades, which do
 * not go through the undici pools): the material's current client
 * certificate, chain verified against ca.crt, and the server's SPIFFE ID
 * must be exactly `expectedSpiffeId`. Throws TlsNotReadyError before the first load.
 */
export function meshConnectOptions(
  material: TlsMaterial,
  expectedSpiffeId: string,
  alpnProtocols: readonly string[] = ['http/1.1'],
): ConnectionOptions {
  return {
    secureContext: material.secureContext,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const actual = spiffeIdOfCertificate(cert.raw);
      return actual === expectedSpiffeId ? undefined : new PeerIdentityError(expectedSpiffeId, actual);
    },
    ALPNProtocols: [...alpnProtocols],
  };
}
