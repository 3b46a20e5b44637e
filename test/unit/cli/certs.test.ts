import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildTlsSnapshot } from '../../../src/tls/material.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

async function meshlet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const read = (path: string): Promise<string> => readFile(path, 'utf8');
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('meshlet certs dev', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'meshlet-certs-'));
  });
  after(() => rm(out, { recursive: true, force: true }));

  test('writes a CA and one SPIFFE leaf per service in the csi-driver-spiffe layout', async () => {
    const { code, stdout } = await meshlet(
      'certs',
      'dev',
      '--out',
      out,
      '--trust-domain',
      'cluster.local',
      '--service',
      'productpage',
      '--service',
      'reviews',
      '--namespace',
      'shop',
      '--days',
      '7',
    );
    assert.equal(code, 0);
    const ca = new X509Certificate(await read(join(out, 'ca.crt')));
    assert.equal(ca.ca, true);
    assert.equal(await mode(join(out, 'ca.key')), 0o600);
    for (const service of ['productpage', 'reviews']) {
      const dir = join(out, service);
      const certPem = await read(join(dir, 'tls.crt'));
      const keyPem = await read(join(dir, 'tls.key'));
      const leaf = new X509Certificate(certPem);
      assert.equal(leaf.subjectAltName, `URI:spiffe://cluster.local/ns/shop/sa/${service}`);
      assert.equal(leaf.ca, false);
      assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'leaf is signed by the CA');
      assert.equal(await read(join(dir, 'ca.crt')), await read(join(out, 'ca.crt')));
      assert.equal(await mode(join(dir, 'tls.key')), 0o600);
      const days = (leaf.validToDate.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 6.9 && days < 7.1, `valid for ${days} days`);
      // What the sidecar loads at start-up.
      assert.equal(
        buildTlsSnapshot(certPem, keyPem, ca.toString()).spiffeId,
        `spiffe://cluster.local/ns/shop/sa/${service}`,
      );
      assert.ok(stdout.includes(`spiffe://cluster.local/ns/shop/sa/${service}`));
      assert.ok(!stdout.includes(keyPem.split('\n')[1]!));
    }
    assert.doesNotMatch(stdout, /PRIVATE KEY/);
  });

  test('a second run reuses the CA, so earlier leaves stay valid', async () => {
    const caBefore = await read(join(out, 'ca.crt'));
    const { code, stdout } = await meshlet(
      'certs',
      'dev',
      '--out',
      out,
      '--trust-domain',
      'cluster.local',
      '--service',
      'ratings',
    );
    assert.equal(code, 0);
    assert.match(stdout, /reused CA/);
    assert.equal(await read(join(out, 'ca.crt')), caBefore);
    const ratings = new X509Certificate(await read(join(out, 'ratings', 'tls.crt')));
    assert.equal(ratings.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/ratings');
    assert.ok(ratings.verify(new X509Certificate(caBefore).publicKey));
  });

  test('refuses to issue for another trust domain under an existing CA', async () => {
    const { code, stderr } = await meshlet(
      'certs',
      'dev',
      '--out',
      out,
      '--trust-domain',
      'other.local',
      '--service',
      'x',
    );
    assert.equal(code, 1);
    assert.match(stderr, /belongs to trust domain 'cluster.local'/);
  });

  const usage: Array<[string, string[], number, RegExp]> = [
    [
      'no subcommand',
      ['certs', '--out', 'x', '--trust-domain', 'td', '--service', 'a'],
      2,
      /only subcommand is 'dev'/,
    ],
    ['no --out', ['certs', 'dev', '--trust-domain', 'td', '--service', 'a'], 2, /--out is required/],
    ['no --service', ['certs', 'dev', '--out', 'x', '--trust-domain', 'td'], 2, /--service is required/],
    [
      'bad --days',
      ['certs', 'dev', '--out', 'x', '--trust-domain', 'td', '--service', 'a', '--days', '0'],
      2,
      /--days/,
    ],
    ['unknown flag', ['certs', 'dev', '--bogus'], 2, /^meshlet certs: unknown option '--bogus'\n/],
    [
      'bad service name',
      ['certs', 'dev', '--out', 'x', '--trust-domain', 'td', '--service', 'A/b'],
      1,
      /invalid service name/,
    ],
    [
      'bad trust domain',
      ['certs', 'dev', '--out', 'x', '--trust-domain', 'TD!', '--service', 'a', '--new-ca'],
      1,
      /invalid trust domain/,
    ],
  ];
  for (const [name, args, expected, message] of usage) {
    test(`${name}: exit ${expected}`, async () => {
      const withOut = args.map((a) => (a === 'x' ? join(out, 'usage') : a));
      const { code, stderr } = await meshlet(...withOut);
      assert.equal(code, expected);
      assert.match(stderr, message);
    });
  }
});
