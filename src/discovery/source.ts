// Where a version's endpoints come from. DNS (dns.ts) and a static list share
// this seam, and a Kubernetes EndpointSlice watch can later sit behind it too.
import type { EndpointAddress } from './address.ts';

export type EndpointsListener = (endpoints: readonly EndpointAddress[]) => void;

export interface EndpointSource {
  /** The last good set (empty until the first answer). */
  current(): readonly EndpointAddress[];
  /** Called with the whole new set each time it changes; returns the unsubscribe. */
  subscribe(listener: EndpointsListener): () => void;
  /** Settles once the first answer (or the first failure) is in. */
  readonly ready: Promise<void>;
  /** Stops this source; a shared lookup stops when its last source closes. */
  close(): void;
}

/** A fixed set: an `endpoints:` list, or a version host that is an IP literal. */
export class StaticSource implements EndpointSource {
  readonly #endpoints: readonly EndpointAddress[];
  readonly ready: Promise<void> = Promise.resolve();

  constructor(endpoints: readonly EndpointAddress[]) {
    this.#endpoints = Object.freeze([...endpoints]);
  }

  current(): readonly EndpointAddress[] {
    return this.#endpoints;
  }

  subscribe(): () => void {
    return () => {};
  }

  close(): void {}
}

/** Whether two sets name the same endpoints, in any order. */
export function sameEndpoints(a: readonly EndpointAddress[], b: readonly EndpointAddress[]): boolean {
  if (a.length !== b.length) return false;
  const names = new Set(a.map((e) => e.authority));
  return b.every((e) => names.has(e.authority));
}
