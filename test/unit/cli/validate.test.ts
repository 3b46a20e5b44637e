import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const MAIN = new URL('../../../src/main.ts', import.meta.url).pathname;

function validate(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'meshlet-validate-')), 'mesh.yaml');
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [MAIN, 'validate', file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, file };
}

describe('meshlet validate', () => {
  it('exits 0 and says ok for a valid file', () => {
    const r = validate('mtls: strict\nservices:\n  reviews:\n    versions: { v1: { host: r1 } }\n');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok \(hash [0-9a-f]{16}, 1 services\)/);
  });

  it('exits 1 with file:line:col for every problem', () => {
    const r = validate(
      'mtls: sometimes\nservices:\n  reviews:\n    versions: { v1: { host: r1 } }\n    routes:\n      - split: { v2: 1 }\n',
    );
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `${r.file}:1:7: mtls: must be one of "strict", "permissive", "disable"`);
  });

  it('exits 2 on usage errors, 0 for --help, and 1 for a missing file', () => {
    assert.equal(spawnSync(process.execPath, [MAIN, 'validate'], { encoding: 'utf8' }).status, 2);
    assert.equal(spawnSync(process.execPath, [MAIN, 'validate', '--bogus'], { encoding: 'utf8' }).status, 2);
    const help = spawnSync(process.execPath, [MAIN, 'validate', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: meshlet validate PATH/);
    assert.equal(spawnSync(process.execPath, [MAIN, 'run', '--bogus'], { encoding: 'utf8' }).status, 2);
    const missing = spawnSync(process.execPath, [MAIN, 'validate', '/nonexistent/mesh.yaml'], {
      encoding: 'utf8',
    });
    assert.equal(missing.status, 1);
    assert.equal(
      missing.stderr,
      '/nonexistent/mesh.yaml: cannot read the config file: no such file (ENOENT)\n',
    );
  });

  it('exits 1 for an empty file, a comment-only file and a bad version host', () => {
    for (const text of ['', '# nothing here\n']) {
      const r = validate(text);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /mesh\.yaml:1:1: the config is empty/);
    }
    const r = validate('services:\n  reviews:\n    versions: { v1: { host: "127.0.0.1:9081" } }\n');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mesh\.yaml:3:29: .*expected a host name or IP address; put the port in `port:`/);
  });
});
