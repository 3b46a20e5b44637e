// Route regexes use RE2 syntax and semantics (as Istio's do), run by re2js, a
// linear-time engine: no pattern and no header value can make matching take
// more than time proportional to the input. Compiled once per config load,
// never per request. See docs/configuration.md, "Regular expressions", and
// bench/micro/regex.bench.ts for why this engine.
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

// re2js is loaded with the first regex: a config without one never pays for it.
let engine: typeof RE2JSClass | null = null;
const re2js = (): typeof RE2JSClass =>
  (engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS);

export type CompiledRegex = { ok: true; test: (value: string) => boolean } | { ok: false; message: string };

/**
 * Checks `source` now (a bad pattern is a config error with its position) and
 * compiles it for matching on its first use: a compiled program is about
 * 7 KiB, 16 KiB once it has matched, and a large registry lists thousands of
 * regexes of which a sidecar uses a few (BENCHMARKS.md, "Footprint").
 */
export function compileRegex(source: string): CompiledRegex {
  try {
    re2js().compile(source);
  } catch (err) {
    const reason = (err as Error).message.replace(/^error parsing regexp: /, '');
    return {
      ok: false,
      message: `invalid regex \`${source}\`: ${reason} (RE2 syntax: no lookaround or backreferences; see docs/configuration.md)`,
    };
  }
  let re: RE2JSClass | null = null;
  // Full match, as Envoy's RE2 `FullMatch`: `/api` does not match `/api/x`.
  return { ok: true, test: (value) => (re ??= re2js().compile(source)).testExact(value) };
}
