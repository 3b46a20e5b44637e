import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { escapePointer, jsonPatch } from '../../../src/inject/patch.ts';

function roundTrip(before: unknown, after: unknown): void {
  const ops = jsonPatch(before, after);
  const patched = jsonpatch.applyPatch(
    structuredClone(before),
    ops as jsonpatch.Operation[],
    true,
  ).newDocument;
  assert.deepEqual(patched, after);
}

describe('jsonPatch', () => {
  it('is empty for equal documents', () => {
    assert.deepEqual(jsonPatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), []);
  });

  it('escapes ~ and / in keys (RFC 6901)', () => {
    assert.equal(escapePointer('meshlet.dev/status'), 'meshlet.dev~1status');
    assert.equal(escapePointer('a~/b'), 'a~0~1b');
    assert.deepEqual(jsonPatch({ m: {} }, { m: { 'meshlet.dev/status': 'x' } }), [
      { op: 'add', path: '/m/meshlet.dev~1status', value: 'x' },
    ]);
  });

  it('produces patches a third-party RFC 6902 implementation applies to the target', () => {
    const cases: Array<[unknown, unknown]> = [
      [
        { a: 1, b: 2 },
        { a: 1, c: 3 },
      ],
      [
        { spec: { containers: [{ name: 'a' }] } },
        { spec: { containers: [{ name: 'a' }, { name: 'b' }], volumes: [] } },
      ],
      [
        { metadata: { annotations: { 'x/y': '1', 'a~b': '2' } } },
        { metadata: { annotations: { 'x/y': '2' } } },
      ],
      [{ a: { b: { c: [1, 2, 3] } } }, { a: { b: { c: [3] }, d: null } }],
      [{ a: [1] }, { a: { 0: 1 } }],
      [{ a: 'x' }, { a: { nested: true } }],
    ];
    for (const [before, after] of cases) roundTrip(before, after);
  });
});
