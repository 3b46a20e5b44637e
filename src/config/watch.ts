// Hot reload of the config file: the file source feeding compile-and-publish.
// See src/config/sources/file.ts and src/config/reload.ts.
import type { Logger } from '../telemetry/log.ts';
import type { MeshMetrics } from '../telemetry/types.ts';
import { startReload } from './reload.ts';
import { FileSource, type FileSourceOptions } from './sources/file.ts';
import type { ConfigStore } from './store.ts';
import type { SidecarIdentity } from './types.ts';

export interface WatchOptions extends FileSourceOptions {
  file: string;
  self: SidecarIdentity;
  store: ConfigStore;
  log: Logger;
  metrics: MeshMetrics;
}

/** Watches `file`, publishing each valid edit; `initialText` is what the sidecar started with. */
export function watchConfig(opts: WatchOptions, initialText: string): () => void {
  return startReload({
    source: new FileSource(opts.file, initialText, opts),
    self: opts.self,
    store: opts.store,
    log: opts.log,
    metrics: opts.metrics,
  });
}
