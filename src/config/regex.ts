// Route regexes use RE2 syntax and semantics (as Istio's do), run by re2js, a
// linear-time engine: no pattern and no header value can make matching take
// more than time proportional to the input. Compiled once per config load,
// never per request. See docs/configuration.md, "Regular expressions", and
// bench/micro/regex.bench.ts for why this engine.
import { RE2JS } from 're2js';

export type CompiledRegex = { ok: true; test: (value: string) => boolean } | { ok: false; message: string };

export function compileRegex(source: string): CompiledRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    const reason = (err as Error).message.replace(/^error parsing regexp: /, '');
    return {
      ok: false,
      message: `invalid regex \`${source}\`: ${reason} (RE2 syntax: no lookaround or backreferences; see docs/configuration.md)`,
    };
  }
  // Full match, as Envoy's RE2 `FullMatch`: `/api` does not match `/api/x`.
  return { ok: true, test: (value) => re.testExact(value) };
}
