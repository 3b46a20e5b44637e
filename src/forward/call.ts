// One downstream request forwarded upstream: a streaming undici dispatch
// handler with timeout and retries. Bodies flow chunk by chunk with
// backpressure both ways; nothing is buffered whole.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RetryPolicy } from '../config/types.ts';
import { type Flag, ProxyError, type ResponseFlags, upstreamFlag } from '../errors.ts';
import { copyResponseHeaders } from './headers.ts';

export interface CallPlan {
  readonly dispatcher: Dispatcher;
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  /** Whole-request deadline up to the response headers; 0 = none. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | null;
  /** Extra response headers (flat pairs) to add, e.g. x-meshlet-upstream-version. */
  readonly responseHeaders: readonly string[] | null;
  /** From the header pass (copyRequestHeaders): whether the request streams a body. */
  readonly hasBody: boolean;
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
export type ErrorReply = (res: ServerResponse, err: ProxyError) => void;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #plan: CallPlan;
  readonly #body: IncomingMessage | null;
  readonly #done: CallDone;
  readonly #reply: ErrorReply;
  #controller: Dispatcher.DispatchController | null = null;
  #attempt = 0;
  #status = 0;
  #bytes = 0;
  #sent = 0;
  #started = false;
  #discard = false;
  #finished = false;
  #retriedRace = false;
  #timer: NodeJS.Timeout | null = null;
  #deadlinePassed = false;
  #tryTimer: NodeJS.Timeout | null = null;
  #waitingDrain = false;

  constructor(req: IncomingMessage, res: ServerResponse, plan: CallPlan, done: CallDone, reply: ErrorReply) {
    this.#res = res;
    this.#plan = plan;
    this.#done = done;
    this.#reply = reply;
    this.#body = plan.hasBody ? req : null;
  }

  start(): void {
    // Listeners and timers are shared functions that find the call through the
    // response or their argument: no closures allocated per request.
    (this.#res as CallResponse)[kCall] = this;
    this.#res.on('close', onClientClose);
    if (this.#plan.timeoutMs > 0) {
      this.#timer = setTimeout(onDeadline, this.#plan.timeoutMs, this);
    }
    this.#dispatch();
  }

  #dispatch(): void {
    this.#attempt++;
    this.#discard = false;
    const perTry = this.#plan.retry?.perTryTimeoutMs ?? 0;
    // Our own timer: undici's header timers are coarse (about 1 s) below a second.
    if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
    if (perTry > 0) this.#tryTimer = setTimeout(onTryDeadline, perTry, this);
    this.#plan.dispatcher.dispatch(
      {
        method: this.#plan.method,
        path: this.#plan.path,
        headers: this.#plan.headers,
        body: this.#body,
        // We decide about retries; undici must not replay requests on its own.
        idempotent: false,
        blocking: false,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(new ProxyError('LR', 'downstream went away'));
  }

  onBodySent(chunk: Buffer | string): void {
    this.#sent += chunk.length;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.#finished) return;
    const retry = this.#plan.retry;
    if (retry?.statuses.has(statusCode) && this.#canRetry(retry.attempts)) {
      // Let the small error body drain so the connection stays pooled, then try again.
      this.#discard = true;
      if (this.#tryTimer !== null) clearTimeout(this.#tryTimer);
      return;
    }
    this.#clearTimer();
    this.#started = true;
    this.#status = statusCode;
    const out: string[] = [];
    copyResponseHeaders(headers, out);
    const extra = this.#plan.responseHeaders;
    if (extra !== null) for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
    this.#res.writeHead(statusCode, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#discard || this.#finished) return;
    this.#bytes += chunk.length;
    if (!this.#res.write(chunk)) {
      controller.pause();
      if (!this.#waitingDrain) {
        this.#waitingDrain = true;
        this.#res.on('drain', onClientDrain);
      }
    }
  }

  onResponseEnd(): void {
    if (this.#finished) return;
    if (this.#discard) {
      this.#dispatch();
      return;
    }
    this.#res.end();
    this.#finish(this.#status, this.#attempt > 1 && this.#isRetryStatus() ? 'URX' : '-', null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#finished) return;
    const flag: Flag = upstreamFlag(err);
    if (this.#started) {
      // Headers already went out: the only honest signal left is to cut the stream.
      // No error argument: the socket error would come back as a phantom clientError.
      this.#res.destroy();
      this.#finish(this.#status, 'UC', null);
      return;
    }
    if (this.#shouldRetry(flag)) {
      this.#dispatch();
      return;
    }
    const retriesUsed = this.#attempt > 1;
    const proxyErr =
      err instanceof ProxyError
        ? err
        : new ProxyError(
            retriesUsed && flag !== 'UT' ? 'URX' : flag,
            retriesUsed ? `${describe(flag, err)} after ${this.#attempt} attempts` : describe(flag, err),
            { cause: err },
          );
    this.#clearTimer();
    this.#reply(this.#res, proxyErr);
    this.#finish(proxyErr.status, proxyErr.flag, proxyErr);
  }

  #shouldRetry(flag: Flag): boolean {
    if (!this.#replayable()) return false;
    const retry = this.#plan.retry;
    if (retry !== null && this.#attempt <= retry.attempts) {
      if (flag === 'UF' && retry.onConnectFailure) return true;
      if (flag === 'UC' && retry.onReset) return true;
      if (flag === 'UT' && retry.perTryTimeoutMs > 0 && !this.#deadlinePassed) return true;
    }
    // A reused keep-alive connection closed by the upstream just as we wrote:
    // an idempotent request is safe to send once more on a fresh connection.
    if (flag === 'UC' && !this.#retriedRace && IDEMPOTENT.has(this.#plan.method)) {
      this.#retriedRace = true;
      return true;
    }
    return false;
  }

  #canRetry(attempts: number): boolean {
    return this.#attempt <= attempts && this.#replayable() && !this.#finished;
  }

  #isRetryStatus(): boolean {
    return this.#plan.retry?.statuses.has(this.#status) === true;
  }

  #replayable(): boolean {
    return this.#body === null || !this.#body.readableDidRead;
  }

  /** The whole-request deadline (timer callback). */
  deadline(): void {
    this.#timer = null;
    this.#deadlinePassed = true;
    if (this.#started || this.#finished) return;
    const err = new ProxyError('UT', `no response within ${this.#plan.timeoutMs}ms`);
    this.#reply(this.#res, err);
    this.#finish(err.status, 'UT', err);
    this.#controller?.abort(err);
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

  /** The downstream response closed (listener callback). */
  clientClosed(): void {
    if (this.#finished) return;
    // The caller left before the exchange completed: stop the upstream work too.
    const err = new ProxyError('LR', 'downstream connection closed');
    this.#finish(this.#started ? this.#status : 0, 'DC', null);
    this.#controller?.abort(err);
  }

  #finish(status: number, flags: ResponseFlags, err: ProxyError | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearTimer();
    this.#res.off('close', onClientClose);
    if (this.#waitingDrain) this.#res.off('drain', onClientDrain);
    (this.#res as CallResponse)[kCall] = undefined;
    this.#done(status, flags, this.#sent, this.#bytes, err);
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
type CallResponse = ServerResponse & { [kCall]?: UpstreamCall | undefined };

function onClientClose(this: CallResponse): void {
  this[kCall]?.clientClosed();
}
function onClientDrain(this: CallResponse): void {
  this[kCall]?.clientDrained();
}
function onDeadline(call: UpstreamCall): void {
  call.deadline();
}
function onTryDeadline(call: UpstreamCall): void {
  call.tryDeadline();
}

function describe(flag: Flag, err: Error): string {
  const code = (err as { code?: string }).code;
  const what =
    flag === 'UF'
      ? 'upstream connect failure'
      : flag === 'UT'
        ? 'upstream timeout'
        : 'upstream connection reset';
  return code === undefined ? `${what}: ${err.message}` : `${what}: ${code}`;
}
