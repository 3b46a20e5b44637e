// Upstream connection pools: one undici Pool per (origin, expected peer
// identity). Idle connections close before a typical upstream idle timeout so
// keep-alive races stay rare; the call layer retries the rest.
import { createRequire } from 'node:module';
import type { buildConnector, Pool as PoolType } from 'undici';

// undici's Pool alone, not the package index: the index also loads fetch,
// WebSocket, caches and mocks, about 11 MiB of RSS a sidecar never uses
// (BENCHMARKS.md, memory). The types are the package's own.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof PoolType;
type Pool = PoolType;

export type ConnectorFactory = (expectedSpiffeId: string) => buildConnector.connector;

export interface PoolOptions {
  idleTimeoutMs: number;
}

export class UpstreamPools {
  #pools = new Map<string, Pool>();
  #idleTimeoutMs: number;
  #tlsConnector: ConnectorFactory | null = null;

  constructor(opts: PoolOptions) {
    this.#idleTimeoutMs = opts.idleTimeoutMs;
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

  get(origin: string, spiffeId: string | null): Pool {
    const key = spiffeId === null ? origin : `${origin}#${spiffeId}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#create(origin, spiffeId);
      this.#pools.set(key, pool);
      this.#dropWhenIdle(key, pool);
    }
    return pool;
  }

  /** Pools currently kept (idle ones are dropped once their last connection closes). */
  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  /**
   * Forget a pool once its last connection has closed and nothing waits on it,
   * as undici's Agent does: passthrough hosts and versions removed by a reload
   * would otherwise pile up for the life of the process.
   */
  #dropWhenIdle(key: string, pool: Pool): void {
    pool.on('disconnect', () => {
      const { connected, pending, running } = pool.stats;
      if (connected > 0 || pending > 0 || running > 0 || this.#pools.get(key) !== pool) return;
      this.#pools.delete(key);
      pool.close().catch(() => {});
    });
  }

  #closeAll(): void {
    for (const pool of this.#pools.values()) pool.close().catch(() => {});
    this.#pools.clear();
  }

  #create(origin: string, spiffeId: string | null): Pool {
    const connect =
      spiffeId !== null && this.#tlsConnector !== null ? this.#tlsConnector(spiffeId) : undefined;
    return new Pool(origin, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: this.#idleTimeoutMs,
      // Cap what the upstream advertises too: it may close at exactly its own limit.
      keepAliveMaxTimeout: this.#idleTimeoutMs,
      keepAliveTimeoutThreshold: 500,
      connectTimeout: 5000,
      headersTimeout: 0,
      bodyTimeout: 0,
      maxHeaderSize: 64 * 1024,
      ...(connect === undefined ? {} : { connect }),
    });
  }
}
