// The current config snapshot, published by reference. The request path reads
// `store.current` once per request; a reload swaps the reference, so requests
// already in flight keep the snapshot they started with.
import { EventEmitter } from 'node:events';
import type { CompiledMesh, ConfigIssue } from './types.ts';

export interface ReloadError {
  readonly at: Date;
  readonly issues: readonly ConfigIssue[];
}

export class ConfigStore extends EventEmitter<{
  change: [CompiledMesh, CompiledMesh];
  rejected: [ReloadError];
}> {
  #current: CompiledMesh;
  #lastError: ReloadError | null = null;

  constructor(initial: CompiledMesh) {
    super();
    this.#current = initial;
  }

  get current(): CompiledMesh {
    return this.#current;
  }

  get lastError(): ReloadError | null {
    return this.#lastError;
  }

  publish(next: CompiledMesh): void {
    const prev = this.#current;
    this.#current = next;
    this.#lastError = null;
    this.emit('change', next, prev);
  }

  reject(issues: readonly ConfigIssue[]): void {
    this.#lastError = { at: new Date(), issues };
    this.emit('rejected', this.#lastError);
  }
}
