// HTTP/2 with prior knowledge (h2c, as plaintext gRPC clients connect) is told
// apart from HTTP/1.x by the client connection preface, RFC 9113 §3.4. TCP may
// deliver it in pieces, so a prefix of it means "read more", not "no".
import type { Socket } from 'node:net';
import { peekHead } from '../../runtime/peek.ts';

export const H2_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** `h2`: starts with the whole preface; `more`: a strict prefix of it so far; `no`: anything else. */
export type PrefaceSniff = 'h2' | 'more' | 'no';

export function sniffH2Preface(head: Uint8Array): PrefaceSniff {
  const n = Math.min(head.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (head[i] !== H2_PREFACE[i]) return 'no';
  return head.length >= H2_PREFACE.length ? 'h2' : 'more';
}

export interface PeekedPreface {
  /** True when the connection opened with the HTTP/2 preface. */
  readonly h2: boolean;
  /** Bytes read while deciding; put them back (`socket.unshift(head)`) before handing the socket on. */
  readonly head: Buffer;
}

/**
 * Reads just enough of a plaintext connection to tell h2c from anything else
 * and leaves the socket paused with no 'data' listener. A read that departs
 * from the preface decides at once; the timeout, an early end or an error
 * decide `h2: false` (the HTTP/1.x server then sees what there is and answers
 * or closes as it would). Never rejects.
 */
export function peekH2Preface(socket: Socket, timeoutMs = 10_000): Promise<PeekedPreface> {
  return peekHead(
    socket,
    (head) => {
      const sniffed = sniffH2Preface(head);
      return sniffed === 'more' ? undefined : sniffed === 'h2';
    },
    () => false,
    timeoutMs,
  ).then(({ verdict, head }) => ({ h2: verdict, head }));
}
