// Compile-and-publish, whatever the config comes from. A source (the file
// today: src/config/sources/file.ts; a Kubernetes watch later) only hands on
// complete texts; this module checks each one off the event loop, compiles it
// in slices, and publishes it to the store or rejects it, with the metric and
// the log line. Texts arriving while one is being loaded are coalesced: only
// the newest is loaded next. See docs/configuration.md, "Reloading".
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { configChange } from './change.ts';
import { compileMeshSteps } from './compile.ts';
import { checkInChild } from './compile-worker.ts';
import { type CheckResult, checkMeshText, formatIssue } from './load.ts';
import { slicePause } from './slices.ts';
import type { ConfigStore } from './store.ts';
import type { CompiledMesh, RawMesh, SidecarIdentity } from './types.ts';

/** What a source reports to the reloader. */
export interface SourceEvents {
  /** A complete config text, different from the last one handed on. */
  text(text: string): void;
  /** Something the operator should know, that is not a config error. */
  warn(message: string): void;
}

export interface ConfigSource {
  /** Where the config comes from, as shown in logs and file:line:col (a path, a ConfigMap name). */
  readonly name: string;
  start(events: SourceEvents): void;
  stop(): void;
}

export interface ReloadOptions {
  source: ConfigSource;
  self: SidecarIdentity;
  store: ConfigStore;
  log: Logger;
  metrics: MeshMetrics;
  /** Texts up to this size are checked inline (a few ms); larger ones in a child process. */
  inlineBytes?: number;
}

// About 1 ms of parsing per KiB: a text this size blocks for ~15 ms at most.
const INLINE_BYTES = 16 * 1024;

/** Starts the source; returns a function that stops it. */
export function startReload(opts: ReloadOptions): () => void {
  let loading = false;
  let next: string | null = null;

  const load = async (text: string): Promise<void> => {
    const file = opts.source.name;
    const checked: CheckResult =
      Buffer.byteLength(text) <= (opts.inlineBytes ?? INLINE_BYTES)
        ? checkMeshText(text, file, opts.self)
        : await checkInChild(text, file, opts.self);
    if (!checked.ok) {
      opts.store.reject(checked.issues);
      opts.metrics.configReload('failure', null);
      opts.log.error(
        { errors: checked.issues.map(formatIssue), keptHash: opts.store.current.hash },
        'config rejected; the last good config keeps serving',
      );
      return;
    }
    const mesh = await compileInSlices(checked.raw, checked.hash, file, opts.self);
    const change = configChange(opts.store.current, mesh);
    opts.store.publish(mesh);
    opts.metrics.configReload('success', mesh.hash);
    opts.log.info({ hash: mesh.hash, source: file, services: mesh.services.size, change }, 'config reloaded');
  };

  const drain = async (): Promise<void> => {
    loading = true;
    try {
      while (next !== null) {
        const text = next;
        next = null;
        try {
          await load(text);
        } catch (err) {
          // A checked config compiles; anything else is a bug, which must not take the sidecar down.
          opts.log.error(
            { err: (err as Error).message },
            'config reload failed; the last good config keeps serving',
          );
        }
      }
    } finally {
      loading = false;
    }
  };

  opts.source.start({
    text(text) {
      next = text;
      if (!loading) void drain();
    },
    warn(message) {
      opts.log.warn({ source: opts.source.name }, message);
    },
  });
  return () => opts.source.stop();
}

async function compileInSlices(
  raw: RawMesh,
  hash: string,
  source: string,
  self: SidecarIdentity,
): Promise<CompiledMesh> {
  const steps = compileMeshSteps(raw, { hash, source, self });
  const pause = slicePause();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}
