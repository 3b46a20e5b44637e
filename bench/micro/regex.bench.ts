// Route-regex engines on the match hot path (full match, compiled once):
// JavaScript's backtracking RegExp as the baseline, and the linear-time RE2
// engines considered for route regexes (src/config/regex.ts): re2js (pure
// JavaScript), re2-wasm (an optional dependency of a dev dependency: skipped
// when absent), and the native `re2` addon when it can be loaded (set
// BENCH_RE2_DIR to a directory where `npm install re2` built it). Figures and
// the choice: docs/configuration.md, "Regular expressions".
// The pathological case has no RegExp task: it takes seconds per match.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import type { Bench } from 'tinybench';

type Matcher = (value: string) => boolean;
type Engine = { name: string; compile: (source: string) => Matcher };

const engines: Engine[] = [
  {
    name: 'RegExp',
    compile: (s) => {
      const re = new RegExp(`^(?:${s})$`);
      return (v) => re.test(v);
    },
  },
  {
    name: 're2js',
    compile: (s) => {
      const re = RE2JS.compile(s);
      return (v) => re.testExact(v);
    },
  },
];
type Re2Class = new (source: string, flags: string) => { test(value: string): boolean };
const re2Engine = (name: string, Re2: Re2Class): Engine => ({
  name,
  compile: (s) => {
    const re = new Re2(`^(?:${s})$`, 'u');
    return (v) => re.test(v);
  },
});
try {
  engines.push(re2Engine('re2-wasm', (await import('re2-wasm')).RE2 as Re2Class));
} catch (err) {
  process.stderr.write(`regex.bench: re2-wasm not installed: ${(err as Error).message.split('\n')[0]}\n`);
}
if (process.env.BENCH_RE2_DIR !== undefined) {
  try {
    const Re2 = createRequire(join(process.env.BENCH_RE2_DIR, 'package.json'))('re2') as Re2Class;
    engines.push(re2Engine('re2 (native)', Re2));
  } catch (err) {
    process.stderr.write(`regex.bench: native re2 not loadable: ${(err as Error).message.split('\n')[0]}\n`);
  }
}

const cases: { name: string; source: string; input: string; pathological?: boolean }[] = [
  { name: 'path /items/[0-9]+', source: '/items/[0-9]+', input: '/items/42' },
  { name: 'header beta-[0-9]+ (miss)', source: 'beta-[0-9]+', input: 'alpha-12' },
  {
    name: 'path with a UUID',
    source: '/api/v[0-9]+/(users|orders)/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    input: '/api/v2/orders/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f',
  },
  { name: '(a+)+b vs 30 x a', source: '(a+)+b', input: 'a'.repeat(30), pathological: true },
];

export default function register(bench: Bench): void {
  for (const c of cases) {
    for (const e of engines) {
      if (c.pathological && e.name === 'RegExp') continue;
      const match = e.compile(c.source);
      const expected = c.pathological ? false : match(c.input);
      bench.add(`regex ${e.name}: ${c.name}`, () => {
        if (match(c.input) !== expected) throw new Error('unstable match');
      });
    }
  }
}
