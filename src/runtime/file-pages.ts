// Gives back the resident pages of the node binary that an idle sidecar no
// longer uses. About two thirds of an idle sidecar's RSS are clean pages of
// the node executable (its code, V8's built-ins, the start-up snapshot, ICU
// data): 51-55 MiB, most of them touched once while starting or serving a
// burst. madvise(MADV_DONTNEED) on a read-only private file mapping drops
// only this process's page table entries: the pages stay in the kernel's page
// cache, and whatever runs next maps its pages again with a minor fault. The
// idle sidecar then holds the code it runs, 15-25 MiB, instead of everything
// it ever ran. Only mappings that cannot hold private data are released:
// file-backed, private, not writable, no anonymous (copy-on-write) pages.
// Linux only, through the small addon in native/linux; without it nothing
// is released. See docs/performance.md, "The node binary's pages: unmapped
// when idle".
import { readFileSync } from 'node:fs';
import { requireLinuxAddon } from './linux-addon.ts';

interface Addon {
  dontNeed(start: number, length: number): number;
}

/** One mapping of /proc/self/smaps that may be released, with its resident bytes. */
export interface ReleasableMapping {
  start: number;
  length: number;
  path: string;
  rssBytes: number;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/;
const FIELD = /^(\w+):\s+(\d+) kB$/;

/**
 * The mappings of an smaps text whose resident pages can be dropped without
 * losing anything: backed by a file (not [heap], [stack], anonymous or
 * deleted), private, neither writable nor executable-and-writable, and
 * holding no anonymous pages (a read-only mapping that was written before it
 * was protected, like RELRO, holds copy-on-write pages a drop would revert).
 * Mappings with nothing resident are left out.
 */
export function releasableMappings(smaps: string): ReleasableMapping[] {
  const out: ReleasableMapping[] = [];
  let current: (ReleasableMapping & { ok: boolean; anonymous: number; dirty: number }) | null = null;
  const finish = () => {
    if (current?.ok && current.anonymous === 0 && current.dirty === 0 && current.rssBytes > 0) {
      const { start, length, path, rssBytes } = current;
      out.push({ start, length, path, rssBytes });
    }
  };
  for (const line of smaps.split('\n')) {
    const header = HEADER.exec(line);
    if (header !== null) {
      finish();
      const [, from, to, perms, path] = header as unknown as [string, string, string, string, string];
      const start = Number.parseInt(from, 16);
      const end = Number.parseInt(to, 16);
      current = {
        start,
        length: end - start,
        path,
        rssBytes: 0,
        anonymous: 0,
        dirty: 0,
        ok:
          path.startsWith('/') &&
          !path.endsWith(' (deleted)') &&
          perms[1] === '-' &&
          perms[3] === 'p' &&
          Number.isSafeInteger(end) &&
          end > start,
      };
      continue;
    }
    if (current === null) continue;
    const field = FIELD.exec(line);
    if (field === null) continue;
    const kib = Number(field[2]);
    if (field[1] === 'Rss') current.rssBytes = kib * 1024;
    else if (field[1] === 'Anonymous') current.anonymous = kib;
    else if (field[1] === 'Private_Dirty' || field[1] === 'Shared_Dirty') current.dirty += kib;
  }
  finish();
  return out;
}

/** What the process's file pages look like and how they are released. */
export interface FilePages {
  /** Resident file-backed bytes (RssFile of /proc/self/status). */
  residentBytes(): number;
  /** Releases every releasable mapping; returns the resident bytes they held. */
  release(): number;
}

let addon: Addon | null | undefined;

function loadAddon(): Addon | null {
  if (addon === undefined) {
    const loaded = requireLinuxAddon<Addon>('file_pages');
    addon = loaded instanceof Error ? null : loaded;
  }
  return addon;
}

/** The process's own file pages, or null where they cannot be released (no addon, not Linux). */
export function processFilePages(): FilePages | null {
  const impl = loadAddon();
  if (impl === null) return null;
  try {
    readFileSync('/proc/self/status');
  } catch {
    return null;
  }
  return {
    residentBytes() {
      const m = /^RssFile:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'));
      return m === null ? 0 : Number(m[1]) * 1024;
    },
    release() {
      let released = 0;
      for (const mapping of releasableMappings(readFileSync('/proc/self/smaps', 'latin1'))) {
        if (impl.dontNeed(mapping.start, mapping.length) === 0) released += mapping.rssBytes;
      }
      return released;
    },
  };
}
