// Traffic mirroring (Istio's `mirror` + `mirrorPercentage`, Gateway API's
// RequestMirror): a share of a route's requests is copied to another version
// and the copy's response is discarded. The original must never wait for, or
// fail because of, its copy: the copies in flight are bounded (excess copies
// are dropped and counted), and the body reaches the copy through a tee that
// never pushes back on the original: a copy that falls behind is abandoned.
// See docs/configuration.md ("Traffic policy", "mirror").
import { type Compiled, compiled, type PolicyIssue, percentProblem, thresholdOf } from './issue.ts';

export interface RawMirror {
  version?: unknown;
  percent?: unknown;
}

export interface CompiledMirror {
  /** The version (of the same service) that receives the copies. */
  readonly version: string;
  /** Mirror when `random() < threshold`. */
  readonly threshold: number;
}

/** The header that marks a copy, so the shadow's own telemetry can tell copies apart. */
export const MIRROR_HEADER = 'x-meshlet-mirror';

/**
 * Compiles `mirror:`; `versions` are the service's version names. Null when
 * absent or at 0 %, so the request path skips the step.
 */
export function compileMirror(
  raw: RawMirror | undefined,
  versions: ReadonlySet<string>,
): Compiled<CompiledMirror | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  const percent = raw.percent ?? 100;
  const p = percentProblem(percent);
  if (p !== null) issues.push({ path: ['percent'], message: p });
  if (typeof raw.version !== 'string' || !versions.has(raw.version)) {
    const known = [...versions].join(', ');
    issues.push({
      path: ['version'],
      message: `mirror version must be one of this service's versions (${known}), got ${JSON.stringify(raw.version)}`,
    });
  }
  if (issues.length > 0 || percent === 0) return compiled(null, issues);
  return {
    ok: true,
    value: Object.freeze({ version: raw.version as string, threshold: thresholdOf(percent as number) }),
  };
}

/** Whether this request is copied (one random draw; none at 100 %). */
export function shouldMirror(mirror: CompiledMirror, random: () => number): boolean {
  return mirror.threshold >= 1 || random() < mirror.threshold;
}

/**
 * Bounds the copies in flight across all routes of a sidecar. A copy that
 * would exceed the bound is not made, and counted in `dropped` (for
 * `meshlet_mirror_dropped_total`). Lives outside the config snapshot: a
 * reload must not forget the copies still running.
 */
export class MirrorGate {
  readonly #max: number;
  #inFlight = 0;
  #dropped = 0;

  constructor(maxInFlight: number) {
    this.#max = maxInFlight;
  }

  /** Takes a slot for one copy; false (and counted as dropped) when all are taken. */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.#max) {
      this.#dropped++;
      return false;
    }
    this.#inFlight++;
    return true;
  }

  /** Gives back a slot; call exactly once per successful tryAcquire, however the copy ended. */
  release(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get dropped(): number {
    return this.#dropped;
  }
}

/**
 * The authority a copy carries: the host name suffixed `-shadow`, as Istio
 * does (`reviews:9080` → `reviews-shadow:9080`), so the shadow can tell
 * copies from real traffic. An IP literal has no name to suffix and is kept.
 */
export function shadowAuthority(authority: string): string {
  if (authority.startsWith('[')) return authority;
  const colon = authority.indexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  if (host === '' || /^[0-9.]+$/.test(host)) return authority;
  return colon === -1 ? `${host}-shadow` : `${host}-shadow${authority.slice(colon)}`;
}

/**
 * The copy's request headers from the original's (already rewritten for
 * forwarding): Host (or HTTP/2 `:authority`) shadowed, any incoming mark
 * dropped, and `x-meshlet-mirror: 1` added. Appends to `out`.
 */
export function mirrorRequestHeaders(headers: readonly string[], out: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const lower = name.toLowerCase();
    if (lower === MIRROR_HEADER) continue;
    const value = headers[i + 1]!;
    out.push(name, lower === 'host' || lower === ':authority' ? shadowAuthority(value) : value);
  }
  out.push(MIRROR_HEADER, '1');
}

/** Where the tee writes the copy's body: a node Writable (a PassThrough handed to undici as the body) fits. */
export interface TeeSink {
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

export type TeeState = 'copying' | 'ended' | 'abandoned';
/** Why a copy was abandoned: its body outgrew the limit, its sink fell behind, it failed, or the original was aborted. */
export type TeeAbandonReason = 'too-large' | 'slow' | 'failed' | 'original-aborted';

export interface MirrorTeeLimits {
  /** Body bytes a copy may carry; a larger body abandons the copy (a truncated copy would be a different request). */
  readonly maxBodyBytes: number;
  /** Bytes waiting for a slow sink; beyond this the copy is abandoned. */
  readonly maxQueuedBytes: number;
}

const DEFAULT_TEE_LIMITS: MirrorTeeLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxQueuedBytes: 256 * 1024,
});

/**
 * Copies the original request's body chunks to a mirror sink. The caller
 * feeds it the chunks it forwards (`write`, then `end` or `abort`); none of
 * these ever waits, throws or reports backpressure. Chunks the sink is not
 * ready for are queued up to `maxQueuedBytes`; past that, past
 * `maxBodyBytes`, or on a sink error, the copy is abandoned (the sink is
 * destroyed and the queue freed) and the original carries on.
 */
export class MirrorTee {
  readonly #sink: TeeSink;
  readonly #limits: MirrorTeeLimits;
  #state: TeeState = 'copying';
  #reason: TeeAbandonReason | null = null;
  #copied = 0;
  #queue: Buffer[] = [];
  #queued = 0;
  #waiting = false;
  #endRequested = false;
  readonly #onAbandon: ((reason: TeeAbandonReason) => void) | undefined;

  constructor(
    sink: TeeSink,
    limits: MirrorTeeLimits = DEFAULT_TEE_LIMITS,
    onAbandon?: (reason: TeeAbandonReason) => void,
  ) {
    this.#sink = sink;
    this.#limits = limits;
    this.#onAbandon = onAbandon;
    // `on`, not `once`: a second error event without a listener would crash the process.
    sink.on('error', () => this.#abandon('failed'));
    // A sink torn down from the other side (its request ended early) takes no more chunks.
    sink.on('close', () => {
      if (this.#state === 'copying') this.#abandon('failed');
    });
  }

  get state(): TeeState {
    return this.#state;
  }

  get abandonReason(): TeeAbandonReason | null {
    return this.#reason;
  }

  /** Body bytes accepted for the copy so far. */
  get copiedBytes(): number {
    return this.#copied;
  }

  /** One chunk of the original's body, as it is forwarded. */
  write(chunk: Buffer): void {
    if (this.#state !== 'copying' || this.#endRequested) return;
    this.#copied += chunk.length;
    if (this.#copied > this.#limits.maxBodyBytes) {
      this.#abandon('too-large');
      return;
    }
    if (this.#waiting) {
      this.#queued += chunk.length;
      if (this.#queued > this.#limits.maxQueuedBytes) {
        this.#abandon('slow');
        return;
      }
      this.#queue.push(chunk);
      return;
    }
    this.#send(chunk);
  }

  /** The original's body is complete: the copy ends once its queue is flushed. */
  end(): void {
    if (this.#state !== 'copying' || this.#endRequested) return;
    this.#endRequested = true;
    if (!this.#waiting) this.#finish();
  }

  /** The original was aborted: its copy is abandoned too, never sent incomplete. */
  abort(): void {
    if (this.#state === 'copying') this.#abandon('original-aborted');
  }

  #send(chunk: Buffer): void {
    let ready: boolean;
    try {
      ready = this.#sink.write(chunk);
    } catch {
      this.#abandon('failed');
      return;
    }
    if (!ready && this.#state === 'copying') {
      this.#waiting = true;
      this.#sink.once('drain', this.#onDrain);
    }
  }

  readonly #onDrain = (): void => {
    this.#waiting = false;
    while (this.#state === 'copying' && !this.#waiting && this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      this.#queued -= chunk.length;
      this.#send(chunk);
    }
    if (this.#state === 'copying' && !this.#waiting && this.#endRequested) this.#finish();
  };

  #finish(): void {
    this.#state = 'ended';
    try {
      this.#sink.end();
    } catch {
      this.#abandon('failed');
    }
  }

  #abandon(reason: TeeAbandonReason): void {
    if (this.#state === 'abandoned') return;
    this.#state = 'abandoned';
    this.#reason = reason;
    this.#queue = [];
    this.#queued = 0;
    try {
      this.#sink.destroy();
    } catch {
      // The copy is gone either way; nothing of it may reach the original.
    }
    this.#onAbandon?.(reason);
  }
}
