// `meshlet version`: the commit is git's in a checkout, the recorded one where
// there is no .git (the image, an installed package), else "unknown"; the
// build step records it from git or MESHLET_COMMIT and never fails the build.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const tmp = mkdtempSync(join(tmpdir(), 'meshlet-version-'));
const COMMIT = 'c0ffee0123456789abcdef0123456789abcdef01';

function gitHead(): string | null {
  try {
    return execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** A package without .git: package.json and src/version.ts, optionally a build-info.json beside it. */
function copy(buildInfo: string | null): string {
  const dir = mkdtempSync(join(tmp, 'pkg-'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(ROOT, 'src', 'version.ts'), join(dir, 'src', 'version.ts'));
  writeFileSync(join(dir, 'package.json'), '{"name":"meshlet","version":"9.8.7","type":"module"}\n');
  if (buildInfo !== null) writeFileSync(join(dir, 'src', 'build-info.json'), buildInfo);
  return dir;
}

function versionOf(dir: string): { version: string; commit: string; node: string } {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { versionInfo } from '${join(dir, 'src', 'version.ts')}'; console.log(JSON.stringify(versionInfo()))`,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('meshlet version', () => {
  it('prints version, commit and Node; --version is the same', () => {
    const r = spawnSync(process.execPath, [MAIN, 'version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(
      r.stdout,
      new RegExp(
        `^meshlet ${pkg.version.replaceAll('.', '\\.')}\\ncommit  \\S+\\nnode    ${process.version}\\n$`,
      ),
    );
    assert.equal(spawnSync(process.execPath, [MAIN, '--version'], { encoding: 'utf8' }).stdout, r.stdout);
  });

  it('names the checkout commit in a git checkout', {
    skip: gitHead() === null ? 'not a git checkout' : false,
  }, () => {
    const r = spawnSync(process.execPath, [MAIN, 'version', '-o', 'json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
      commit: gitHead(),
      node: process.version,
    });
  });

  it('reads the recorded commit without .git, and says unknown without one', () => {
    assert.deepEqual(versionOf(copy(`{"commit":"${COMMIT}"}\n`)), {
      version: '9.8.7',
      commit: COMMIT,
      node: process.version,
    });
    assert.equal(versionOf(copy(null)).commit, 'unknown');
    assert.equal(versionOf(copy('{"commit":"not a commit"}')).commit, 'unknown');
    assert.equal(versionOf(copy('garbage')).commit, 'unknown');
  });
});

describe('scripts/build-info.ts', () => {
  function record(env: Record<string, string>): string {
    const dir = mkdtempSync(join(tmp, 'build-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'build-info.ts'), join(dir, 'scripts', 'build-info.ts'));
    const { MESHLET_COMMIT: _, ...rest } = process.env;
    execFileSync(process.execPath, [join(dir, 'scripts', 'build-info.ts')], { env: { ...rest, ...env } });
    return JSON.parse(readFileSync(join(dir, 'dist', 'build-info.json'), 'utf8')).commit;
  }

  it('records MESHLET_COMMIT where there is no git checkout, else unknown, never failing', () => {
    assert.equal(record({ MESHLET_COMMIT: COMMIT.toUpperCase() }), COMMIT);
    assert.equal(record({}), 'unknown');
    assert.equal(record({ MESHLET_COMMIT: '$(rm -rf /)' }), 'unknown');
  });
});
