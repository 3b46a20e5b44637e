// The HTTP/2 transport: one node:http2 session per upstream endpoint, many
// concurrent streams on it (the peer's SETTINGS_MAX_CONCURRENT_STREAMS queues
// the rest inside nghttp2). It takes undici's dispatch contract, so the
// forward core drives it exactly as it drives an undici Pool for HTTP/1.1.
// node:http2 was chosen over undici's allowH2 client by measurement (see
// docs/architecture.md, "HTTP/2 and gRPC").
//
// - A session that receives GOAWAY or closes is replaced on the next dispatch;
//   streams it already accepted finish on it.
// - A session with no streams for idleTimeoutMs is closed.
// - Bodies stream both ways with backpressure: a request body is piped into
//   the stream (flow control pauses the source); a paused controller stops
//   reading the response, so the upstream's window stays closed.
// - Trailers reach onResponseEnd; controller.abort() sends RST_STREAM CANCEL;
//   an upstream RST_STREAM is onResponseError.
// - `connect` has undici's connector shape: the mesh mTLS connector (SPIFFE
//   verification) plugs in as is, provided it offers ALPN `h2`.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  connect as h2connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { buildConnector, Dispatcher } from 'undici';
import { isGrpc } from '../../grpc/request.ts';

export interface H2ClientOptions {
  /** Opens the connection (TCP or TLS). Default: plain TCP for http:, TLS with ALPN h2 for https:. */
  readonly connect?: buildConnector.connector;
  /** TLS options for the default https: connector (CA, servername, client certificate). */
  readonly tls?: ConnectionOptions;
  /** Connect (and handshake) deadline of the default connectors. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** A session with no open streams closes after this long. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Cap on concurrent streams we open, whatever the peer allows. Default 1,000. */
  readonly maxConcurrentStreams?: number;
}

/** Raised when a TLS connection did not negotiate `h2` (the peer speaks HTTP/1.1 only). */
export class AlpnMismatchError extends Error {
  readonly code = 'ERR_MESHLET_ALPN';
  constructor(got: string | false | null) {
    super(`upstream did not negotiate h2 (ALPN: ${got === false || got === null ? 'none' : got})`);
    this.name = 'AlpnMismatchError';
  }
}

/** The upstream never spoke HTTP/2 (no SETTINGS frame): nothing was processed, like a failed connect. */
export class NotHttp2Error extends Error {
  readonly code = 'ERR_MESHLET_NOT_H2';
  constructor(cause?: unknown) {
    super('upstream does not speak HTTP/2', cause === undefined ? undefined : { cause });
    this.name = 'NotHttp2Error';
  }
}

// Sessions that received the peer's SETTINGS, i.e. really talk HTTP/2.
const established = new WeakSet<ClientHttp2Session>();

/** The upstream reset the stream (RST_STREAM) or the session went away under it. */
export class StreamResetError extends Error {
  readonly code: string;
  /** The HTTP/2 error code, e.g. 7 (REFUSED_STREAM: never processed, safe to retry), 8 (CANCEL). */
  readonly rstCode: number;
  constructor(rstCode: number, cause?: unknown) {
    super(`upstream reset the stream (HTTP/2 error ${rstCode})`, cause === undefined ? undefined : { cause });
    this.name = 'StreamResetError';
    this.rstCode = rstCode;
    this.code =
      rstCode === constants.NGHTTP2_REFUSED_STREAM ? 'ERR_MESHLET_H2_REFUSED_STREAM' : 'ERR_MESHLET_H2_RESET';
  }
}

// Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2); Host becomes :authority.
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
]);

const CONNECTION_WINDOW = 1024 * 1024;

type UndiciHeaders = Dispatcher.DispatchOptions['headers'];

function requestHeaders(
  opts: Dispatcher.DispatchOptions,
  scheme: string,
  defaultAuthority: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    ':method': opts.method,
    ':scheme': scheme,
    ':path': opts.path,
    ':authority': defaultAuthority,
  };
  const add = (rawName: string, value: string | string[] | undefined): void => {
    if (value === undefined) return;
    const name = rawName.toLowerCase();
    if (name === 'host') {
      out[':authority'] = Array.isArray(value) ? value[0] : value;
      return;
    }
    if (DROPPED.has(name) || name.charCodeAt(0) === 0x3a) return;
    // TE is allowed only as "trailers" (gRPC sends exactly that).
    if (name === 'te') {
      if (!/(?:^|,)\s*trailers\s*(?:[;,]|$)/i.test(String(value))) return;
      value = 'trailers';
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else out[name] = ([] as string[]).concat(prev as string | string[], value);
  };
  const headers: UndiciHeaders = opts.headers;
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      add(String(headers[i]), headers[i + 1] as string | string[]);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string | string[] | undefined]>) add(k, v);
  } else {
    for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) add(k, v);
  }
  return out;
}

function stripPseudo(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in headers) if (name.charCodeAt(0) !== 0x3a) out[name] = headers[name];
  return out;
}

// A gRPC Trailers-Only response carries its status in the only HEADERS frame.
// A handler writes response headers as soon as it gets them, so they could
// never go out with END_STREAM again; the fields are handed over as trailers
// instead, which gRPC defines as the same outcome. Everything but the
// content type moves: in a Trailers-Only response all metadata is trailing
// metadata (a proxy's x-meshlet-error included), and a client reads it there.
function splitTrailersOnly(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const trailers: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (name === 'content-type') continue;
    trailers[name] = headers[name];
    delete headers[name];
  }
  return trailers;
}

/** One request on one stream, as undici's DispatchController. */
class H2Request implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler;
  #stream: ClientHttp2Stream | null = null;
  #aborted = false;
  #paused = false;
  /** The response headers arrived and the body is being read. */
  #reading = false;
  #reason: Error | null = null;
  #done = false;
  #trailers: IncomingHttpHeaders = {};

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler;
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }

  abort(reason: Error): void {
    if (this.#aborted || this.#done) return;
    this.#aborted = true;
    this.#reason = reason;
    const stream = this.#stream;
    if (stream !== null && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    this.fail(reason);
  }

  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    // Before the response headers nothing reads the body yet (see start()).
    if (this.#reading) this.#stream?.resume();
  }

  fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#handler.onResponseError?.(this, err);
  }

  start(
    session: ClientHttp2Session,
    headers: OutgoingHttpHeaders,
    body: Dispatcher.DispatchOptions['body'],
    onClosed: () => void,
  ): void {
    if (this.#aborted) {
      onClosed();
      return;
    }
    const noBody = body == null || (typeof body === 'string' && body.length === 0);
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: noBody });
    } catch (err) {
      onClosed();
      this.fail(err as Error);
      return;
    }
    this.#stream = stream;
    stream.once('close', onClosed);
    const handler = this.#handler;
    // node:http2 emits 'response' on the next tick but pushes DATA at once: a
    // 'data' listener added now could see the body before the headers (when
    // both arrive in one read). The body is read only once the headers are in.
    const onData = (chunk: Buffer): void => {
      if (!this.#done) handler.onResponseData?.(this, chunk);
    };
    stream.on('response', (h: IncomingHttpHeaders, flags: number) => {
      if (this.#done) return;
      const headers = stripPseudo(h);
      if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0 && isGrpc(headers['content-type'])) {
        this.#trailers = splitTrailersOnly(headers);
      }
      handler.onResponseStart?.(this, Number(h[':status']), headers, '');
      if (this.#done) return;
      this.#reading = true;
      stream.on('data', onData);
      if (!this.#paused) stream.resume();
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      this.#trailers = t;
    });
    stream.on('end', () => {
      if (this.#done) return;
      // node:http2 also ends the readable side when the upstream resets the
      // stream; rstCode is already set then, and the response is not complete.
      const rst = stream.rstCode;
      if (rst !== undefined && rst !== constants.NGHTTP2_NO_ERROR) {
        this.fail(new StreamResetError(rst));
        return;
      }
      this.#done = true;
      handler.onResponseEnd?.(this, this.#trailers);
    });
    let streamError: Error | undefined;
    stream.on('error', (err: Error) => (streamError = err));
    stream.on('close', () => {
      if (this.#done) return;
      // A session that never got the peer's SETTINGS was not HTTP/2 at all
      // (an HTTP/1.1-only upstream answers the preface with an error page).
      if (!established.has(session)) {
        this.fail(new NotHttp2Error(streamError));
        return;
      }
      // Closed without a complete response: a reset from the upstream, or the session went away.
      const code = stream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR;
      this.fail(
        new StreamResetError(
          code === constants.NGHTTP2_NO_ERROR ? constants.NGHTTP2_INTERNAL_ERROR : code,
          streamError,
        ),
      );
    });
    if (this.#paused) stream.pause();
    if (!noBody) this.#sendBody(stream, body);
  }

  #sendBody(stream: ClientHttp2Stream, body: NonNullable<Dispatcher.DispatchOptions['body']>): void {
    const handler = this.#handler;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const chunk = typeof body === 'string' ? Buffer.from(body) : body;
      stream.end(chunk);
      handler.onBodySent?.(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      handler.onRequestSent?.();
      return;
    }
    const source = body as Readable;
    if (typeof source.pipe !== 'function') {
      this.abort(new TypeError('unsupported request body type'));
      return;
    }
    // pipe() pauses the source while the stream's flow-control window is closed.
    const onData = (chunk: Buffer | string): void => handler.onBodySent?.(chunk as Buffer);
    const onError = (): void => {
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    };
    source.on('data', onData);
    source.once('error', onError);
    source.once('end', () => handler.onRequestSent?.());
    stream.once('close', () => {
      source.off('data', onData);
      source.off('error', onError);
      source.unpipe(stream);
    });
    source.pipe(stream);
  }
}

/** An HTTP/2 upstream endpoint: `dispatch` as undici's, over one shared session. */
export class H2Client {
  readonly #origin: URL;
  readonly #authority: string;
  readonly #scheme: string;
  readonly #connect: buildConnector.connector;
  readonly #idleMs: number;
  readonly #maxStreams: number;
  #session: ClientHttp2Session | null = null;
  #connecting: Array<() => void> | null = null;
  #connectError: Error | null = null;
  #active = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;

  /** Throws on an origin that is not http(s)://host:port. */
  constructor(origin: string, options: H2ClientOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`unsupported origin ${origin}`);
    this.#origin = url;
    this.#authority = url.host;
    this.#scheme = url.protocol.slice(0, -1);
    this.#idleMs = options.idleTimeoutMs ?? 60_000;
    this.#maxStreams = options.maxConcurrentStreams ?? 1000;
    this.#connect = options.connect ?? defaultConnector(options.tls ?? {}, options.connectTimeoutMs ?? 5000);
  }

  /** Streams open now, across the current and any draining session. */
  get activeStreams(): number {
    return this.#active;
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const request = new H2Request(handler);
    handler.onRequestStart?.(request, {});
    if (request.aborted) return true;
    if (this.#closed) {
      request.fail(new Error('client is closed'));
      return true;
    }
    if (opts.upgrade || opts.method === 'CONNECT') {
      request.fail(new TypeError('upgrade and CONNECT are not carried over the HTTP/2 transport'));
      return true;
    }
    let headers: OutgoingHttpHeaders;
    try {
      headers = requestHeaders(opts, this.#scheme, this.#authority);
    } catch (err) {
      request.fail(err as Error);
      return true;
    }
    const session = this.#session;
    if (session !== null && !session.closed && !session.destroyed)
      this.#run(session, request, headers, opts.body);
    else
      this.#whenConnected(() => {
        const s = this.#session;
        if (s === null) request.fail(this.#connectError ?? new Error('upstream session closed'));
        else this.#run(s, request, headers, opts.body);
      });
    return true;
  }

  /** Closes the session once its streams finish; new dispatches fail. */
  close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = null;
    if (session === null || session.destroyed) return Promise.resolve();
    return new Promise((resolve) => session.close(() => resolve()));
  }

  /** Tears the session down now; open streams fail. */
  destroy(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = null;
  }

  #run(
    session: ClientHttp2Session,
    request: H2Request,
    headers: OutgoingHttpHeaders,
    body: Dispatcher.DispatchOptions['body'],
  ): void {
    this.#active++;
    if (this.#idleTimer !== null) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    request.start(session, headers, body, this.#onStreamClosed);
  }

  readonly #onStreamClosed = (): void => {
    if (--this.#active > 0 || this.#session === null || this.#idleMs <= 0) return;
    const session = this.#session;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#active === 0 && this.#session === session) {
        this.#session = null;
        session.close();
      }
    }, this.#idleMs);
    this.#idleTimer.unref();
  };

  #whenConnected(then: () => void): void {
    if (this.#connecting !== null) {
      this.#connecting.push(then);
      return;
    }
    this.#connecting = [then];
    this.#connectError = null;
    const hostname = this.#origin.hostname.startsWith('[')
      ? this.#origin.hostname.slice(1, -1)
      : this.#origin.hostname;
    const port = this.#origin.port || (this.#scheme === 'https' ? '443' : '80');
    this.#connect(
      { hostname, host: this.#origin.host, protocol: this.#origin.protocol, port, servername: hostname },
      (err, socket) => {
        const waiting = this.#connecting ?? [];
        this.#connecting = null;
        if (err !== null || socket === null) {
          this.#connectError = err ?? new Error('connect failed');
          for (const fn of waiting) fn();
          return;
        }
        const alpn = (socket as TLSSocket).alpnProtocol;
        if ((socket as TLSSocket).encrypted && alpn !== 'h2') {
          socket.destroy();
          this.#connectError = new AlpnMismatchError(alpn ?? null);
          for (const fn of waiting) fn();
          return;
        }
        this.#session = this.#open(socket);
        for (const fn of waiting) fn();
      },
    );
  }

  #open(socket: Socket): ClientHttp2Session {
    const session = h2connect(this.#origin, {
      createConnection: () => socket,
      peerMaxConcurrentStreams: this.#maxStreams,
      settings: { enablePush: false },
    });
    session.on('error', () => {});
    session.once('remoteSettings', () => established.add(session));
    // The default 64 KiB connection window would cap every stream of a
    // high-latency session together; each stream keeps its own 64 KiB window.
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
    const forget = (): void => {
      if (this.#session === session) this.#session = null;
    };
    // After GOAWAY the session takes no new streams; the next dispatch opens another.
    session.once('goaway', forget);
    session.once('close', forget);
    session.on('stream', () => {});
    return session;
  }
}

function defaultConnector(tls: ConnectionOptions, timeoutMs: number): buildConnector.connector {
  return (opts, callback) => {
    const secure = opts.protocol === 'https:';
    const socket: Socket = secure
      ? tlsConnect({
          ...tls,
          host: opts.hostname,
          port: Number(opts.port),
          servername: tls.servername ?? opts.servername,
          ALPNProtocols: ['h2'],
        })
      : netConnect({ host: opts.hostname, port: Number(opts.port) });
    socket.setNoDelay(true);
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === null) callback(null, socket);
      else {
        socket.destroy();
        callback(err, null);
      }
    };
    const timer = setTimeout(
      () =>
        settle(
          Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), {
            code: 'UND_ERR_CONNECT_TIMEOUT',
          }),
        ),
      timeoutMs,
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => settle(null));
    socket.on('error', (err) => settle(err));
  };
}
