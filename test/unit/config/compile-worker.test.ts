import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkInChild } from '../../../src/config/compile-worker.ts';
import { checkMeshText } from '../../../src/config/load.ts';
import type { SidecarIdentity } from '../../../src/config/types.ts';
import { bigMesh } from '../../helpers/big-mesh.ts';

const self: SidecarIdentity = {
  service: 'svc-1',
  workload: 'svc-1',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'svc-1',
};

describe('checkInChild', () => {
  it('hands back the same checked tree as checking inline, keys in the same order', async () => {
    const texts = [
      bigMesh(50),
      'services: {}\n',
      'mtls: disable\n',
      // services not the last key, and keys the parser would not sort
      'services:\n  zeta: { port: 80, versions: { v1: { host: zeta-v1 } } }\n  alpha: { port: 81, versions: { v1: { host: alpha-v1 } } }\nmtls: strict\ntrustDomain: example.org\n',
    ];
    for (const text of texts) {
      const inline = checkMeshText(text, 'mesh.yaml', self);
      const child = await checkInChild(text, 'mesh.yaml', self);
      assert.ok(inline.ok && child.ok, text);
      assert.equal(child.hash, inline.hash);
      assert.equal(JSON.stringify(child.raw), JSON.stringify(inline.raw), text);
    }
  });

  it('hands back the issues of an invalid text, with file:line:col', async () => {
    const child = await checkInChild(
      'services:\n  a: { port: 80, versions: { v1: { host: "a b" } } }\n',
      'm.yaml',
      self,
    );
    assert.equal(child.ok, false);
    assert.ok(
      !child.ok &&
        child.issues.length > 0 &&
        child.issues[0]!.file === 'm.yaml' &&
        child.issues[0]!.line === 2,
    );
  });
});
