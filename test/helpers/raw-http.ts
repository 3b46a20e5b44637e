// A raw HTTP/1.1 client over plain TCP for fuzzing and soak tests: the bytes
// go out exactly as written (nothing normalises them, unlike undici or
// node:http), and what comes back is parsed strictly, so a malformed or
// truncated reply is reported instead of being papered over.
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Header fields in order, names lower-cased. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** 1xx responses received before this one. */
  readonly interim: readonly RawResponse[];
}

export function headerValue(res: RawResponse, name: string): string | undefined {
  const found = res.headers.find(([n]) => n === name);
  return found?.[1];
}

export type ReadResult =
  | { kind: 'response'; response: RawResponse }
  /** The peer closed before a complete response; `bytes` is what it sent. */
  | { kind: 'closed'; bytes: string }
  | { kind: 'timeout'; bytes: string }
  | { kind: 'malformed'; reason: string; bytes: string };

type Parse =
  | { kind: 'complete'; response: Omit<RawResponse, 'interim'>; used: number }
  | { kind: 'incomplete' }
  | { kind: 'malformed'; reason: string };

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 field-value: visible characters, obs-text, space and tab, no CR/LF/NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Parses one response from the start of `buf` (latin1 semantics), RFC 9112 framing. */
export function parseOne(buf: Buffer, method: string, closed: boolean): Parse {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > 0 && !'HTTP/1.'.startsWith(buf.subarray(0, 7).toString('latin1').slice(0, buf.length))) {
      return {
        kind: 'malformed',
        reason: `does not start with a status line: ${JSON.stringify(buf.subarray(0, 40).toString('latin1'))}`,
      };
    }
    return closed && buf.length > 0
      ? { kind: 'malformed', reason: 'closed inside the header block' }
      : { kind: 'incomplete' };
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines[0]!;
  const m = STATUS_LINE.exec(statusLine);
  if (m === null) return { kind: 'malformed', reason: `bad status line ${JSON.stringify(statusLine)}` };
  const status = Number(m[1]);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) return { kind: 'malformed', reason: `bad header line ${JSON.stringify(line)}` };
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value))
      return { kind: 'malformed', reason: `bad header value ${JSON.stringify(line)}` };
    headers.push([name.toLowerCase(), value]);
  }
  let pos = end + 4;
  const get = (n: string) => headers.filter(([h]) => h === n).map(([, v]) => v);
  const noBody =
    method === 'HEAD' ||
    status < 200 ||
    status === 204 ||
    status === 304 ||
    (method === 'CONNECT' && status < 300);
  const te = get('transfer-encoding');
  const cl = get('content-length');
  let body: Buffer;
  if (noBody) {
    body = Buffer.alloc(0);
  } else if (te.length > 0) {
    if (cl.length > 0) return { kind: 'malformed', reason: 'both transfer-encoding and content-length' };
    if (!/(^|,)\s*chunked\s*$/i.test(te.join(',')))
      return { kind: 'malformed', reason: `transfer-encoding ${te.join(',')} without chunked last` };
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0)
        return closed ? { kind: 'malformed', reason: 'truncated chunked body' } : { kind: 'incomplete' };
      const sizeText = buf.subarray(pos, lineEnd).toString('latin1').split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText))
        return { kind: 'malformed', reason: `bad chunk size ${JSON.stringify(sizeText)}` };
      const size = Number.parseInt(sizeText, 16);
      pos = lineEnd + 2;
      if (size === 0) {
        // trailer section up to an empty line
        for (;;) {
          const tEnd = buf.indexOf('\r\n', pos);
          if (tEnd < 0)
            return closed ? { kind: 'malformed', reason: 'truncated trailers' } : { kind: 'incomplete' };
          const empty = tEnd === pos;
          pos = tEnd + 2;
          if (empty) break;
        }
        break;
      }
      if (buf.length < pos + size + 2)
        return closed ? { kind: 'malformed', reason: 'truncated chunk' } : { kind: 'incomplete' };
      chunks.push(buf.subarray(pos, pos + size));
      if (buf.subarray(pos + size, pos + size + 2).toString('latin1') !== '\r\n') {
        return { kind: 'malformed', reason: 'chunk not followed by CRLF' };
      }
      pos += size + 2;
    }
    body = Buffer.concat(chunks);
  } else if (cl.length > 0) {
    if (new Set(cl).size !== 1 || !/^\d+$/.test(cl[0]!))
      return { kind: 'malformed', reason: `content-length ${cl.join(',')}` };
    const n = Number(cl[0]);
    if (buf.length < pos + n)
      return closed
        ? { kind: 'malformed', reason: `body shorter than content-length ${n}` }
        : { kind: 'incomplete' };
    body = buf.subarray(pos, pos + n);
    pos += n;
  } else {
    // delimited by close
    if (!closed) return { kind: 'incomplete' };
    body = buf.subarray(pos);
    pos = buf.length;
  }
  return { kind: 'complete', response: { status, statusLine, headers, body }, used: pos };
}

/** One TCP connection; requests are written verbatim and responses read one at a time. */
export class RawConnection {
  readonly socket: Socket;
  #buf = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;
  #connected: Promise<void>;

  constructor(port: number, host = '127.0.0.1') {
    this.socket = connect(port, host);
    this.#connected = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    this.socket.on('error', () => {
      // a reset is seen as a close; read() reports what arrived before it
    });
    this.socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async send(data: string | Buffer): Promise<void> {
    await this.#connected;
    if (this.#closed) return;
    await new Promise<void>((resolve) =>
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve()),
    );
  }

  /** Reads the next final response (collecting 1xx before it) for a request with `method`. */
  async read(method: string, timeoutMs: number): Promise<ReadResult> {
    const deadline = Date.now() + timeoutMs;
    const interim: RawResponse[] = [];
    for (;;) {
      const p = parseOne(this.#buf, method, this.#closed);
      if (p.kind === 'malformed')
        return { kind: 'malformed', reason: p.reason, bytes: this.#buf.toString('latin1') };
      if (p.kind === 'complete') {
        this.#buf = this.#buf.subarray(p.used);
        if (p.response.status < 200 && p.response.status !== 101) {
          interim.push({ ...p.response, interim: [] });
          continue;
        }
        return { kind: 'response', response: { ...p.response, interim } };
      }
      if (this.#closed) return { kind: 'closed', bytes: this.#buf.toString('latin1') };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout', bytes: this.#buf.toString('latin1') };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Bytes received and not consumed by read(). */
  get pending(): string {
    return this.#buf.toString('latin1');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection: its final response, or what happened instead. */
export async function rawRequest(
  port: number,
  bytes: string | Buffer,
  method: string,
  timeoutMs = 3000,
): Promise<ReadResult> {
  const conn = new RawConnection(port);
  try {
    await conn.send(bytes);
    return await conn.read(method, timeoutMs);
  } catch (err) {
    return { kind: 'closed', bytes: `connect error: ${(err as Error).message}` };
  } finally {
    conn.destroy();
  }
}

/**
 * An upload a server may answer early: the request head and the first KiB of
 * `body`, then after `pauseMs` (as from a client on a slower link) the rest
 * and `next`, a request pipelined behind it, unless the server closed first.
 */
export async function uploadThenNext(
  socket: Socket,
  head: string,
  body: Buffer,
  pauseMs: number,
  next: string,
): Promise<void> {
  socket.write(head);
  socket.write(body.subarray(0, 1024));
  await new Promise((r) => setTimeout(r, pauseMs));
  if (socket.destroyed) return;
  socket.write(body.subarray(1024));
  socket.write(next);
}
