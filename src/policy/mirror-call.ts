// Sends one mirrored copy through the forward core's Upstream seam and
// throws its response away. One attempt, no retries, its own deadline: a
// shadow that hangs, resets or answers 500 costs the original nothing and
// gives its MirrorGate slot back when the copy ends, however it ends.
// See docs/configuration.md ("Traffic policy", "mirror").
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError } from '../errors.ts';
import type { Upstream } from '../forward/upstream.ts';
import type { MirrorGate } from './mirror.ts';

/** How a copy ended: the shadow answered (any status), failed, ran out of time, or its body was abandoned. */
export type MirrorOutcome = 'answered' | 'failed' | 'timeout';

export interface MirrorCopy {
  readonly method: string;
  /** Origin-form target, as the original is forwarded. */
  readonly path: string;
  /** From mirrorRequestHeaders: shadowed Host, `x-meshlet-mirror: 1`. */
  readonly headers: string[];
  /** The MirrorTee's sink (a PassThrough) when the original has a body, else null. */
  readonly body: Readable | null;
  /** The copy's whole lifetime; it is cut when this passes. */
  readonly timeoutMs: number;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Starts a copy on a slot the caller has already taken with
 * `gate.tryAcquire()`; the slot is released when the copy ends. Never throws.
 * `onDone` gets the outcome and the shadow's status (null when none came).
 */
export function sendMirror(
  upstream: Upstream,
  copy: MirrorCopy,
  gate: MirrorGate,
  onDone?: (outcome: MirrorOutcome, status: number | null) => void,
): void {
  new MirrorCall(gate, copy, onDone).start(upstream);
}

class MirrorCall implements Dispatcher.DispatchHandler {
  readonly #gate: MirrorGate;
  readonly #copy: MirrorCopy;
  readonly #onDone: ((outcome: MirrorOutcome, status: number | null) => void) | undefined;
  #controller: Dispatcher.DispatchController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #status: number | null = null;
  #done = false;

  constructor(
    gate: MirrorGate,
    copy: MirrorCopy,
    onDone?: (outcome: MirrorOutcome, status: number | null) => void,
  ) {
    this.#gate = gate;
    this.#copy = copy;
    this.#onDone = onDone;
  }

  start(upstream: Upstream): void {
    this.#timer = setTimeout(() => this.#expire(), this.#copy.timeoutMs);
    try {
      const endpoint = upstream.pick(1, NO_KEYS);
      if (endpoint instanceof ProxyError) {
        this.#finish('failed');
        return;
      }
      endpoint.transport.dispatch(
        {
          method: this.#copy.method,
          path: this.#copy.path,
          headers: this.#copy.headers,
          body: this.#copy.body,
          idempotent: false,
          blocking: false,
        },
        this,
      );
    } catch {
      this.#finish('failed');
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new ProxyError('LR', 'mirror copy ended'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode >= 200) this.#status = statusCode;
  }

  onResponseData(): void {
    // Discarded: the copy's answer never reaches anyone.
  }

  onResponseEnd(): void {
    this.#finish('answered');
  }

  onResponseError(): void {
    this.#finish('failed');
  }

  #expire(): void {
    this.#timer = null;
    if (this.#done) return;
    this.#finish('timeout');
    this.#controller?.abort(new ProxyError('UT', 'mirror copy timed out'));
  }

  #finish(outcome: MirrorOutcome): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    // A copy that ends before its body was sent stops the tee (it sees the sink go).
    if (outcome !== 'answered' && this.#copy.body !== null && !this.#copy.body.destroyed)
      this.#copy.body.destroy();
    this.#gate.release();
    try {
      this.#onDone?.(outcome, this.#status);
    } catch {
      // Counting a copy must not reach the original's path.
    }
  }
}
