// Retries on gRPC statuses (`retries.on: [unavailable, ...]`, see
// docs/configuration.md). A gRPC call's outcome is in grpc-status, which
// arrives with the response's end (trailers, or a Trailers-Only response), so
// the call holds the response headers until the first message or the end;
// and a gRPC request always has a body, so the call keeps a copy of a small
// one (a unary request) to send again. A request larger than the copy limit,
// or still streaming, is never retried.
import type { RetryPolicy } from '../config/types.ts';

/** Largest request body kept for a retry (Envoy's default retry buffer is 64 KiB as well). */
export const REPLAY_LIMIT_BYTES = 64 * 1024;

/** Whether a gRPC status is worth another attempt now. Pure. */
export function grpcRetryable(
  policy: RetryPolicy | null,
  grpcStatus: number | null,
  attempt: number,
  replayable: boolean,
  deadlinePassed: boolean,
): boolean {
  if (policy === null || grpcStatus === null || policy.grpcStatuses?.has(grpcStatus) !== true) return false;
  return replayable && attempt <= policy.attempts && !deadlinePassed;
}

/**
 * A copy of a request body as the transport sends it (fed from the dispatch
 * handler's onBodySent / onRequestSent, so nothing else reads the request).
 */
export class ReplayBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #overflow = false;
  #ended = false;

  add(chunk: Buffer | string): void {
    if (this.#overflow) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#size += buf.length;
    if (this.#size > REPLAY_LIMIT_BYTES) {
      this.#overflow = true;
      this.#chunks.length = 0;
      return;
    }
    this.#chunks.push(buf);
  }

  end(): void {
    this.#ended = true;
  }

  /** The whole body, once it was sent whole and was small enough; null otherwise. */
  get body(): Buffer | null {
    return this.#ended && !this.#overflow ? Buffer.concat(this.#chunks, this.#size) : null;
  }
}
