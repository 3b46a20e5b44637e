// `meshlet init-iptables --cleanup --dry-run` shows what it would delete:
// from the live table when it can read it (a stand-in iptables-save on PATH
// here), else what removing these options' install would delete.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'main.ts');
const bin = mkdtempSync(join(tmpdir(), 'meshlet-iptables-'));

/** A PATH holding only an iptables-save that prints `table`. */
function fakeSave(table: string): string {
  const dir = mkdtempSync(join(bin, 'path-'));
  writeFileSync(join(dir, 'table'), table);
  writeFileSync(join(dir, 'iptables-save'), `#!/bin/sh\nexec /bin/cat '${join(dir, 'table')}'\n`);
  chmodSync(join(dir, 'iptables-save'), 0o755);
  return dir;
}

function cleanupDryRun(path: string, ...extra: string[]) {
  return spawnSync(process.execPath, [MAIN, 'init-iptables', '--cleanup', '--dry-run', ...extra], {
    encoding: 'utf8',
    env: { ...process.env, PATH: path },
  });
}

describe('meshlet init-iptables --cleanup --dry-run', () => {
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('prints the deletions for the meshlet rules present in the table, and nothing else', () => {
    const table = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':MESHLET_INBOUND - [0:0]',
      ':MESHLET_OUTPUT - [0:0]',
      ':KUBE-SERVICES - [0:0]',
      '-A PREROUTING -p tcp -j MESHLET_INBOUND',
      '-A OUTPUT -p tcp -j MESHLET_OUTPUT',
      '-A OUTPUT -j KUBE-SERVICES',
      'COMMIT',
      '',
    ].join('\n');
    const r = cleanupDryRun(fakeSave(table));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '# meshlet rules found in the IPv4 nat table; deleting them',
        '# iptables-restore --noflush',
        '*nat',
        '-D PREROUTING -p tcp -j MESHLET_INBOUND',
        '-D OUTPUT -p tcp -j MESHLET_OUTPUT',
        '-F MESHLET_INBOUND',
        '-F MESHLET_OUTPUT',
        '-X MESHLET_INBOUND',
        '-X MESHLET_OUTPUT',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('says there is nothing to delete when the table has no meshlet rules', () => {
    const r = cleanupDryRun(fakeSave('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '# no meshlet rules in the IPv4 nat table: nothing to delete\n');
  });

  it('shows what removing an install would delete when the table cannot be read', () => {
    const r = cleanupDryRun('/nonexistent', '--ipv6');
    assert.equal(r.status, 0, r.stderr);
    for (const family of ['IPv4', 'IPv6']) {
      assert.match(
        r.stdout,
        new RegExp(`^# cannot read the ${family} nat table \\(ip6?tables-save: .*ENOENT\\);$`, 'm'),
      );
    }
    assert.match(r.stdout, /^# ip6tables-restore --noflush$/m);
    for (const line of [
      '-D PREROUTING -p tcp -j MESHLET_INBOUND',
      '-D OUTPUT -p tcp -j MESHLET_OUTPUT',
      '-X MESHLET_REDIRECT',
    ]) {
      assert.equal(r.stdout.split('\n').filter((l) => l === line).length, 2, line);
    }
  });
});
