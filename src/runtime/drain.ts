// Graceful shutdown (SIGTERM, SIGINT or POST /quitquitquit): stop accepting,
// report not-ready, let in-flight requests finish with `connection: close`,
// and give up on the rest when the drain time is over. See
// docs/architecture.md ("Start-up and shutdown").
import type { Listener } from '../listener/accept.ts';
import type { Sidecar } from '../sidecar.ts';

export interface DrainOptions {
  /** The longest wait for in-flight requests, in ms (MESHLET_DRAIN_SECONDS). */
  readonly drainMs: number;
  /** Closes what is left once the listeners are done (watchers, admin port, pools, tracing). */
  readonly cleanup: () => Promise<void>;
}

/** How often idle keep-alive connections are closed while requests finish. */
const POLL_MS = 50;

/**
 * Returns the drain trigger. The first call starts the drain; every call
 * returns the same promise, which settles once the listeners are closed and
 * `cleanup` has run (its failures are ignored: the process is leaving).
 */
export function drainer(
  sidecar: Pick<Sidecar, 'draining' | 'inFlight' | 'log'>,
  listeners: readonly Listener[],
  opts: DrainOptions,
): () => Promise<void> {
  let drained: Promise<void> | null = null;
  return () => {
    drained ??= drain(sidecar, listeners, opts);
    return drained;
  };
}

async function drain(
  sidecar: Pick<Sidecar, 'draining' | 'inFlight' | 'log'>,
  listeners: readonly Listener[],
  { drainMs, cleanup }: DrainOptions,
): Promise<void> {
  // Read by /ready (503) and by the listeners, which answer with `connection: close`.
  sidecar.draining = true;
  sidecar.log.info({ inFlight: sidecar.inFlight, drainMs }, 'draining');
  const servers = listeners.map((l) => l.http);
  for (const l of listeners) l.server.close();
  // HTTP/2: GOAWAY now, open streams finish, what is left is cut when the drain time is over.
  for (const l of listeners) void l.h2.drain(drainMs);
  for (const s of servers) {
    s.close();
    s.closeIdleConnections();
  }
  const deadline = Date.now() + drainMs;
  while (sidecar.inFlight > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    // A keep-alive connection goes idle once its last response is written.
    for (const s of servers) s.closeIdleConnections();
  }
  if (sidecar.inFlight > 0)
    sidecar.log.warn({ inFlight: sidecar.inFlight }, 'drain time over; closing remaining requests');
  for (const s of servers) s.closeAllConnections();
  await cleanup().catch(() => {});
  sidecar.log.info('drained, exiting');
}
