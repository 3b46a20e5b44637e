// Upstream connection pools: one per (origin, expected peer identity), made on
// first use, dropped once idle or unreachable, and capped in number so origins
// chosen by the network (passthrough hosts) cannot grow memory without bound.
import { ProxyError } from '../errors.ts';
import { createH1Pool, type H1Pool } from './transport/h1.ts';
import type { buildConnector } from 'undici';
import type { Endpoint, Upstream } from './upstream.ts';

export type ConnectorFactory = (expectedSpiffeId: string) => buildConnector.connector;

export interface PoolOptions {
  idleTimeoutMs: number;
  /** Most pools kept at once; the least recently used idle ones go first. */
  maxPools?: number;
}

/** Enough for every version of a large mesh plus passthrough hosts in use. */
export const DEFAULT_MAX_POOLS = 4096;

export class UpstreamPools {
  // Insertion order is use order (get() re-inserts): the first key is the least recently used.
  #pools = new Map<string, H1Pool>();
  #idleTimeoutMs: number;
  #maxPools: number;
  #tlsConnector: ConnectorFactory | null = null;

  constructor(opts: PoolOptions) {
    this.#idleTimeoutMs = opts.idleTimeoutMs;
    this.#maxPools = opts.maxPools ?? DEFAULT_MAX_POOLS;
  }

  /** Enables mTLS origination; pools made later for a SPIFFE id use it. */
  setTlsConnector(factory: ConnectorFactory | null): void {
    this.#tlsConnector = factory;
  }

  /** Idle timeout for pools created from now on (a config reload changes it). */
  setIdleTimeout(ms: number): void {
    if (ms === this.#idleTimeoutMs) return;
    this.#idleTimeoutMs = ms;
    this.#closeAll();
  }

  /** The pool for an origin; throws only a ProxyError (UF) for an origin no connection can be made to. */
  get(origin: string, spiffeId: string | null): H1Pool {
    const key = spiffeId === null ? origin : `${origin}#${spiffeId}`;
    let pool = this.#pools.get(key);
    if (pool !== undefined) {
      if (this.#pools.size > 1) {
        this.#pools.delete(key);
        this.#pools.set(key, pool);
      }
      return pool;
    }
    pool = this.#create(origin, spiffeId);
    this.#evictFor();
    this.#pools.set(key, pool);
    this.#dropWhenIdle(key, pool);
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

  /** Pools currently kept. */
  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  /**
   * Forget a pool once nothing is connected or waiting, as undici's Agent
   * does: after its last connection idles out ('disconnect') or after a
   * connection attempt fails ('connectionError', an unreachable origin that
   * never connects and so never disconnects).
   */
  #dropWhenIdle(key: string, pool: H1Pool): void {
    const drop = (): void => {
      const { connected, pending, running } = pool.stats;
      if (connected > 0 || pending > 0 || running > 0 || this.#pools.get(key) !== pool) return;
      this.#pools.delete(key);
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
    while (this.#pools.size >= this.#maxPools) {
      const [key, pool] = this.#pools.entries().next().value as [string, H1Pool];
      this.#pools.delete(key);
      pool.close().catch(() => {});
    }
  }

  #closeAll(): void {
    for (const pool of this.#pools.values()) pool.close().catch(() => {});
    this.#pools.clear();
  }

  #create(origin: string, spiffeId: string | null): H1Pool {
    const connect =
      spiffeId !== null && this.#tlsConnector !== null ? this.#tlsConnector(spiffeId) : undefined;
    try {
      return createH1Pool(origin, {
        idleTimeoutMs: this.#idleTimeoutMs,
        ...(connect === undefined ? {} : { connect }),
      });
    } catch (err) {
      throw new ProxyError('UF', `invalid upstream address '${origin.slice(0, 200)}'`, { cause: err });
    }
  }
}
