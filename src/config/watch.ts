// Hot reload. kubelet updates a mounted ConfigMap by swapping the `..data`
// symlink; editors save by rename. Both show up as directory events, so the
// directory is watched, and a slow poll of the file's content covers file
// systems where events are lost. Only a changed text is parsed again.
import { readFile } from 'node:fs/promises';
import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { formatIssue, loadMeshText } from './load.ts';
import type { ConfigStore } from './store.ts';
import type { SidecarIdentity } from './types.ts';

export interface WatchOptions {
  file: string;
  self: SidecarIdentity;
  store: ConfigStore;
  log: Logger;
  metrics: MeshMetrics;
  /** Poll period; events usually win, this is the upper bound. */
  pollMs?: number;
}

export function watchConfig(opts: WatchOptions, initialText: string): () => void {
  let lastText = initialText;
  let pending: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;

  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      let text: string;
      try {
        text = await readFile(opts.file, 'utf8');
      } catch {
        return; // mid-swap or briefly missing: the next event or poll retries
      }
      if (text === lastText) return;
      lastText = text;
      const result = loadMeshText(text, opts.file, opts.self);
      if (result.ok) {
        opts.store.publish(result.mesh);
        opts.metrics.configReload('success', result.mesh.hash);
        opts.log.info({ hash: result.mesh.hash, source: opts.file }, 'config reloaded');
      } else {
        opts.store.reject(result.issues);
        opts.metrics.configReload('failure', null);
        opts.log.error(
          { errors: result.issues.map(formatIssue), keptHash: opts.store.current.hash },
          'config rejected; the last good config keeps serving',
        );
      }
    } finally {
      running = false;
      if (again) {
        again = false;
        void check();
      }
    }
  };

  const schedule = (): void => {
    if (pending !== null) return;
    // Let a multi-step swap settle before reading.
    pending = setTimeout(() => {
      pending = null;
      void check();
    }, 100);
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(opts.file), { persistent: false }, schedule);
    watcher.on('error', () => {});
  } catch (err) {
    opts.log.warn({ err: (err as Error).message }, 'cannot watch config directory; polling only');
  }
  const poll = setInterval(schedule, opts.pollMs ?? 1000);
  poll.unref();

  return () => {
    watcher?.close();
    clearInterval(poll);
    if (pending !== null) clearTimeout(pending);
  };
}
