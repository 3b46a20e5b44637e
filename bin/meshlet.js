#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (npm's `prepare` builds dist/)
// on the Node the project pins (the `node` package in package.json), whatever
// `node` is first on PATH: an older Node re-runs this file with the pinned one,
// or says in one line how to get it. Plain JavaScript that parses on old Nodes.
//
// `meshlet run` gets a 4 MiB young generation and Buffer memory counted in
// V8's GC limits, which keep garbage from piling up in RSS (docs/performance.md). The Dockerfile and the injected sidecar pass these
// flags themselves; started without them, `run` replaces itself with a Node
// that has them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINNED_MAJOR = 24;
const RUN_FLAGS = ['--max-semi-space-size=4', '--external-memory-accounted-in-global-limit'];

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const major = Number(process.versions.node.split('.')[0]);

/** The pinned Node binary from node_modules, or null when it is not installed. */
function pinnedNode() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = join(dirname(pkg), 'bin', 'node');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function rerun(node, argv) {
  const child = spawn(node, argv, { stdio: 'inherit', env: { ...process.env, MESHLET_NODE_REEXEC: '1' } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`meshlet: cannot start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

const flags = args[0] === 'run' ? RUN_FLAGS : [];
if (major < PINNED_MAJOR) {
  const node = process.env.MESHLET_NODE_REEXEC === '1' ? null : pinnedNode();
  if (node === null) {
    process.stderr.write(
      `meshlet needs Node ${PINNED_MAJOR} (this is ${process.version}); run 'npm ci' in the meshlet checkout to install the pinned Node, or use Node ${PINNED_MAJOR}\n`,
    );
    process.exit(1);
  }
  rerun(node, [...flags, self, ...args]);
} else if (!flags.every((f) => process.execArgv.includes(f)) && typeof process.execve === 'function') {
  // Same process id, so signals and exit codes reach the sidecar as if started directly.
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, self, ...args]);
} else {
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(args);
}
