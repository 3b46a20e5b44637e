// The HTTP/2 side of both listeners. Connections are accepted elsewhere (the
// listener's TCP or TLS server, after the first-byte sniff) and handed here
// already open: h2c with prior knowledge, or TLS that negotiated ALPN `h2`.
// Requests come out through node:http2's compatibility API, so the handler
// that serves HTTP/1.1 serves HTTP/2 too.
//
// Abuse limits (see docs/architecture.md, "HTTP/2 and gRPC"): nghttp2 already bounds
// SETTINGS/PING floods (too many unanswered ACKs end the session with
// ENHANCE_YOUR_CALM), invalid frames and refused streams (maxSession*), header
// lists past the advertised size once the client acknowledged it (before
// that, our own check answers 431) and session memory. Its rapid-reset limit
// (CVE-2023-44487) allows a burst of 1,000 resets, and each of those streams
// has already reached our handler and started an upstream request, so we
// count reset streams ourselves and end the session far earlier. A stream that stops sending is cancelled after an
// idle timeout, and flow control bounds what a stalled one can buffer.
import {
  constants,
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** ALPN protocols the listeners' TLS servers offer, in preference order. */
export const ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1'];

export interface H2ServerLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS; streams past it are refused (REFUSED_STREAM). Default 100. */
  maxConcurrentStreams?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE in bytes; a larger header list is reset. Default 64 KiB. */
  maxHeaderListSize?: number;
  /** Header fields per request. Default 128 (node:http2's). */
  maxHeaderListPairs?: number;
  /** Megabytes a session may hold (streams, HPACK tables, queued frames). Default 10. */
  maxSessionMemoryMb?: number;
  /** Protocol-invalid frames tolerated per session before it is closed. Default 100. */
  maxSessionInvalidFrames?: number;
  /** Refused streams tolerated per session before it is closed. Default 100. */
  maxSessionRejectedStreams?: number;
  /** Streams a client may reset (or abandon) in one second before the session gets GOAWAY ENHANCE_YOUR_CALM. Default 200. */
  maxResetsPerSecond?: number;
  /** A stream with no frames either way for this long is cancelled. Default 300 s (Envoy's stream_idle_timeout). */
  streamIdleTimeoutMs?: number;
  /** A session with no activity for this long gets GOAWAY and closes. Default 300 s. */
  sessionIdleTimeoutMs?: number;
}

export type H2RequestHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

export interface H2Server {
  /** The node:http2 server; it never listens itself. */
  readonly server: Http2Server;
  /**
   * Serves an accepted connection: a plaintext socket that opened with the h2
   * preface (`head`: the bytes already read while sniffing, preface included)
   * or a TLS socket whose ALPN negotiated `h2`.
   */
  accept(socket: Duplex, head?: Buffer): void;
  /** Sessions currently open. */
  readonly sessions: number;
  /**
   * GOAWAY to every session (no new streams), lets open streams finish, and
   * destroys what is still open after `graceMs`. Resolves when all sessions are gone.
   */
  drain(graceMs: number): Promise<void>;
}

/** RFC 9113 §6.5.2: each field counts its name and value octets plus 32. */
function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += Buffer.byteLength(field) + 16;
  return size;
}

export function createH2Server(handler: H2RequestHandler, limits: H2ServerLimits = {}): H2Server {
  const maxResets = limits.maxResetsPerSecond ?? 200;
  const streamIdleMs = limits.streamIdleTimeoutMs ?? 300_000;
  const sessionIdleMs = limits.sessionIdleTimeoutMs ?? 300_000;
  const maxHeaderListSize = limits.maxHeaderListSize ?? 64 * 1024;
  const server = createServer({
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams ?? 100,
      maxHeaderListSize,
      enablePush: false,
    },
    maxHeaderListPairs: limits.maxHeaderListPairs ?? 128,
    maxSessionMemory: limits.maxSessionMemoryMb ?? 10,
    maxSessionInvalidFrames: limits.maxSessionInvalidFrames ?? 100,
    maxSessionRejectedStreams: limits.maxSessionRejectedStreams ?? 100,
    maxOutstandingPings: 10,
    maxSettings: 32,
  });
  const open = new Set<Http2Session>();

  server.on('session', (session: Http2Session) => {
    open.add(session);
    session.once('close', () => open.delete(session));
    // A session error (protocol violation, socket reset) concerns that client only.
    session.on('error', () => {});
    session.setTimeout(sessionIdleMs, () => {
      if (session.closed || session.destroyed) return;
      session.close();
    });
    let windowStart = 0;
    let resets = 0;
    session.on('stream', (stream: ServerHttp2Stream) => {
      stream.on('error', () => {});
      stream.setTimeout(streamIdleMs, () => stream.close(constants.NGHTTP2_CANCEL));
      // A stream reset before we even answered (the client's RST_STREAM, or
      // nghttp2's for a limit it broke) is the rapid-reset pattern: it cost a
      // handler run and an upstream request and gave nothing back. A stream cut
      // after our headers went out (an upstream failing mid-response) does not count.
      stream.once('aborted', () => {
        if (session.destroyed || stream.headersSent) return;
        const now = Date.now();
        if (now - windowStart >= 1000) {
          windowStart = now;
          resets = 0;
        }
        if (++resets > maxResets) {
          session.destroy(new Error('too many reset streams'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
        }
      });
    });
  });
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    // nghttp2 applies our SETTINGS_MAX_HEADER_LIST_SIZE only once the client
    // has acknowledged it; requests in its first flight are checked here.
    if (headerListSize(req.rawHeaders) > maxHeaderListSize) {
      res.writeHead(431);
      res.end();
      return;
    }
    handler(req, res);
  });
  // Errors are per client (also reported on the session); the process must not see them.
  server.on('sessionError', () => {});

  return {
    server,
    accept(socket: Duplex, head?: Buffer): void {
      // The session reads buffered bytes itself on the next tick; resuming the
      // socket here would hand them to nobody.
      if (head !== undefined && head.length > 0) (socket as Socket).unshift(head);
      server.emit('connection', socket);
    },
    get sessions(): number {
      return open.size;
    },
    drain(graceMs: number): Promise<void> {
      const sessions = [...open];
      if (sessions.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        let left = sessions.length;
        const timer = setTimeout(() => {
          for (const s of sessions) if (!s.destroyed) s.destroy();
        }, graceMs);
        for (const s of sessions) {
          const done = (): void => {
            if (--left === 0) {
              clearTimeout(timer);
              resolve();
            }
          };
          if (s.destroyed) done();
          else {
            s.once('close', done);
            if (!s.closed) s.close();
          }
        }
      });
    },
  };
}
