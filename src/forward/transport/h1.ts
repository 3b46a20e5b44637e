// The HTTP/1.1 transport: an undici Pool per origin. undici's Pool is loaded
// alone, not the package index: the index also loads fetch, WebSocket, caches
// and mocks, about 11 MiB of RSS a sidecar never uses (BENCHMARKS.md, memory).
import { createRequire } from 'node:module';
import type { buildConnector, Pool as PoolType } from 'undici';

const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof PoolType;
export type H1Pool = PoolType;

export interface H1PoolOptions {
  /** Idle connections close after this, before a typical upstream idle timeout. */
  readonly idleTimeoutMs: number;
  /** A TLS connector for mTLS origination; plain TCP when absent. */
  readonly connect?: buildConnector.connector;
}

/** Throws on an origin undici cannot parse; pools.ts turns that into a ProxyError. */
export function createH1Pool(origin: string, opts: H1PoolOptions): H1Pool {
  return new Pool(origin, {
    connections: null,
    // One request per connection at a time: a pipelined request behind a slow
    // one would wait, and a reset would take both.
    pipelining: 1,
    keepAliveTimeout: opts.idleTimeoutMs,
    // Cap what the upstream advertises too: it may close at exactly its own limit.
    keepAliveMaxTimeout: opts.idleTimeoutMs,
    keepAliveTimeoutThreshold: 500,
    connectTimeout: 5000,
    // The call keeps its own clocks (route deadline, per-try, stream idle).
    headersTimeout: 0,
    bodyTimeout: 0,
    maxHeaderSize: 64 * 1024,
    ...(opts.connect === undefined ? {} : { connect: opts.connect }),
  });
}
