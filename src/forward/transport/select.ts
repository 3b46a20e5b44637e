// Which transport carries a request to an endpoint: HTTP/1.1 (an undici Pool,
// h1.ts) or HTTP/2 (one multiplexed node:http2 session, h2.ts). A service's
// `protocol` decides (docs/configuration.md): `http2` and `grpc` go over
// HTTP/2, `http` over HTTP/1.1, whatever the caller spoke, so an HTTP/1.1
// client can call an HTTP/2 service and the other way round. Sidecar to
// sidecar over mTLS the connector offers the matching ALPN (`h2` or
// `http/1.1`), which the peer's inbound listener accepts both of.
import type { buildConnector } from 'undici';
import { createH1Pool, type H1Pool } from './h1.ts';
import { H2Client } from './h2.ts';

/** How a request leaves the sidecar. */
export type UpstreamProtocol = 'http1' | 'h2';

/** What a service's `protocol:` means on the wire. */
export type ServiceProtocol = 'http' | 'http2' | 'grpc';

export function upstreamProtocolOf(protocol: ServiceProtocol | undefined): UpstreamProtocol {
  return protocol === 'http2' || protocol === 'grpc' ? 'h2' : 'http1';
}

/** ALPN a mesh mTLS connection offers for a protocol. */
export function alpnFor(protocol: UpstreamProtocol): readonly string[] {
  return protocol === 'h2' ? H2_ALPN : H1_ALPN;
}
const H1_ALPN: readonly string[] = ['http/1.1'];
const H2_ALPN: readonly string[] = ['h2'];

export interface TransportOptions {
  /** Idle connections (HTTP/1.1) or an idle session (HTTP/2) close after this. */
  readonly idleTimeoutMs: number;
  /** The mesh mTLS connector; plain TCP (h2c with prior knowledge for HTTP/2) when absent. */
  readonly connect?: buildConnector.connector;
}

export type PooledTransport =
  | { readonly protocol: 'http1'; readonly transport: H1Pool }
  | { readonly protocol: 'h2'; readonly transport: H2Client };

/** Throws (a TypeError or undici's error) on an origin no connection can be made to. */
export function createTransport(
  protocol: UpstreamProtocol,
  origin: string,
  opts: TransportOptions,
): PooledTransport {
  const connect = opts.connect === undefined ? {} : { connect: opts.connect };
  if (protocol === 'http1')
    return {
      protocol: 'http1',
      transport: createH1Pool(origin, { idleTimeoutMs: opts.idleTimeoutMs, ...connect }),
    };
  return {
    protocol: 'h2',
    transport: new H2Client(origin, { idleTimeoutMs: opts.idleTimeoutMs, ...connect }),
  };
}
