// Upstream connection pools: one per (origin, expected peer identity,
// protocol), made on first use, dropped once idle or unreachable, and capped
// in number so origins chosen by the network (passthrough hosts) cannot grow
// memory without bound. An HTTP/1.1 pool is an undici Pool; an HTTP/2 one is
// a single multiplexed session (transport/select.ts decides which).

import type { buildConnector } from 'undici';
import { ProxyError } from '../errors.ts';
import type { H1Pool } from './transport/h1.ts';
import { alpnFor, createTransport, type PooledTransport, type UpstreamProtocol } from './transport/select.ts';
import type { Endpoint, Transport, Upstream } from './upstream.ts';

/** The mTLS connector for a peer identity, offering `alpn`. */
export type ConnectorFactory = (
  expectedSpiffeId: string,
  alpn: readonly string[],
) => buildConnector.connector;

export interface PoolOptions {
  idleTimeoutMs: number;
  /** Most pools kept at once; the least recently used idle ones go first. */
  maxPools?: number;
}

/** Enough for every version of a large mesh plus passthrough hosts in use. */
export const DEFAULT_MAX_POOLS = 4096;

/** What every protocol view shares: the pools themselves, the limits and the mTLS connector. */
interface PoolStore {
  // Insertion order is use order (get() re-inserts): the first key is the least recently used.
  readonly pools: Map<string, PooledTransport>;
  idleTimeoutMs: number;
  readonly maxPools: number;
  tlsConnector: ConnectorFactory | null;
  readonly views: Map<UpstreamProtocol, UpstreamPools>;
}

export class UpstreamPools {
  readonly #store: PoolStore;
  readonly #protocol: UpstreamProtocol;

  /** `view` is for via(): another protocol over the same store. */
  constructor(opts: PoolOptions, view?: { store: PoolStore; protocol: UpstreamProtocol }) {
    this.#store = view?.store ?? {
      pools: new Map(),
      idleTimeoutMs: opts.idleTimeoutMs,
      maxPools: opts.maxPools ?? DEFAULT_MAX_POOLS,
      tlsConnector: null,
      views: new Map(),
    };
    this.#protocol = view?.protocol ?? 'http1';
    this.#store.views.set(this.#protocol, this);
  }

  /** The same pools, handing out transports of `protocol` (HTTP/1.1 by default). */
  via(protocol: UpstreamProtocol): UpstreamPools {
    const store = this.#store;
    return (
      store.views.get(protocol) ??
      new UpstreamPools({ idleTimeoutMs: store.idleTimeoutMs }, { store, protocol })
    );
  }

  get protocol(): UpstreamProtocol {
    return this.#protocol;
  }

  /** Enables mTLS origination; pools made later for a SPIFFE id use it. */
  setTlsConnector(factory: ConnectorFactory | null): void {
    this.#store.tlsConnector = factory;
  }

  /** Idle timeout for pools created from now on (a config reload changes it). */
  setIdleTimeout(ms: number): void {
    if (ms === this.#store.idleTimeoutMs) return;
    this.#store.idleTimeoutMs = ms;
    this.#closeAll();
  }

  /** The transport for an origin in this view's protocol; throws only a ProxyError (UF) for an origin no connection can be made to. */
  get(origin: string, spiffeId: string | null): Transport {
    return this.#get(origin, spiffeId, this.#protocol).transport;
  }

  /** The HTTP/1.1 pool for an origin, whatever this view's protocol. */
  h1(origin: string, spiffeId: string | null): H1Pool {
    return this.#get(origin, spiffeId, 'http1').transport as H1Pool;
  }

  #get(origin: string, spiffeId: string | null, protocol: UpstreamProtocol): PooledTransport {
    const pools = this.#store.pools;
    const base = spiffeId === null ? origin : `${origin}#${spiffeId}`;
    const key = protocol === 'http1' ? base : `${base}#h2`;
    let pool = pools.get(key);
    if (pool !== undefined) {
      if (pools.size > 1) {
        pools.delete(key);
        pools.set(key, pool);
      }
      return pool;
    }
    pool = this.#create(origin, spiffeId, protocol);
    this.#evictFor();
    pools.set(key, pool);
    if (pool.protocol === 'http1') this.#dropWhenIdle(key, pool);
    return pool;
  }

  /** One-endpoint Upstream for a call plan: the pool is looked up per attempt, errors become replies. */
  upstream(origin: string, spiffeId: string | null): Upstream {
    return {
      pick: (): Endpoint | ProxyError => {
        try {
          return { key: origin, transport: this.get(origin, spiffeId) };
        } catch (err) {
          return err as ProxyError;
        }
      },
    };
  }

  /** Pools currently kept, of every protocol. */
  get size(): number {
    return this.#store.pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#store.pools.values()];
    this.#store.pools.clear();
    await Promise.allSettled(pools.map((p) => p.transport.close()));
  }

  /**
   * Forget a pool once nothing is connected or waiting, as undici's Agent
   * does: after its last connection idles out ('disconnect') or after a
   * connection attempt fails ('connectionError', an unreachable origin that
   * never connects and so never disconnects).
   */
  #dropWhenIdle(key: string, entry: PooledTransport & { protocol: 'http1' }): void {
    const pools = this.#store.pools;
    const pool = entry.transport;
    const drop = (): void => {
      const { connected, pending, running } = pool.stats;
      if (connected > 0 || pending > 0 || running > 0 || pools.get(key) !== entry) return;
      pools.delete(key);
      pool.close().catch(() => {});
    };
    // After undici has settled the failed request, so pending/running read 0.
    const dropSoon = (): void => {
      setImmediate(drop);
    };
    pool.on('disconnect', drop);
    pool.on('connectionError', dropSoon);
  }

  /** Makes room for one more pool: the least recently used go, busy or not (their requests finish first). */
  #evictFor(): void {
    const pools = this.#store.pools;
    while (pools.size >= this.#store.maxPools) {
      const [key, pool] = pools.entries().next().value as [string, PooledTransport];
      pools.delete(key);
      pool.transport.close().catch(() => {});
    }
  }

  #closeAll(): void {
    for (const pool of this.#store.pools.values()) pool.transport.close().catch(() => {});
    this.#store.pools.clear();
  }

  // An HTTP/2 session left idle closes itself (H2Client's idle timeout) and
  // holds no socket after that; its small object stays until evicted.
  #create(origin: string, spiffeId: string | null, protocol: UpstreamProtocol): PooledTransport {
    const factory = this.#store.tlsConnector;
    const connect = spiffeId !== null && factory !== null ? factory(spiffeId, alpnFor(protocol)) : undefined;
    try {
      return createTransport(protocol, origin, {
        idleTimeoutMs: this.#store.idleTimeoutMs,
        ...(connect === undefined ? {} : { connect }),
      });
    } catch (err) {
      throw new ProxyError('UF', `invalid upstream address '${origin.slice(0, 200)}'`, { cause: err });
    }
  }
}
