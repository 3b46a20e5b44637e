// Deterministic drivers for the balancing tests: a seeded random source and a
// closed-loop load simulation on a virtual clock.

import type { EndpointSet } from '../../../src/balance/endpoint-set.ts';
import { endpointAddress } from '../../../src/discovery/address.ts';
import { ProxyError } from '../../../src/errors.ts';

/** mulberry32: a small seeded PRNG in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ManualClock {
  now = 0;
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** 127.0.0.(2..n+1):9080, the shape of the integration tests' endpoints. */
export function loopbackEndpoints(n: number, port = 9080) {
  return Array.from({ length: n }, (_, i) => endpointAddress(`127.0.0.${i + 2}`, port));
}

/**
 * `concurrency` clients each send a request as soon as their last one is
 * answered, `total` requests in all; an endpoint answers after
 * `latencyMs(authority)`. Returns the picks per endpoint authority.
 */
export function simulate(
  set: EndpointSet,
  clock: ManualClock,
  opts: { total: number; concurrency: number; latencyMs: (authority: string) => number },
): Map<string, number> {
  const picks = new Map<string, number>();
  const inFlight: { at: number; key: string; started: number }[] = [];
  let sent = 0;
  const send = () => {
    const e = set.pick();
    if (e instanceof ProxyError) throw e;
    picks.set(e.address.authority, (picks.get(e.address.authority) ?? 0) + 1);
    inFlight.push({ at: clock.now + opts.latencyMs(e.address.authority), key: e.key, started: clock.now });
    sent++;
  };
  for (let i = 0; i < opts.concurrency; i++) send();
  while (inFlight.length > 0) {
    let first = 0;
    for (let i = 1; i < inFlight.length; i++) if (inFlight[i]!.at < inFlight[first]!.at) first = i;
    const done = inFlight.splice(first, 1)[0]!;
    clock.now = done.at;
    set.report(done.key, 'success', done.at - done.started);
    if (sent < opts.total) send();
  }
  return picks;
}
