import assert from 'node:assert/strict';
import { rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { type IssuedCertificate, writeTlsDir } from '../../../src/tls/dev-ca.ts';
import { buildTlsSnapshot, TlsMaterial, type TlsSnapshot } from '../../../src/tls/material.ts';
import { createPki, expired, id, type Pki } from './pki.ts';

/** A TlsMaterial whose log lines are kept for inspection. */
function watched(dir: string): { material: TlsMaterial; logs: string[] } {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const material = new TlsMaterial(dir, { log: pino({ level: 'debug' }, stream), pollIntervalMs: 50 });
  return { material, logs };
}

const nextRotation = (material: TlsMaterial): Promise<TlsSnapshot> =>
  new Promise((resolve) => material.once('rotate', resolve));
const nextRejection = (material: TlsMaterial): Promise<Error> =>
  new Promise((resolve) => material.once('reject', resolve));

/** The base64 body of a PEM key: what must never show up in a log line. */
const keyBody = (leaf: IssuedCertificate): string => leaf.keyPem.split('\n')[1]!;

describe('TlsMaterial', () => {
  let pki: Pki;
  const materials: TlsMaterial[] = [];
  const track = (w: { material: TlsMaterial; logs: string[] }) => {
    materials.push(w.material);
    return w;
  };

  before(async () => {
    pki = await createPki();
  });
  after(async () => {
    for (const m of materials) m.close();
    await pki.cleanup();
  });

  test('loads the csi-driver-spiffe files and exposes identity, serial and expiry', {
    timeout: 30_000,
  }, async () => {
    const leaf = await pki.leaf({ spiffeId: id('reviews') });
    const dir = join(pki.root, 'load');
    await writeTlsDir(dir, leaf);
    const { material } = track(watched(dir));
    assert.equal(await material.start(), true);
    assert.equal(material.ready, true);
    assert.equal(material.spiffeId, id('reviews'));
    assert.equal(material.current!.serialNumber, leaf.serialNumber);
    assert.equal(material.current!.notAfter.getTime(), Math.floor(leaf.notAfter.getTime() / 1000) * 1000);
    assert.ok(material.secureContext);
  });

  test('files that appear after start make it ready, announced by rotate', { timeout: 30_000 }, async () => {
    const dir = join(pki.root, 'late');
    const { material } = track(watched(dir));
    assert.equal(await material.start(), false);
    assert.throws(() => material.secureContext, { code: 'ERR_MESHLET_TLS_NOT_READY' });
    const rotated = nextRotation(material);
    await writeTlsDir(dir, await pki.leaf({ spiffeId: id('late') }));
    const snapshot = await rotated;
    assert.equal(snapshot.spiffeId, id('late'));
    assert.equal(material.ready, true);
  });

  test('kubelet atomic update: a ..data symlink swap is picked up', { timeout: 30_000 }, async () => {
    const dir = join(pki.root, 'kubelet');
    const first = await pki.leaf({ spiffeId: id('reviews') });
    await writeTlsDir(join(dir, '..2026_11_25_01'), first);
    await symlink('..2026_11_25_01', join(dir, '..data'));
    for (const file of ['tls.crt', 'tls.key', 'ca.crt']) await symlink(join('..data', file), join(dir, file));
    const { material } = track(watched(dir));
    await material.start();
    assert.equal(material.current!.serialNumber, first.serialNumber);

    const second = await pki.leaf({ spiffeId: id('reviews') });
    await writeTlsDir(join(dir, '..2026_11_25_02'), second);
    const rotated = nextRotation(material);
    await symlink('..2026_11_25_02', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    const snapshot = await rotated;
    assert.equal(snapshot.serialNumber, second.serialNumber);
    assert.equal(material.current!.serialNumber, second.serialNumber);
  });

  test('bad rotations keep the previous material and log why, never the key', {
    timeout: 30_000,
  }, async () => {
    const dir = join(pki.root, 'bad');
    const good = await pki.leaf({ spiffeId: id('reviews') });
    await writeTlsDir(dir, good);
    const { material, logs } = track(watched(dir));
    await material.start();
    const other = await pki.leaf({ spiffeId: id('reviews') });

    const cases: Array<[string, () => Promise<void>, RegExp]> = [
      [
        'garbage certificate',
        () => writeFile(join(dir, 'tls.crt'), 'not a certificate'),
        /tls.crt is not a PEM certificate/,
      ],
      [
        'key of another certificate',
        () => writeFile(join(dir, 'tls.crt'), other.certPem),
        /tls.key does not belong to tls.crt/,
      ],
      ['garbage key', () => writeFile(join(dir, 'tls.key'), 'junk'), /tls.key is not a PEM private key/],
      [
        'expired certificate',
        async () => writeTlsDir(dir, await pki.leaf({ spiffeId: id('reviews'), ...expired() })),
        /tls.crt expired at/,
      ],
      [
        'certificate without a SPIFFE ID',
        async () => writeTlsDir(dir, await pki.leaf({ dnsNames: ['reviews'] })),
        /no valid SPIFFE ID/,
      ],
      [
        'missing CA bundle',
        () => rename(join(dir, 'ca.crt'), join(dir, 'ca.crt.gone')),
        /cannot read certificate files: ENOENT/,
      ],
    ];
    for (const [name, breakIt, reason] of cases) {
      // A rotation may touch several files; wait until the last write has been judged.
      let rejection = nextRejection(material);
      await breakIt();
      let error = await rejection;
      while (!reason.test(error.message)) {
        rejection = nextRejection(material);
        error = await rejection;
      }
      assert.equal(material.ready, true, name);
      assert.equal(material.current!.serialNumber, good.serialNumber, name);
      // Restore, so each case starts from good files.
      await rename(join(dir, 'ca.crt.gone'), join(dir, 'ca.crt')).catch(() => {});
      const restored = nextRotation(material);
      await writeTlsDir(dir, good);
      await restored;
    }
    const errors = logs.filter((line) => line.includes('"level":50'));
    assert.ok(errors.length >= cases.length, `expected error logs, got ${errors.length}`);
    assert.ok(errors.every((line) => line.includes('keeping previous material')));
    for (const line of logs) {
      assert.doesNotMatch(line, /PRIVATE KEY/);
      assert.ok(!line.includes(keyBody(good)) && !line.includes(keyBody(other)));
    }
  });

  test('a half-written rotation (new key, old cert) is rejected, then completed', {
    timeout: 30_000,
  }, async () => {
    const dir = join(pki.root, 'half');
    await writeTlsDir(dir, await pki.leaf({ spiffeId: id('reviews') }));
    const { material } = track(watched(dir));
    await material.start();
    const next = await pki.leaf({ spiffeId: id('reviews') });
    const rejected = nextRejection(material);
    await writeFile(join(dir, 'tls.key'), next.keyPem);
    assert.match((await rejected).message, /does not belong/);
    const rotated = nextRotation(material);
    await writeFile(join(dir, 'tls.crt'), next.certPem);
    assert.equal((await rotated).serialNumber, next.serialNumber);
  });
});

describe('buildTlsSnapshot', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki();
  });
  after(() => pki.cleanup());

  test('keeps the key off the snapshot object', {
    timeout: 30_000,
  }, async () => {
    const leaf = await pki.leaf({ spiffeId: id('reviews') });
    const snapshot = buildTlsSnapshot(leaf.certPem, leaf.keyPem, pki.ca.certPem);
    assert.doesNotMatch(JSON.stringify(snapshot), /PRIVATE KEY/);
  });

  test('a CA bundle with several CAs is accepted', { timeout: 30_000 }, async () => {
    const leaf = await pki.leaf({ spiffeId: id('reviews') });
    const snapshot = buildTlsSnapshot(leaf.certPem, leaf.keyPem, pki.ca.certPem + pki.otherCa.certPem);
    assert.equal(snapshot.spiffeId, id('reviews'));
  });

  test('expiry is judged against the given time', { timeout: 30_000 }, async () => {
    const leaf = await pki.leaf({ spiffeId: id('reviews'), days: 1 });
    assert.throws(
      () =>
        buildTlsSnapshot(leaf.certPem, leaf.keyPem, pki.ca.certPem, new Date(Date.now() + 3 * 86_400_000)),
      /expired at/,
    );
  });
});
