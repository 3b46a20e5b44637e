// Micro-benchmarks of hot-path functions (tinybench). Runs every
// bench/micro/*.bench.ts; each file's default export (or `register`) adds
// tasks to the Bench it is given:
//
//   import type { Bench } from 'tinybench';
//   export default function register(bench: Bench): void {
//     bench.add('pickVersion 90/10', () => { ... });
//   }
//
// Usage: npm run bench:micro [-- --only <regex>] [--time <ms per task>]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';

type Register = (bench: Bench) => void | Promise<void>;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    time: { type: 'string', default: '500' },
  },
});

const only = values.only === undefined ? null : new RegExp(values.only);
const dir = import.meta.dirname;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();

const bench = new Bench({ time: Number(values.time), warmupTime: 100 });
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as {
    default?: Register;
    register?: Register;
  };
  const register = mod.default ?? mod.register;
  if (typeof register !== 'function') {
    // a standalone script has already run its own Bench on import
    process.stderr.write(
      `bench/micro/${file}: no default export or register(); ran as a standalone script\n`,
    );
    continue;
  }
  await register(bench);
}
if (only !== null) {
  for (const task of [...bench.tasks]) if (!only.test(task.name)) bench.remove(task.name);
}
if (bench.tasks.length === 0) {
  process.stdout.write('no micro-benchmark tasks registered\n');
} else {
  process.stdout.write(`node ${process.version}, ${bench.tasks.length} tasks from ${files.length} files\n`);
  await bench.run();
  console.table(bench.table());
}
