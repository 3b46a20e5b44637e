// One downstream request forwarded upstream: a streaming undici dispatch
// handler. It moves bytes both ways with backpressure (nothing is buffered
// whole) and keeps the clocks (route deadline, per-try timeout, stream idle
// timeout); what to do after a failed attempt is decided by retry.ts, where an
// attempt goes by the plan's Upstream (upstream.ts), and what it writes to is
// a Downstream (downstream.ts), HTTP/1.1 or HTTP/2. See docs/architecture.md
// ("Forwarding").
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RetryPolicy } from '../config/types.ts';
import { ProxyError, type ResponseFlags, statusOf, upstreamFlag } from '../errors.ts';
import { grpcRetryable, ReplayBuffer } from '../grpc/retry.ts';
import { parseGrpcStatus } from '../grpc/status.ts';
import type { Logger } from '../telemetry/log.ts';
import {
  cutDownstream,
  type Downstream,
  type DownstreamRequest,
  trailersOf,
  trailersReach,
} from './downstream.ts';
import { copyResponseHeaders } from './headers.ts';
import { type AttemptOutcome, decideRetry, type RetryDecision } from './retry.ts';
import { type Endpoint, singleEndpoint, type Transport, type Upstream } from './upstream.ts';

export interface CallPlan {
  /** The one place to send every attempt; ignored when `upstream` is given. */
  readonly dispatcher?: Transport;
  /** Chooses an endpoint per attempt (balancing, retries elsewhere). */
  readonly upstream?: Upstream;
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  /** Whole-request deadline up to the response headers; 0 = none. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | null;
  /** Extra response headers (flat pairs) to add, e.g. x-meshlet-upstream-version. */
  readonly responseHeaders: readonly string[] | null;
  /** Edits the response headers in place before they go out (a route's `headers.response`). */
  readonly rewriteResponseHeaders?: ((headers: string[]) => void) | null;
  /** From the header pass (copyRequestHeaders): whether the request streams a body. */
  readonly hasBody: boolean;
  /**
   * Longest time without a byte either way (request body, response headers or
   * body) before both sides are ended with SI; 0 or absent = none. Envoy's
   * stream_idle_timeout; the listeners pass the service's setting.
   */
  readonly streamIdleTimeoutMs?: number;
  /** Where the call's decisions (retries) are logged at debug; given only while debug is on. */
  readonly debugLog?: Logger | null;
  /** A gRPC call: the upstream's grpc-status is noted here (for metrics and the span). */
  readonly grpc?: GrpcNote | null;
}

/** Where a gRPC call's status is noted once the upstream sends it (an Observation fits). */
export interface GrpcNote {
  grpcStatus: number | null;
}

/** Called exactly once when the exchange is over, however it ended. */
export type CallDone = (
  status: number,
  flags: ResponseFlags,
  requestBytes: number,
  responseBytes: number,
  error: ProxyError | null,
) => void;

/** Writes a proxy-generated error reply (the single rescue step for errors with a response). */
export type ErrorReply<R extends Downstream = ServerResponse> = (res: R, err: ProxyError) => void;

const NO_KEYS: ReadonlySet<string> = new Set();

export class UpstreamCall<R extends Downstream = ServerResponse> implements Dispatcher.DispatchHandler {
  readonly #req: DownstreamRequest;
  readonly #res: R;
  readonly #plan: CallPlan;
  readonly #upstream: Upstream;
  readonly #body: DownstreamRequest | null;
  /** A copy of a small gRPC request body, kept when the policy retries on gRPC statuses. */
  readonly #replay: ReplayBuffer | null;
  /** Response headers held back until a gRPC call's outcome is known (grpc/retry.ts). */
  #held: string[] | null = null;
  readonly #done: CallDone;
  readonly #reply: ErrorReply<R>;
  #controller: Dispatcher.DispatchController | null = null;
  #endpoint: Endpoint | null = null;
  #tried: Set<string> | null = null;
  #attempt = 0;
  #attemptStarted = 0;
  #reported = false;
  #status = 0;
  /** The flag a forwarded response carries (URX: the last retriable status after retries). */
  #flags: ResponseFlags = '-';
  #bytes = 0;
  #sent = 0;
  #started = false;
  #discard = false;
  #finished = false;
  #raceRetried = false;
  #timer: NodeJS.Timeout | null = null;
  #deadlinePassed = false;
  #tryTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #waitingDrain = false;

  constructor(req: DownstreamRequest, res: R, plan: CallPlan, done: CallDone, reply: ErrorReply<R>) {
    this.#req = req;
    this.#res = res;
    this.#plan = plan;
    this.#done = done;
    this.#reply = reply;
    this.#body = plan.hasBody ? req : null;
    this.#replay =
      plan.grpc != null && plan.hasBody && (plan.retry?.grpcStatuses?.size ?? 0) > 0
        ? new ReplayBuffer()
        : null;
    this.#upstream = plan.upstream ?? singleEndpoint(plan.dispatcher!);
  }

  start(): void {
    // Listeners and timers are shared functions that find the call through the
    // response or their argument: no closures allocated per request.
    (this.#res as unknown as CallResponse)[kCall] = this;
    this.#res.on('close', onClientClose);
    if (this.#plan.timeoutMs > 0) {
      this.#timer = setTimeout(onDeadline, this.#plan.timeoutMs, this);
    }
    const idle = this.#plan.streamIdleTimeoutMs ?? 0;
    if (idle > 0) this.#idleTimer = setTimeout(onStreamIdle, idle, this);
    this.#dispatch();
  }

  #dispatch(): void {
    this.#attempt++;
    this.#discard = false;
    this.#reported = false;
    this.#controller = null;
    const perTry = this.#plan.retry?.perTryTimeoutMs ?? 0;
    // Our own timer: undici's header timers are coarse (about 1 s) below a second.
    if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
    if (perTry > 0) this.#tryTimer = setTimeout(onTryDeadline, perTry, this);
    // Whatever a picker or a transport throws (a bad origin, an invalid header
    // undici refuses) becomes a flagged reply, never an exception on the request path.
    try {
      const picked = this.#upstream.pick(this.#attempt, this.#tried ?? NO_KEYS);
      if (picked instanceof ProxyError) {
        this.#giveUp(picked);
        return;
      }
      this.#endpoint = picked;
      this.#attemptStarted = performance.now();
      picked.transport.dispatch(
        {
          method: this.#plan.method,
          path: this.#plan.path,
          headers: this.#plan.headers,
          body: this.#attempt > 1 && this.#replay?.body != null ? this.#replay.body : this.#body,
          // We decide about retries; undici must not replay requests on its own.
          idempotent: false,
          blocking: false,
        },
        this,
      );
    } catch (err) {
      this.#giveUp(asProxyError(err));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(new ProxyError('LR', 'downstream went away'));
  }

  onBodySent(chunk: Buffer | string): void {
    this.#sent += chunk.length;
    this.#idleTimer?.refresh();
    if (this.#attempt === 1) this.#replay?.add(chunk);
  }

  onRequestSent(): void {
    if (this.#attempt === 1) this.#replay?.end();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // Interim responses (102, 103) are the upstream's business, not the caller's.
    if (statusCode < 200 || this.#finished) return;
    this.#idleTimer?.refresh();
    this.#report(statusCode);
    const decision = this.#decide(statusCode);
    if (decision.retry) {
      // Let the small error body drain so the connection stays pooled, then try again.
      this.#discard = true;
      if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
      return;
    }
    this.#status = statusCode;
    this.#flags = decision.flag;
    const out: string[] = [];
    copyResponseHeaders(headers, out);
    if (this.#plan.grpc != null) noteGrpcStatus(this.#plan.grpc, headers['grpc-status']);
    this.#plan.rewriteResponseHeaders?.(out);
    const extra = this.#plan.responseHeaders;
    if (extra !== null) for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
    // A gRPC call that may be retried on its status: hold the headers until
    // the first message (then it succeeded far enough) or the end (grpc/retry.ts).
    if (this.#replay !== null && headers['grpc-status'] === undefined) {
      if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
      this.#held = out;
      return;
    }
    this.#writeHead(out);
  }

  #writeHead(out: string[]): void {
    this.#held = null;
    this.#clearTimer();
    this.#started = true;
    this.#closeIfBodyUnread();
    this.#res.writeHead(this.#status, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#discard || this.#finished) return;
    if (this.#held !== null) this.#writeHead(this.#held);
    else if (!this.#started) {
      // A transport that hands over a body before its headers: never guess a
      // status for it; the attempt fails as a reset (its onResponseError follows).
      controller.abort(new Error('upstream response body before its headers'));
      return;
    }
    this.#idleTimer?.refresh();
    this.#bytes += chunk.length;
    if (!this.#res.write(chunk)) {
      controller.pause();
      if (!this.#waitingDrain) {
        this.#waitingDrain = true;
        this.#res.on('drain', onClientDrain);
      }
    }
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.#finished) return;
    if (this.#discard) {
      this.#retryNext('retriable status');
      return;
    }
    if (this.#held !== null) {
      const code = parseGrpcStatus(trailers['grpc-status']);
      if (
        grpcRetryable(this.#plan.retry, code, this.#attempt, this.#replayable(), this.#deadlinePassed) &&
        this.#upstream.retryAllowed?.() !== false
      ) {
        this.#held = null;
        this.#retryNext(`grpc-status ${code}`);
        return;
      }
      this.#writeHead(this.#held);
    }
    const out = trailersOf(trailers);
    if (this.#plan.grpc != null) noteGrpcStatus(this.#plan.grpc, trailers['grpc-status']);
    if (out !== null && trailersReach(this.#res, this.#req)) this.#res.addTrailers(out);
    this.#res.end();
    this.#finish(this.#status, this.#flags, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#finished) return;
    const known = classify(err);
    const flag = known?.flag ?? upstreamFlag(err);
    if (this.#started) {
      // Headers already went out: the only honest signal left is to cut the stream.
      cutDownstream(this.#res);
      this.#finish(this.#status, 'UC', null);
      return;
    }
    if (known !== null && known.flag !== 'UT') {
      // Not the upstream's doing (a request undici refuses, a stopped call): no retry.
      this.#report('cancelled');
      this.#giveUp(known);
      return;
    }
    const outcome: AttemptOutcome = flag === 'UF' ? 'connect-failure' : flag === 'UT' ? 'timeout' : 'reset';
    this.#report(outcome);
    const decision = this.#decide(outcome);
    if (decision.retry) {
      if (decision.race) this.#raceRetried = true;
      this.#retryNext(outcome);
      return;
    }
    const retriesUsed = this.#attempt > 1;
    const what = describe(flag, err);
    const message = retriesUsed ? `${what} after ${this.#attempt} attempts` : what;
    this.#giveUp(
      err instanceof ProxyError && err.flag === decision.flag
        ? err
        : new ProxyError(decision.flag === '-' ? flag : decision.flag, message, { cause: err }),
    );
  }

  #facts(outcome: AttemptOutcome) {
    return {
      outcome,
      attempt: this.#attempt,
      policy: this.#plan.retry,
      replayable: this.#replayable(),
      method: this.#plan.method,
      raceRetried: this.#raceRetried,
      deadlinePassed: this.#deadlinePassed,
    };
  }

  /** No byte of the body was sent yet, or a whole copy of it was kept (gRPC). */
  #replayable(): boolean {
    if (this.#body === null || !this.#body.readableDidRead) return true;
    return this.#replay?.body != null;
  }

  /** The retry decision; a policy retry also needs the upstream's retry budget. */
  #decide(outcome: AttemptOutcome): RetryDecision {
    const facts = this.#facts(outcome);
    const decision = decideRetry(facts);
    if (!decision.retry || decision.race || this.#upstream.retryAllowed?.() !== false) return decision;
    return decideRetry({ ...facts, budgetAllows: false });
  }

  #retryNext(why: string): void {
    if (this.#endpoint !== null) (this.#tried ??= new Set()).add(this.#endpoint.key);
    this.#plan.debugLog?.debug({ attempt: this.#attempt, endpoint: this.#endpoint?.key, why }, 'retrying');
    this.#dispatch();
  }

  #report(outcome: AttemptOutcome): void {
    if (this.#reported || this.#endpoint === null || this.#upstream.report === undefined) return;
    this.#reported = true;
    this.#upstream.report(this.#endpoint.key, outcome, performance.now() - this.#attemptStarted);
  }

  /** Ends the exchange with a proxy-generated reply (or a reset, if headers went out). */
  #giveUp(err: ProxyError): void {
    if (this.#finished) return;
    this.#clearTimer();
    if (this.#started) cutDownstream(this.#res);
    else {
      this.#closeIfBodyUnread();
      this.#reply(this.#res, err);
    }
    this.#finish(this.#started ? this.#status : err.status, err.flag, err);
    this.#controller?.abort(err);
  }

  /** The whole-request deadline (timer callback). */
  deadline(): void {
    this.#timer = null;
    this.#deadlinePassed = true;
    if (this.#started || this.#finished) return;
    this.#report('timeout');
    this.#giveUp(new ProxyError('UT', `no response within ${this.#plan.timeoutMs}ms`));
  }

  /** The per-try deadline (timer callback). */
  tryDeadline(): void {
    this.#tryTimer = null;
    if (this.#started || this.#finished) return;
    this.#controller?.abort(
      new ProxyError(
        'UT',
        `no response within the per-try timeout of ${this.#plan.retry!.perTryTimeoutMs}ms`,
      ),
    );
  }

  /** Nothing moved either way for the stream idle timeout (timer callback). */
  streamIdle(): void {
    this.#idleTimer = null;
    if (this.#finished) return;
    this.#report('cancelled');
    // 408 if the caller has had nothing yet, else the stream is cut (giveUp resets it).
    this.#giveUp(new ProxyError('SI', `no data in either direction for ${this.#plan.streamIdleTimeoutMs}ms`));
  }

  /**
   * The caller's body turned out malformed mid-upload (the listener's parser
   * said so): a 400 DPE if nothing was answered yet, else the stream is cut.
   */
  requestMalformed(err: ProxyError): void {
    if (this.#finished) return;
    this.#report('cancelled');
    this.#giveUp(err);
  }

  /** The downstream response closed (listener callback). */
  clientClosed(): void {
    if (this.#finished) return;
    // The caller left before the exchange completed: stop the upstream work too.
    this.#report('cancelled');
    this.#finish(this.#started ? this.#status : statusOf('DC'), 'DC', null);
    this.#controller?.abort(new ProxyError('LR', 'downstream connection closed'));
  }

  #finish(status: number, flags: ResponseFlags, err: ProxyError | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearTimer();
    if (this.#idleTimer !== null) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    this.#res.off('close', onClientClose);
    if (this.#waitingDrain) this.#res.off('drain', onClientDrain);
    (this.#res as unknown as CallResponse)[kCall] = undefined;
    this.#upstream.finished?.();
    this.#done(status, flags, this.#sent, this.#bytes, err);
  }

  /**
   * The upstream answered (or we do) before the caller finished sending: on
   * HTTP/1.1 the unread rest would be parsed as the next request, and undici
   * stops reading it once the upstream is done. Say `connection: close` and
   * close after this response, as nginx does for a body it will not read.
   */
  #closeIfBodyUnread(): void {
    if (this.#body !== null && !this.#body.complete) this.#noKeepAlive();
  }

  /** HTTP/1.1: close the connection once this response is out (HTTP/2 streams need nothing). */
  #noKeepAlive(): void {
    const res = this.#res as unknown as { shouldKeepAlive?: boolean };
    if (res.shouldKeepAlive !== undefined && !this.#res.headersSent) res.shouldKeepAlive = false;
  }

  /** The downstream socket drained (listener callback). */
  clientDrained(): void {
    this.#controller?.resume();
  }

  #clearTimer(): void {
    if (this.#tryTimer !== null) {
      clearTimeout(this.#tryTimer);
      this.#tryTimer = null;
    }
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}

const kCall = Symbol('meshlet.upstreamCall');
/** What the shared listener and timer functions call back. */
interface CallEvents {
  deadline(): void;
  tryDeadline(): void;
  streamIdle(): void;
  clientClosed(): void;
  clientDrained(): void;
  requestMalformed(err: ProxyError): void;
}
type CallResponse = { [kCall]?: CallEvents | undefined };

/**
 * Hands a parser error about the request body to the call forwarding it, if
 * one is: returns false when none is (the listener then handles the error).
 */
export function requestMalformed(res: object, err: ProxyError): boolean {
  const call = (res as CallResponse)[kCall];
  if (call === undefined) return false;
  call.requestMalformed(err);
  return true;
}

function onClientClose(this: CallResponse): void {
  this[kCall]?.clientClosed();
}
function onClientDrain(this: CallResponse): void {
  this[kCall]?.clientDrained();
}
function onDeadline(call: CallEvents): void {
  call.deadline();
}
function onTryDeadline(call: CallEvents): void {
  call.tryDeadline();
}
function onStreamIdle(call: CallEvents): void {
  call.streamIdle();
}

/**
 * Errors that say something about the request or the call rather than the
 * upstream: our own ProxyErrors (timeouts we raised, the caller leaving) and
 * requests undici refuses to send (a header value it will not write).
 */
function classify(err: Error): ProxyError | null {
  if (err instanceof ProxyError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_INVALID_URL') {
    return new ProxyError('DPE', `request cannot be forwarded: ${err.message}`, { cause: err });
  }
  return null;
}

function noteGrpcStatus(note: GrpcNote, value: string | string[] | undefined): void {
  const code = parseGrpcStatus(value);
  if (code !== null) note.grpcStatus = code;
}

function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return classify(err as Error) ?? new ProxyError('UF', `upstream unusable: ${(err as Error).message}`);
}

function describe(flag: string, err: Error): string {
  const code = (err as { code?: string }).code;
  const what =
    flag === 'UF'
      ? 'upstream connect failure'
      : flag === 'UT'
        ? 'upstream timeout'
        : 'upstream connection reset';
  return code === undefined ? `${what}: ${err.message}` : `${what}: ${code}`;
}
