// Mirror step (outbound): a share of a route's requests is copied to another
// version of the service, body included (teed as the original streams it),
// through that version's upstream. The copy's answer is discarded; the copies
// in flight are bounded by one gate per process, and a copy that cannot keep
// up is abandoned, so the original never waits for its copy. See
// docs/configuration.md ("Traffic policy", "mirror").
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { VersionTarget } from '../../config/types.ts';
import type { UpstreamPools } from '../../forward/pools.ts';
import type { Upstream } from '../../forward/upstream.ts';
import {
  type CompiledMirror,
  MirrorGate,
  MirrorTee,
  mirrorRequestHeaders,
  shouldMirror,
} from '../../policy/mirror.ts';
import { sendMirror } from '../../policy/mirror-call.ts';
import type { RandomSource } from '../../route/pick.ts';
import type { OutboundTarget } from '../../route/resolve.ts';
import type { Sidecar } from '../../sidecar.ts';

/** Copies in flight across the process; beyond it copies are dropped and counted. */
const MAX_MIRRORS_IN_FLIGHT = 256;
/** A copy's whole lifetime when its route has no timeout. */
const DEFAULT_MIRROR_TIMEOUT_MS = 10_000;

const gate = new MirrorGate(MAX_MIRRORS_IN_FLIGHT);

export interface MirrorRequest {
  readonly method: string;
  /** The target and headers as the original is forwarded (after rewrite and header edits). */
  readonly path: string;
  readonly headers: readonly string[];
  readonly hasBody: boolean;
  readonly timeoutMs: number;
}

/**
 * Starts the copy when this request is drawn for it and a gate slot is free.
 * Must run before the original is forwarded: the body tee is attached to the
 * paused request, so both readers see every chunk from the first.
 */
export function startMirror(
  mirror: CompiledMirror,
  random: RandomSource,
  versions: ReadonlyMap<string, VersionTarget>,
  upstreamFor: (version: VersionTarget) => Upstream,
  req: IncomingMessage,
  copy: MirrorRequest,
  onDropped: () => void,
): void {
  if (!shouldMirror(mirror, random)) return;
  const version = versions.get(mirror.version);
  if (version === undefined) return;
  if (!gate.tryAcquire()) {
    onDropped();
    return;
  }
  const headers: string[] = [];
  mirrorRequestHeaders(copy.headers, headers);
  let body: PassThrough | null = null;
  if (copy.hasBody) {
    body = new PassThrough();
    const tee = new MirrorTee(body);
    // Paused first, so adding a reader does not start the flow before the forward step reads.
    req.pause();
    req.on('data', (chunk: Buffer) => tee.write(chunk));
    req.once('end', () => tee.end());
    req.once('close', () => {
      if (!req.complete) tee.abort();
    });
  }
  let upstream: Upstream;
  try {
    upstream = upstreamFor(version);
  } catch {
    body?.destroy();
    gate.release();
    return;
  }
  sendMirror(
    upstream,
    {
      method: copy.method,
      path: copy.path,
      headers,
      body,
      timeoutMs: copy.timeoutMs > 0 ? copy.timeoutMs : DEFAULT_MIRROR_TIMEOUT_MS,
    },
    gate,
  );
}

/**
 * The outbound listener's mirror step: a thunk that starts the copy when the
 * original is forwarded (after a fault delay, if any), through the mirror
 * version's upstream as the original's is made (its endpoint set, else its
 * origin, in `pools`), with the same mTLS peer as the original.
 */
export function mirrorStep(
  sidecar: Pick<Sidecar, 'pools' | 'random' | 'balancing' | 'metrics'>,
  mirror: CompiledMirror,
  target: OutboundTarget,
  req: IncomingMessage,
  path: string,
  headers: readonly string[],
  hasBody: boolean,
  pools: UpstreamPools = sidecar.pools,
): () => void {
  return () =>
    startMirror(
      mirror,
      sidecar.random,
      target.service?.versions ?? NO_VERSIONS,
      (v) =>
        sidecar.balancing.upstream(v, pools, target.peerId, null) ?? pools.upstream(v.origin, target.peerId),
      req,
      { method: req.method ?? 'GET', path, headers, hasBody, timeoutMs: target.route?.timeoutMs ?? 0 },
      () => sidecar.metrics.mirrorDropped(),
    );
}

const NO_VERSIONS: ReadonlyMap<string, VersionTarget> = new Map();
