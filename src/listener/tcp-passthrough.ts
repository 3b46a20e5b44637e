// Byte-for-byte TCP relay from a captured connection to its original
// destination, for everything that is not HTTP/1.x (databases, caches, TLS to
// external hosts). The proxy dials the destination itself; it runs as the
// proxy UID, which the capture rules exclude, so the dial is not captured
// again. Backpressure comes from pipe(); a FIN on one side is forwarded as a
// FIN on the other (half-close), and a reset or error on either side tears
// down both. Nothing here throws: failures end in onClose.
import { connect, type Socket } from 'node:net';

export interface PassthroughDestination {
  address: string;
  port: number;
}

export interface PassthroughHooks {
  /** The upstream connection is established. */
  onOpen?(): void;
  /**
   * Both sides are closed; called exactly once. `bytesIn`: bytes received
   * from the client (including `head`), `bytesOut`: bytes received from the
   * destination, i.e. relayed back to the client. `error` is the first
   * failure on either side, if any (an upstream connect error has a `code`
   * such as ECONNREFUSED or ETIMEDOUT).
   */
  onClose?(bytesIn: number, bytesOut: number, error?: Error): void;
  /**
   * The destination could not be reached. When given, the client is left to
   * it (a CONNECT answers with an error reply and ends it) instead of being
   * destroyed.
   */
  onConnectError?(error: Error): void;
}

export interface PassthroughOptions {
  /** Give up dialing the destination after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Close both sides after this long without bytes either way (default 1 h, like Envoy's tcp_proxy). */
  idleTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60 * 60 * 1000;

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

/**
 * Relays `client` to `dst`. `head` holds bytes already read from the client
 * (by protocol sniffing); they are sent first. The client socket should be
 * paused with no 'data' listener of its own (sniffConnection leaves it so).
 */
export function passthroughTcp(
  client: Socket,
  head: Buffer | null,
  dst: PassthroughDestination,
  hooks: PassthroughHooks = {},
  options: PassthroughOptions = {},
): void {
  // Closed while it was being sniffed: nothing to relay, and no 'close' event
  // would ever come to report it.
  if (client.destroyed) {
    try {
      hooks.onClose?.(head?.length ?? 0, 0);
    } catch {
      // Metrics hooks never break the relay.
    }
    return;
  }
  let bytesIn = head?.length ?? 0;
  let bytesOut = 0;
  let firstError: Error | undefined;
  let closed = 0;
  let reported = false;
  let opened = false;

  // The client may have been accepted without allowHalfOpen; the flag is
  // read when its FIN arrives, so setting it now keeps our writing side open
  // until the destination has answered and closed too.
  client.allowHalfOpen = true;
  let upstream: Socket;
  try {
    // A port or address net cannot use (from the kernel or a CONNECT target) throws here, synchronously.
    upstream = connect({ host: dst.address, port: dst.port, allowHalfOpen: true });
  } catch (err) {
    try {
      if (hooks.onConnectError !== undefined) hooks.onConnectError(err as Error);
      else client.destroy();
      hooks.onClose?.(bytesIn, 0, err as Error);
    } catch {
      client.destroy();
    }
    return;
  }

  const onClosed = (): void => {
    if (++closed < 2 || reported) return;
    reported = true;
    try {
      hooks.onClose?.(bytesIn, bytesOut, firstError);
    } catch {
      // A failing hook must not become an uncaught exception on a socket event.
    }
  };

  // An error on one side: remember it and tear down the other. A reset is
  // mirrored as a reset so the peer sees what the far side did.
  const fail = (err: Error, other: Socket): void => {
    firstError ??= err;
    if (other.destroyed) return;
    if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && !other.connecting) other.resetAndDestroy();
    else other.destroy();
  };

  upstream.setNoDelay(true);
  client.setNoDelay(true);

  const connectTimer = setTimeout(() => {
    const err = timeoutError(`connect to ${dst.address}:${dst.port} timed out`);
    firstError ??= err;
    upstream.destroy();
    client.destroy();
  }, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);

  upstream.once('connect', () => {
    clearTimeout(connectTimer);
    opened = true;
    upstream.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    try {
      hooks.onOpen?.();
    } catch {
      // Metrics hooks never break the relay.
    }
  });
  // Socket timeouts track activity in both directions of that socket, which
  // covers bytes either way since everything flows through upstream.
  upstream.on('timeout', () => {
    firstError ??= timeoutError('idle timeout');
    upstream.destroy();
    client.destroy();
  });

  upstream.on('error', (err) => {
    clearTimeout(connectTimer);
    if (!opened && hooks.onConnectError !== undefined) {
      firstError ??= err;
      try {
        hooks.onConnectError(err);
      } catch {
        client.destroy();
      }
      return;
    }
    fail(err, client);
  });
  client.on('error', (err) => fail(err, upstream));
  upstream.on('close', () => {
    clearTimeout(connectTimer);
    // Once upstream is gone the client cannot be served any more, even when
    // it closed cleanly (pipe has already sent our FIN if it ended normally).
    if (!client.destroyed && !client.writableEnded) client.destroy();
    onClosed();
  });
  client.on('close', () => {
    if (!upstream.destroyed && !upstream.writableEnded) upstream.destroy();
    onClosed();
  });

  client.on('data', (chunk: Buffer) => {
    bytesIn += chunk.length;
  });
  upstream.on('data', (chunk: Buffer) => {
    bytesOut += chunk.length;
  });

  // Written before connect: net buffers it and flushes on connect.
  if (head !== null && head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
}
