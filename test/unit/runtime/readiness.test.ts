import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledMesh } from '../../../src/config/types.ts';
import { isReady } from '../../../src/runtime/readiness.ts';

const self = { service: 'web', workload: 'web', namespace: 'default', version: 'v1', serviceAccount: 'web' };

function mesh(text: string): CompiledMesh {
  const loaded = loadMeshText(text, 'mesh.yaml', self);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  return loaded.mesh;
}

function ready(text: string, certificates: boolean): boolean {
  return isReady({ config: { current: mesh(text) }, certificates: { ready: certificates } });
}

const service = (mtls: string) =>
  `  web:\n    mtls: ${mtls}\n    versions: { v1: { host: 127.0.0.1, port: 8080 } }\n`;

describe('readiness', () => {
  it('waits for certificates while any traffic may use mTLS', () => {
    for (const text of [
      `services:\n${service('strict')}`,
      `mtls: permissive\nservices:\n${service('permissive')}`,
      // mTLS off mesh-wide, but one service still asks for it.
      `mtls: disable\nservices:\n${service('strict')}`,
    ]) {
      assert.equal(ready(text, false), false, text);
      assert.equal(ready(text, true), true, text);
    }
  });

  it('is ready without certificates when mTLS is off everywhere', () => {
    assert.equal(ready(`mtls: disable\nservices:\n${service('disable')}`, false), true);
  });
});
