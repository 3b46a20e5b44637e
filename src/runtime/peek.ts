// Reading the first bytes of a connection to decide what it is (protocol
// sniffing on the outbound port, the h2c preface on the inbound one), then
// giving it on with those bytes put back. See docs/architecture.md.
import type { Socket } from 'node:net';

export interface Peeked<T> {
  readonly verdict: T;
  /** Bytes read while deciding; put them back (`socket.unshift(head)`) before handing the socket on. */
  readonly head: Buffer;
}

/**
 * Reads until `decide` returns a verdict (undefined: read more) and leaves the
 * socket paused with no 'data' listener. The timeout, an early end or an error
 * decide `ended(bytesRead)`. Never rejects.
 */
export function peekHead<T>(
  socket: Socket,
  decide: (head: Buffer) => T | undefined,
  ended: (bytesRead: number) => T,
  timeoutMs: number,
): Promise<Peeked<T>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (verdict: T): void => {
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
      resolve({ verdict, head: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      const verdict = decide(chunks.length === 1 ? chunk : Buffer.concat(chunks, length));
      if (verdict !== undefined) finish(verdict);
    };
    const onEnd = (): void => finish(ended(length));
    const timer = setTimeout(onEnd, timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}
