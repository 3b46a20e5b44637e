// Real processes and sockets for integration tests: free ports, a meshlet
// sidecar child process, version servers, and a kubelet-style ConfigMap mount.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '../../src/contract.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
// The compiled binary, as shipped: `npm test` builds it first.
export const MAIN = join(ROOT, 'dist/main.js');
/** V8 flags the shipped entry points use (bin/meshlet.js, Dockerfile); see docs/performance.md. */
export { NODE_FLAGS };

/**
 * A port for a listener a test starts later. Taken below the kernel's
 * ephemeral range (32768+), so no outgoing connection can grab it between this
 * check and the bind; from a slice of that range picked by this process's pid,
 * so concurrently running test files rarely look at the same ports; never the
 * same port twice in one process; and free on every address (the inbound
 * listener binds 0.0.0.0). startSidecar still retries on EADDRINUSE.
 */
const handedOut = new Set<number>();
const SLICE = 480;
const sliceBase = 20_000 + (process.pid % 25) * SLICE;

export async function freePort(): Promise<number> {
  for (;;) {
    const port = sliceBase + Math.floor(Math.random() * SLICE);
    if (handedOut.has(port)) continue;
    const srv = createNetServer();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (!ok) continue;
    await new Promise((r) => srv.close(r));
    handedOut.add(port);
    return port;
  }
}

export function tempDir(prefix = 'meshlet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a ConfigMap volume the way kubelet does: timestamped dir, `..data` symlink swapped atomically. */
export class KubeletConfigDir {
  readonly dir: string;
  #generation = 0;

  constructor(dir: string = tempDir('meshlet-cm-')) {
    this.dir = dir;
  }

  get file(): string {
    return join(this.dir, 'mesh.yaml');
  }

  write(text: string): void {
    const gen = `..2026_11_25_${String(++this.#generation).padStart(4, '0')}`;
    mkdirSync(join(this.dir, gen));
    writeFileSync(join(this.dir, gen, 'mesh.yaml'), text);
    const tmp = join(this.dir, '..data_tmp');
    rmSync(tmp, { force: true });
    symlinkSync(gen, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    try {
      symlinkSync('..data/mesh.yaml', this.file);
    } catch {
      // already links through ..data
    }
  }
}

export interface SidecarOptions {
  configText?: string;
  configFile?: string;
  env?: Record<string, string>;
  args?: string[];
}

export interface RunningSidecar {
  readonly proc: ChildProcess;
  readonly outbound: number;
  readonly inbound: number;
  readonly admin: number;
  readonly configFile: string;
  output(): string;
  admin_(path: string): Promise<{ status: number; body: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function startSidecar(opts: SidecarOptions): Promise<RunningSidecar> {
  // Another test process may bind one of our ports between freePort() and the
  // sidecar's listen: that start fails with EADDRINUSE and is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSidecarOnce(opts);
    } catch (err) {
      if (attempt === 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startSidecarOnce(opts: SidecarOptions): Promise<RunningSidecar> {
  const [outbound, inbound, admin] = [await freePort(), await freePort(), await freePort()];
  let configFile = opts.configFile;
  if (configFile === undefined) {
    configFile = join(tempDir(), 'mesh.yaml');
    writeFileSync(configFile, opts.configText ?? 'mtls: disable\n');
  }
  const proc = spawn(
    process.execPath,
    [...NODE_FLAGS, MAIN, 'run', '--config', configFile, ...(opts.args ?? [])],
    {
      env: {
        ...process.env,
        MESHLET_SERVICE: 'tester',
        MESHLET_NAMESPACE: 'default',
        MESHLET_VERSION: 'v1',
        MESHLET_OUTBOUND_PORT: String(outbound),
        MESHLET_INBOUND_PORT: String(inbound),
        MESHLET_ADMIN_PORT: String(admin),
        MESHLET_LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const adminGet = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${admin}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const sidecar: RunningSidecar = {
    proc,
    outbound,
    inbound,
    admin,
    configFile,
    output: () => out,
    admin_: adminGet,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  // Ready once the admin port answers /ready (or the process died).
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`sidecar exited with ${proc.exitCode}:\n${out}`);
    try {
      const r = await adminGet('/ready');
      if (r.status === 200) return sidecar;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`sidecar not ready:\n${out}`);
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startServer(
  handler: Handler,
  host = '127.0.0.1',
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** HTTP servers that answer with their version name and echo what they saw as JSON headers. */
export async function startVersions(
  names: string[],
): Promise<{ ports: Record<string, number>; close(): Promise<void> }> {
  const servers = await Promise.all(
    names.map((name) =>
      startServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('x-served-by', name);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ version: name, url: req.url, headers: req.headers }));
        });
      }),
    ),
  );
  return {
    ports: Object.fromEntries(names.map((n, i) => [n, servers[i]!.port])),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

/** mesh.yaml for one service with versions on local ports. */
export function serviceYaml(name: string, ports: Record<string, number>, routes: string, extra = ''): string {
  const versions = Object.entries(ports)
    .map(([v, p]) => `      ${v}: { host: 127.0.0.1, port: ${p} }`)
    .join('\n');
  return `mtls: disable
services:
  ${name}:
    port: 9080
${extra}    versions:
${versions}
    routes:
${routes}
`;
}

/** Sends raw bytes on a fresh TCP connection and returns everything the peer sent until it closed (or `waitMs`). */
export async function rawExchange(port: number, data: string | Buffer, waitMs = 2000): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (out !== '') resolve(out);
      else reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(data);
  });
}
