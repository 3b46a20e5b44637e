// Precompiles config/mesh.schema.json into a standalone validator module with
// ajv's code generator, so the sidecar does not load and run ajv's compiler at
// start-up (about 4 MiB of RSS per pod; BENCHMARKS.md, memory). Run after
// editing the schema: `npm run gen:schema`. A unit test fails when the
// committed module is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

export const SCHEMA = new URL('../config/mesh.schema.json', import.meta.url);
export const OUTPUT = new URL('../src/config/mesh-schema.validate.ts', import.meta.url);

export function generateValidator(): string {
  const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true, esm: true, lines: true } });
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
  const validate = ajv.compile(schema);
  const code = standaloneCode.default(ajv, validate);
  return [
    '// @ts-nocheck',
    '// Generated from config/mesh.schema.json by scripts/gen-schema-validator.ts: do not edit.',
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    code.replace(/^"use strict";/, ''),
    '// The schema itself, to say what a refused value should look like and suggest field names.',
    `export const SCHEMA = ${JSON.stringify(schema)};`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  writeFileSync(OUTPUT, generateValidator());
  process.stdout.write(`wrote ${OUTPUT.pathname}\n`);
}
