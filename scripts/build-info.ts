// Records the source commit next to the compiled code (dist/build-info.json),
// so `meshlet version` can name it where there is no .git: in the container
// image and in an installed package. Runs after tsc in `npm run build` (and so
// in `npm ci`'s prepare). The commit comes from git, else from MESHLET_COMMIT
// (docker build --build-arg MESHLET_COMMIT=...), else "unknown"; never fails the build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const COMMIT = /^[0-9a-f]{7,64}$/;

function fromGit(): string | null {
  try {
    const out = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return COMMIT.test(out) ? out : null;
  } catch {
    return null;
  }
}

const env = process.env.MESHLET_COMMIT?.trim().toLowerCase();
const commit = fromGit() ?? (env !== undefined && COMMIT.test(env) ? env : 'unknown');
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ commit })}\n`);
