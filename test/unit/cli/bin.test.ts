// bin/meshlet.js runs the CLI on the pinned Node 24 whatever `node` starts it:
// an older Node re-runs it with node_modules' Node (exit codes and signals
// pass through), or fails with a one-line hint when that Node is missing;
// `run` gets the V8 memory flags in the same process. A stand-in dist/main.js
// reports what it sees.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NODE_FLAGS } from '../../../src/contract.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = existsSync(SYSTEM_NODE)
  ? Number(spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout)
  : null;
const noOldNode =
  systemMajor === null
    ? `${SYSTEM_NODE} not found`
    : systemMajor >= 24
      ? `${SYSTEM_NODE} is Node ${systemMajor}, not older than the pinned 24`
      : false;

const tmp = mkdtempSync(join(tmpdir(), 'meshlet-bin-'));

const FAKE_MAIN = `export async function main(args) {
  if (args[0] === 'wait') {
    const keepAlive = setInterval(() => {}, 1000);
    const term = new Promise((resolve) => process.once('SIGTERM', resolve));
    process.stdout.write('waiting\\n');
    await term;
    clearInterval(keepAlive);
    process.stdout.write('got SIGTERM\\n');
    return 0;
  }
  process.stdout.write(JSON.stringify({ node: process.version, execArgv: process.execArgv, pid: process.pid, args }) + '\\n');
  return args[0] === 'fail' ? 3 : 0;
}
`;

/** A package tree with the real bin/meshlet.js, a stand-in dist/main.js and, if asked, the pinned Node. */
function tree(withPinnedNode: boolean): string {
  const dir = mkdtempSync(join(tmp, 'pkg-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(ROOT, 'bin', 'meshlet.js'), join(dir, 'bin', 'meshlet.js'));
  writeFileSync(join(dir, 'dist', 'main.js'), FAKE_MAIN);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  if (withPinnedNode) {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(ROOT, 'node_modules', 'node'), join(dir, 'node_modules', 'node'));
  }
  return dir;
}

function runBin(node: string, dir: string, ...args: string[]) {
  const r = spawnSync(node, [join(dir, 'bin', 'meshlet.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, MESHLET_NODE_REEXEC: '' },
  });
  return {
    status: r.status,
    stderr: r.stderr,
    seen: r.status === 0 || r.status === 3 ? JSON.parse(r.stdout) : null,
  };
}

describe('bin/meshlet.js', () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const withNode = tree(true);

  it('under an older Node, runs the CLI on the pinned Node 24', { skip: noOldNode }, () => {
    const r = runBin(SYSTEM_NODE, withNode, 'version', '--x');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.seen.node, /^v24\./);
    assert.deepEqual(r.seen.args, ['version', '--x']);
    assert.equal(r.stderr, '');
  });

  it('under an older Node, starts `run` on the pinned Node with the V8 memory flags', {
    skip: noOldNode,
  }, () => {
    const r = runBin(SYSTEM_NODE, withNode, 'run', '--config', 'x');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.seen.node, /^v24\./);
    assert.deepEqual(r.seen.execArgv, [
      '--max-semi-space-size=4',
      '--external-memory-accounted-in-global-limit',
    ]);
    assert.deepEqual(r.seen.execArgv, [...NODE_FLAGS], 'the flags of src/contract.ts');
  });

  it('`npm start` runs the sidecar with the same flags', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    assert.ok(pkg.scripts.start.endsWith(`node ${NODE_FLAGS.join(' ')} dist/main.js run`), pkg.scripts.start);
  });

  it('under an older Node, passes the exit code through', { skip: noOldNode }, () => {
    assert.equal(runBin(SYSTEM_NODE, withNode, 'fail').status, 3);
  });

  it('under an older Node, passes SIGTERM to the CLI and exits as it does', { skip: noOldNode }, async () => {
    const child = spawn(SYSTEM_NODE, [join(withNode, 'bin', 'meshlet.js'), 'wait']);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    while (!out.includes('waiting')) await once(child.stdout, 'data');
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    assert.deepEqual([code, signal], [0, null], out);
    assert.equal(out, 'waiting\ngot SIGTERM\n');
  });

  it('under an older Node without the pinned one, fails with a one-line hint', { skip: noOldNode }, () => {
    const r = runBin(SYSTEM_NODE, tree(false), 'version');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^meshlet needs Node 24 \(this is v\d+\.\d+\.\d+\); run 'npm ci' .*\n$/);
    assert.equal(r.stderr.split('\n').length, 2);
  });

  it('gives `run` the V8 memory flags in the same process', () => {
    const child = spawnSync(process.execPath, [join(withNode, 'bin', 'meshlet.js'), 'run', '--config', 'x'], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const seen = JSON.parse(child.stdout);
    assert.ok(seen.execArgv.includes('--max-semi-space-size=4'), seen.execArgv);
    assert.ok(seen.execArgv.includes('--external-memory-accounted-in-global-limit'), seen.execArgv);
    assert.equal(seen.pid, child.pid, 'replaced in place, not a child process');
  });

  it('starts other commands directly, without the flags', () => {
    const r = runBin(process.execPath, withNode, 'validate', 'x');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.seen.execArgv, []);
  });

  it('runs the real CLI under the system Node', {
    skip: noOldNode || !existsSync(join(ROOT, 'dist', 'main.js')),
  }, () => {
    const r = spawnSync(SYSTEM_NODE, [join(ROOT, 'bin', 'meshlet.js'), 'version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^meshlet \d+\.\d+\.\d+\ncommit {2}([0-9a-f]{40}|unknown)\nnode {4}v24\./);
  });
});
