// Builds meshlet's two small Linux addons when the package is installed
// (`npm ci` runs this as the root `install` script): original_dst
// (SO_ORIGINAL_DST) and file_pages (madvise). It never fails the install: on a
// machine without a compiler or outside Linux meshlet still proxies HTTP; only
// non-HTTP TCP passthrough is off (src/capture/original-dst.ts warns) and idle
// sidecars keep the binary's code pages mapped (src/runtime/file-pages.ts).
// Plain JavaScript so it runs on whatever Node npm starts it with.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));

function skip(reason) {
  process.stderr.write(
    `meshlet: native/linux not built: ${reason}\n` +
      'meshlet: non-HTTP TCP passthrough (SO_ORIGINAL_DST) will be unavailable, and idle sidecars keep ' +
      'their code pages mapped; HTTP proxying is unaffected.\n',
  );
  process.exit(0);
}

if (process.platform !== 'linux') skip('SO_ORIGINAL_DST and /proc/self/smaps exist on Linux only');

// npm hands lifecycle scripts the path of its bundled node-gyp; fall back to
// the copy beside the npm that runs us.
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return candidates.find((p) => p !== undefined && existsSync(p));
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) skip('node-gyp not found');

const args = [nodeGyp, 'rebuild', '--directory', dir];
// A Node-API addon is ABI-stable, so any installed Node's headers will do.
// Using the system ones keeps the build offline (node-gyp would otherwise
// download headers for the running Node version).
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h'))
  args.push('--nodedir=/usr');

const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error !== undefined) skip(result.error.message);
if (result.status !== 0) skip(`node-gyp exited with status ${result.status ?? result.signal}`);
