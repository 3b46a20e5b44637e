// What this binary is: package version, source commit, Node version. The
// commit comes from git when running in a checkout, else from the
// build-info.json that `npm run build` writes next to dist/ (scripts/build-info.ts;
// container images have no .git), else "unknown". See docs/cli.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface VersionInfo {
  readonly version: string;
  readonly commit: string;
  readonly node: string;
}

// src/version.ts and dist/version.js both sit one level below the package root.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_INFO = new URL('./build-info.json', import.meta.url);
const COMMIT = /^[0-9a-f]{7,64}$/;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | null {
  if (!existsSync(`${ROOT}.git`)) return null;
  try {
    const out = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    return COMMIT.test(out) ? out : null;
  } catch {
    return null;
  }
}

function recordedCommit(): string | null {
  try {
    const info = JSON.parse(readFileSync(BUILD_INFO, 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && COMMIT.test(info.commit) ? info.commit : null;
  } catch {
    return null;
  }
}

export function versionInfo(): VersionInfo {
  return {
    version: packageVersion(),
    commit: gitCommit() ?? recordedCommit() ?? 'unknown',
    node: process.version,
  };
}

export function formatVersion(info: VersionInfo): string {
  return `meshlet ${info.version}\ncommit  ${info.commit}\nnode    ${info.node}\n`;
}
