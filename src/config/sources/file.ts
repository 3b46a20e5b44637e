// The file config source: the mounted ConfigMap (or any file). kubelet updates
// a mounted ConfigMap by swapping the `..data` symlink; editors save by rename;
// `cp` and `cat >` truncate the file and write it in place. All show up as
// directory events, so the directory is watched, and a slow poll covers file
// systems where events are lost. A text is handed on only once it is stable:
// two reads SETTLE_MS apart agree (same size and content). An empty text is
// what an in-place write looks like between truncate and write, so it is
// waited out; only one that stays empty for EMPTY_GRACE_MS is handed on (and
// then refused as empty). A poll first compares the file's identity, size and
// times with those of the last text it saw and reads nothing when they match:
// a 1 MB config read and decoded every second kept an idle sidecar collecting
// garbage. See docs/configuration.md, "Reloading".
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigSource, SourceEvents } from '../reload.ts';

export interface FileSourceOptions {
  /** Poll period; events usually win, this is the upper bound. */
  pollMs?: number;
  /** How long the content must stay the same before it is handed on. */
  settleMs?: number;
  /** How long an empty file is waited out before it is handed on. */
  emptyGraceMs?: number;
}

const SETTLE_MS = 100;
const EMPTY_GRACE_MS = 2000;
// A file still changing after this long is left to the next event or poll.
const MAX_SETTLE_MS = 30_000;
// Let a multi-step swap settle before the first read.
const DEBOUNCE_MS = 100;

export class FileSource implements ConfigSource {
  readonly name: string;
  readonly #file: string;
  readonly #opts: Required<FileSourceOptions>;
  #last: string;
  /** The file's stat signature when `#last` was read from it; null until then. */
  #lastSignature: string | null = null;
  #events: SourceEvents | null = null;
  #pending: NodeJS.Timeout | null = null;
  #running = false;
  #again = false;
  #stopped = false;
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  /** The read error last warned about: each distinct one is logged once, until a read works again. */
  #readError: string | null = null;

  /** `initialText` is what the sidecar started with: only a different text is handed on. */
  constructor(file: string, initialText: string, opts: FileSourceOptions = {}) {
    this.name = file;
    this.#file = file;
    this.#last = initialText;
    this.#opts = {
      pollMs: opts.pollMs ?? 1000,
      settleMs: opts.settleMs ?? SETTLE_MS,
      emptyGraceMs: opts.emptyGraceMs ?? EMPTY_GRACE_MS,
    };
  }

  start(events: SourceEvents): void {
    this.#events = events;
    try {
      this.#watcher = watch(dirname(this.#file), { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', () => {});
    } catch (err) {
      events.warn(`cannot watch the config directory (${(err as Error).message}); polling only`);
    }
    this.#poll = setInterval(() => this.#schedule(), this.#opts.pollMs);
    this.#poll.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    if (this.#poll !== null) clearInterval(this.#poll);
    if (this.#pending !== null) clearTimeout(this.#pending);
  }

  #schedule(): void {
    if (this.#pending !== null || this.#stopped) return;
    this.#pending = setTimeout(() => {
      this.#pending = null;
      void this.#check();
    }, DEBOUNCE_MS);
  }

  async #check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      // Taken before the read: a write after it changes the signature, so the next poll reads again.
      const signature = await this.#signature();
      if (signature !== null && signature === this.#lastSignature) return;
      const text = await this.#stableText();
      if (text === null || this.#stopped) return;
      this.#lastSignature = signature;
      if (text === this.#last) return;
      this.#last = text;
      this.#events?.text(text);
    } finally {
      this.#running = false;
      if (this.#again) {
        this.#again = false;
        void this.#check();
      }
    }
  }

  /**
   * The file's text once two reads agree, or null: missing (mid-swap), or still
   * changing after MAX_SETTLE_MS (the next event or poll tries again).
   */
  async #stableText(): Promise<string | null> {
    const started = performance.now();
    let emptySince: number | null = null;
    let previous = await this.#read();
    while (previous !== null && !this.#stopped) {
      // Unchanged since the last text handed on: nothing is being written.
      if (previous === this.#last) return previous;
      await sleep(this.#opts.settleMs);
      const current = await this.#read();
      if (current === '') emptySince ??= performance.now();
      else emptySince = null;
      if (current !== null && current === previous) {
        if (current !== '') return current;
        if (performance.now() - emptySince! >= this.#opts.emptyGraceMs) return current;
      }
      if (performance.now() - started > MAX_SETTLE_MS) return null;
      previous = current;
    }
    return null;
  }

  /** Inode, size, modification and change times (ns), following symlinks; null when it cannot be taken. */
  async #signature(): Promise<string | null> {
    try {
      const st = await stat(this.#file, { bigint: true });
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      return null;
    }
  }

  async #read(): Promise<string | null> {
    try {
      const text = await readFile(this.#file, 'utf8');
      this.#readError = null;
      return text;
    } catch (err) {
      // Missing for a moment is a swap in progress; anything else (EACCES, EISDIR) will not fix itself.
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENOENT' && code !== this.#readError) {
        this.#readError = code;
        this.#events?.warn(
          `cannot read the config file (${(err as Error).message}); the last good config keeps serving`,
        );
      }
      return null;
    }
  }
}
