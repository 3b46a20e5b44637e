import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configChange } from '../../../src/config/change.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';

const self = { service: 'web', workload: 'web', namespace: 'default', version: 'v1', serviceAccount: 'web' };
const service = (name: string, weight = 1) =>
  `  ${name}:\n    versions: { v1: { host: ${name} }, v2: { host: ${name}-v2 } }\n    routes: [{ split: { v1: ${weight}, v2: 1 } }]\n`;

function mesh(text: string): CompiledMesh {
  const loaded = loadMeshText(text, 'mesh.yaml', self);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  return loaded.mesh;
}

describe('configChange', () => {
  it('names the services added, removed and changed, and the mesh-wide keys that changed', () => {
    const before = mesh(`mtls: disable\nservices:\n${service('a')}${service('b')}${service('c')}`);
    const after = mesh(
      `mtls: permissive\naccessLog: {}\nservices:\n${service('a')}${service('b', 9)}${service('d')}`,
    );
    assert.deepEqual(configChange(before, after), {
      added: 1,
      removed: 1,
      changed: 1,
      addedNames: ['d'],
      removedNames: ['c'],
      changedNames: ['b'],
      settings: ['accessLog', 'mtls'],
    });
  });
  it('says nothing changed for the same text', () => {
    const text = `services:\n${service('a')}`;
    const c = configChange(mesh(text), mesh(text));
    assert.deepEqual([c.added, c.removed, c.changed, c.settings], [0, 0, 0, []]);
  });
  it('caps the names at 20 per list but counts them all', () => {
    const many = Array.from({ length: 50 }, (_, i) => service(`s${i}`)).join('');
    const c = configChange(mesh(`services:\n${service('a')}`), mesh(`services:\n${many}`));
    assert.equal(c.added, 50);
    assert.equal(c.addedNames.length, 20);
    assert.equal(c.removed, 1);
  });
});
