// Protocol sniffing for captured connections: iptables sends every outbound
// TCP connection to the outbound port, and only HTTP/1.x can be routed; the
// rest (TLS to external hosts, databases, caches) is passed through to its
// original destination untouched. The decision is made on the first bytes
// the client sends, like Envoy's http_inspector / Istio's protocol sniffing.
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { sniffH2Preface } from '../listener/server/preface.ts';
import { peekHead } from '../runtime/peek.ts';

/**
 * - `http`: an HTTP/1.x request line (method SP target SP HTTP/1.x CRLF).
 * - `h2`: the HTTP/2 connection preface (h2c with prior knowledge, as plaintext gRPC clients send it).
 * - `tls`: a TLS record (ClientHello); we cannot route it, pass it through.
 * - `tcp`: anything else.
 * - `more`: consistent with an HTTP request line or the h2 preface so far; read more bytes.
 */
export type Sniffed = 'http' | 'h2' | 'tls' | 'tcp' | 'more';

// RFC 9110 tchar, for the method token.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const SP = 0x20;
const MAX_METHOD = 24;
const VERSION = Buffer.from('HTTP/1.');
const TLS_HANDSHAKE = 0x16;

/**
 * Classifies the first bytes of a connection. Pure. A full request line is
 * required before saying `http`, so a text protocol whose commands look like
 * `GET key` (memcached, Redis inline) is not mistaken for HTTP. The whole
 * HTTP/2 preface is required before saying `h2` (its first line alone is
 * not an HTTP/1.x request line either way).
 */
export function sniffProtocol(head: Buffer): Sniffed {
  if (head.length === 0) return 'more';
  if (head[0] === TLS_HANDSHAKE) return 'tls';
  const preface = sniffH2Preface(head);
  if (preface !== 'no') return preface;
  let i = 0;
  // Node's parser skips empty lines before a request line (RFC 9112 §2.2), so must we:
  // otherwise `\r\nGET / HTTP/1.1` would be relayed as TCP, past the HTTP checks.
  while (i < head.length && (head[i] === 0x0d || head[i] === 0x0a)) i++;
  if (i === head.length) return 'more';
  const lineStart = i;
  // method
  while (i < head.length && TCHAR[head[i]!] === 1) i++;
  if (i === head.length) return i - lineStart <= MAX_METHOD ? 'more' : 'tcp';
  if (i === lineStart || i - lineStart > MAX_METHOD || head[i] !== SP) return 'tcp';
  i++;
  // request-target: visible ASCII up to the next SP
  const targetStart = i;
  while (i < head.length && head[i]! > SP && head[i]! < 0x7f) i++;
  if (i === head.length) return 'more';
  if (i === targetStart || head[i] !== SP) return 'tcp';
  i++;
  // HTTP-version then CRLF (a bare LF is tolerated, as Node's parser does)
  for (let v = 0; v < VERSION.length; v++, i++) {
    if (i === head.length) return 'more';
    if (head[i] !== VERSION[v]) return 'tcp';
  }
  if (i === head.length) return 'more';
  if (head[i] !== 0x30 && head[i] !== 0x31) return 'tcp';
  i++;
  if (i === head.length) return 'more';
  if (head[i] === 0x0a) return 'http';
  if (head[i] !== 0x0d) return 'tcp';
  i++;
  if (i === head.length) return 'more';
  return head[i] === 0x0a ? 'http' : 'tcp';
}

/**
 * Boolean form for callers that already hold a complete first read: true
 * only for a whole HTTP/1.x request line. Prefer sniffConnection, which
 * keeps reading while the answer is `more`.
 */
export function looksLikeHttp(head: Buffer): boolean {
  return sniffProtocol(head) === 'http';
}

/**
 * Ports of well-known server-first protocols: the server speaks first and
 * the client sends nothing until it has read the greeting, so sniffing would
 * only wait for the timeout. Connections to them skip sniffing.
 * (MySQL 3306, SMTP 25/465/587, FTP 21, POP3 110/995, IMAP 143/993, NATS 4222.)
 */
export const SERVER_FIRST_PORTS: ReadonlySet<number> = new Set([
  21, 25, 110, 143, 465, 587, 993, 995, 3306, 4222,
]);

/**
 * How long to wait for the client's first byte before deciding the
 * protocol is server-first and passing the connection through. Long enough
 * for a client that connects and then builds its request, short enough that
 * a server-first protocol on an unlisted port only pays it once per
 * connection. Istio makes the same trade-off (its protocolDetectionTimeout).
 */
export const DEFAULT_SNIFF_TIMEOUT_MS = 1000;

/** Read at most this much while the bytes still look like a request line. */
export const DEFAULT_SNIFF_MAX_BYTES = 16 * 1024;

export interface SniffResult {
  /** `server-first`: the client sent nothing within the timeout (or closed). */
  protocol: 'http' | 'h2' | 'tls' | 'tcp' | 'server-first';
  /** Bytes read from the client while deciding; forward them first. Empty for server-first. */
  head: Buffer;
}

export interface SniffOptions {
  /** Original destination port; a SERVER_FIRST_PORTS port is not sniffed. */
  dstPort?: number;
  timeoutMs?: number;
  maxBytes?: number;
}

/**
 * Reads the first bytes of an accepted connection until the protocol is
 * known and leaves the socket paused with no 'data' listener. The caller
 * either hands `head` to passthroughTcp (which resumes the socket), or gives
 * the connection to an HTTP server with handOffToHttpServer.
 * Never rejects; a socket error or an early close yields `tcp` with what was
 * read (the passthrough then sees the closed socket and cleans up).
 */
export function sniffConnection(socket: Socket, options: SniffOptions = {}): Promise<SniffResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SNIFF_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_SNIFF_MAX_BYTES;
  if (options.dstPort !== undefined && SERVER_FIRST_PORTS.has(options.dstPort)) {
    return Promise.resolve({ protocol: 'server-first', head: Buffer.alloc(0) });
  }
  return peekHead<SniffResult['protocol']>(
    socket,
    (head) => {
      const sniffed = sniffProtocol(head);
      if (sniffed !== 'more') return sniffed;
      // A long request line is still HTTP; the HTTP parser applies its limits.
      return head.length >= maxBytes ? 'http' : undefined;
    },
    (bytesRead) => (bytesRead === 0 ? 'server-first' : 'tcp'),
    timeoutMs,
  ).then(({ verdict, head }) => ({ protocol: verdict, head }));
}

/**
 * Gives a sniffed connection to a node:http server as if it had accepted it:
 * the sniffed bytes go back in front of the stream, and the socket is resumed
 * (sniffConnection paused it, and a paused socket stays paused even when the
 * server adds its 'data' listener).
 */
export function handOffToHttpServer(server: HttpServer, socket: Socket, head: Buffer): void {
  if (head.length > 0) socket.unshift(head);
  server.emit('connection', socket);
  socket.resume();
}
