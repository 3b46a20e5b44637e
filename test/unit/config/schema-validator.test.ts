import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generateValidator, OUTPUT } from '../../../scripts/gen-schema-validator.ts';

it('the committed precompiled validator matches config/mesh.schema.json (run `npm run gen:schema`)', () => {
  assert.equal(readFileSync(OUTPUT, 'utf8'), generateValidator());
});
