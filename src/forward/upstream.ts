// Where each attempt goes. The call asks an Upstream for an endpoint per
// attempt (a retry passes the keys already tried, so a balancer can prefer
// another one) and reports how each attempt went. A Transport is anything
// that takes undici's dispatch contract: an undici Pool for HTTP/1.1 today
// (transport/h1.ts), an HTTP/2 session next.
import type { Dispatcher } from 'undici';
import type { ProxyError } from '../errors.ts';
import type { AttemptOutcome } from './retry.ts';

export interface Transport {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
}

export interface Endpoint {
  /** Stable identity of the endpoint (for the tried set and reports). */
  readonly key: string;
  readonly transport: Transport;
}

export interface Upstream {
  /** An endpoint for attempt `attempt` (1-based), or why there is none (never throws). */
  pick(attempt: number, tried: ReadonlySet<string>): Endpoint | ProxyError;
  /** How an attempt on `key` ended, with the time to its response headers or failure. */
  report?(key: string, outcome: AttemptOutcome, latencyMs: number): void;
  /** Asked before each retry a policy allows: false when the retry budget is spent (no retry then). */
  retryAllowed?(): boolean;
  /** The exchange is over, however it ended (a balancer frees what the last attempt held). */
  finished?(): void;
}

/** The plan's single `dispatcher`, as an Upstream with one endpoint. */
export function singleEndpoint(transport: Transport, key = 'default'): Upstream {
  const endpoint: Endpoint = { key, transport };
  return { pick: () => endpoint };
}
