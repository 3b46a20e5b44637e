// The HTTP/1.1 transport: an undici Pool per origin. undici's Pool and
// connector are loaded alone, not the package index: the index also loads
// fetch, WebSocket, caches and mocks, about 11 MiB of RSS a sidecar never uses
// (BENCHMARKS.md, memory).
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { buildConnector as BuildConnector, Pool as PoolType } from 'undici';

const require = createRequire(import.meta.url);
const Pool = require('undici/lib/dispatcher/pool.js') as typeof PoolType;
const buildConnector = require('undici/lib/core/connect.js') as typeof BuildConnector;
export type H1Pool = PoolType;

const CONNECT_TIMEOUT_MS = 5000;

export interface H1PoolOptions {
  /** Idle connections close after this, before a typical upstream idle timeout. */
  readonly idleTimeoutMs: number;
  /** A TLS connector for mTLS origination; plain TCP when absent. */
  readonly connect?: BuildConnector.connector;
}

/** Throws on an origin undici cannot parse; pools.ts turns that into a ProxyError. */
export function createH1Pool(origin: string, opts: H1PoolOptions): H1Pool {
  return new Pool(origin, {
    connections: null,
    // One request per connection at a time: a pipelined request behind a slow
    // one would wait, and a reset would take both. skipContinue relies on it.
    pipelining: 1,
    keepAliveTimeout: opts.idleTimeoutMs,
    // Cap what the upstream advertises too: it may close at exactly its own limit.
    keepAliveMaxTimeout: opts.idleTimeoutMs,
    keepAliveTimeoutThreshold: 500,
    // The call keeps its own clocks (route deadline, per-try, stream idle).
    headersTimeout: 0,
    bodyTimeout: 0,
    maxHeaderSize: 64 * 1024,
    connect: prepared(opts.connect ?? buildConnector({ timeout: CONNECT_TIMEOUT_MS })),
  });
}

function prepared(connect: BuildConnector.connector): BuildConnector.connector {
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err === null) {
        skipContinue(socket as Socket);
        readPastWriteFailure(socket as Socket);
      }
      callback(err as never, socket as never);
    });
}

/** Write errors that mean the upstream closed its end, not that our side broke. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET']);

/**
 * An upstream that answers early (a 413 on the head) and then closes without
 * reading the body makes the next body write fail (EPIPE, ECONNRESET). Node destroys a
 * socket on a failed write, so undici never read the answer already waiting in
 * the receive buffer and the caller got a 503 UC. Instead the failed write and
 * every later one are dropped (the upstream will not read them) and the socket
 * stays open for reading: undici then parses the answer, or sees the close
 * and reports a reset if there was none (see docs/architecture.md, "Forwarding").
 */
function readPastWriteFailure(socket: Socket): void {
  let gone = false;
  const guard =
    (callback: (err?: Error | null) => void) =>
    (err?: Error | null): void => {
      if (err != null && PEER_GONE.has((err as NodeJS.ErrnoException).code ?? '')) {
        gone = true;
        callback();
      } else callback(err);
    };
  type Write = (
    this: Socket,
    chunk: unknown,
    encoding: BufferEncoding,
    cb: (err?: Error | null) => void,
  ) => void;
  type Writev = (this: Socket, chunks: unknown[], cb: (err?: Error | null) => void) => void;
  const internal = socket as unknown as { _write: Write; _writev?: Writev };
  const write = internal._write;
  internal._write = function (chunk, encoding, cb) {
    if (gone) cb();
    else write.call(this, chunk, encoding, guard(cb));
  };
  const writev = internal._writev;
  if (writev !== undefined) {
    internal._writev = function (chunks, cb) {
      if (gone) cb();
      else writev.call(this, chunks, guard(cb));
    };
  }
}

const REQUEST_LINE = /^[A-Z]+ /;
const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Where the status code's first digit sits: `HTTP/1.1 100`. */
const STATUS_AT = 9;

/**
 * undici's HTTP/1.1 parser destroys the connection on any `100 Continue` it
 * did not ask for (it never sends `Expect`), so a response that an upstream
 * prefixes with one became a 503 UC. RFC 9110 §15.2 says a client must be
 * able to parse and ignore unexpected 1xx responses: this drops a `100` head
 * at the start of each response before undici reads it. Other 1xx (102, 103)
 * reach undici, which passes them to the call, which ignores them.
 *
 * The start of a response is known without parsing bodies: with one request
 * per connection at a time, a response starts with the first bytes read after
 * a request head is written (undici writes each head as one latin1 string
 * starting with the method). Once those bytes are not a 100, everything
 * passes through untouched until the next request head.
 */
function skipContinue(socket: Socket): void {
  let awaiting = false;
  let held: Buffer | null = null;
  const write = socket.write;
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && REQUEST_LINE.test(chunk)) awaiting = true;
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket['write'];
  const push = socket.push;
  socket.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (!awaiting || !Buffer.isBuffer(chunk)) {
      if (held !== null) {
        // The connection ended inside a head: let undici see what there was.
        push.call(this, held);
        held = null;
      }
      return push.call(this, chunk, encoding);
    }
    let data = held === null ? chunk : Buffer.concat([held, chunk]);
    held = null;
    for (;;) {
      if (data.length <= STATUS_AT + 2) {
        held = data;
        return true;
      }
      if (
        data[STATUS_AT] !== 0x31 /* '1' */ ||
        data[STATUS_AT + 1] !== 0x30 ||
        data[STATUS_AT + 2] !== 0x30
      ) {
        awaiting = false;
        return push.call(this, data);
      }
      const end = data.indexOf(CRLFCRLF);
      if (end === -1) {
        // A 100 head cut across reads: wait for its end (undici bounds the header size).
        if (data.length > 64 * 1024) {
          awaiting = false;
          return push.call(this, data);
        }
        held = data;
        return true;
      }
      data = data.subarray(end + 4);
      if (data.length === 0) return true;
    }
  } as Socket['push'];
}
