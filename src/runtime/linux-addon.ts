// meshlet's two Linux addons (native/linux: original_dst and file_pages),
// built by `npm ci` where a compiler is present. One place knows where they
// are; each user loads its addon once, on first use, and decides what a
// missing one means (src/capture/original-dst.ts, src/runtime/file-pages.ts).
import { createRequire } from 'node:module';

/** The addon's exports, or why it cannot be loaded (not built, not Linux). */
export function requireLinuxAddon<T>(name: 'original_dst' | 'file_pages'): T | Error {
  try {
    return createRequire(import.meta.url)(`../../native/linux/build/Release/${name}.node`) as T;
  } catch (err) {
    return err as Error;
  }
}
