// Throw-away Linux network namespaces for capture tests: real iptables rules
// and real processes (as the app's UID or the proxy's UID 1337) without
// touching the host's network. Needs root, `ip netns` (iproute2), `setpriv`
// (util-linux) and iptables; netnsSkipReason() says what is missing so tests
// can skip visibly.
//
//   const ns = await createNetns();          // lo up, cleaned by ns.cleanup()
//   await ns.run('ip', ['addr', 'add', '10.55.0.1/32', 'dev', 'lo']);
//   const p = ns.spawn(NODE, ['-e', code], { uid: 1337 });
//   await destroyAllNetns();                 // in after(): kills and deletes all
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { chmodSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Node 24 of the project (the system node is older), usable by any UID. */
export const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
/** The repository root, for `import` paths in code run inside a namespace. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface RunOptions {
  /** Run as this UID (and GID, unless `gid` is given) via setpriv; default root. */
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function wrap(ns: string, cmd: string, args: readonly string[], opts: RunOptions): string[] {
  const inner =
    opts.uid === undefined
      ? [cmd, ...args]
      : [
          'setpriv',
          `--reuid=${opts.uid}`,
          `--regid=${opts.gid ?? opts.uid}`,
          '--clear-groups',
          '--',
          cmd,
          ...args,
        ];
  return ['netns', 'exec', ns, ...inner];
}

/** Runs a command inside `ns` and collects its output; rejects only if it cannot start. */
export function execIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ip',
      wrap(ns, cmd, args, opts),
      {
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number' && err.killed !== true) reject(err);
        else
          resolve({
            code: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
            stdout,
            stderr,
          });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** A long-running process inside a namespace, with its stdout split into lines. */
export interface NsProcess {
  child: ChildProcess;
  /** Resolves with the next stdout line (lines are queued, none is lost). */
  nextLine(): Promise<string>;
  /** Resolves with the next stdout line parsed as JSON. */
  nextJson<T = Record<string, unknown>>(): Promise<T>;
  stderr(): string;
  kill(): Promise<void>;
}

const processes = new Set<ChildProcess>();

export function spawnIn(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): NsProcess {
  const child = spawn('ip', wrap(ns, cmd, args, opts), {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  processes.add(child);
  child.once('exit', () => processes.delete(child));
  if (opts.input !== undefined) child.stdin.end(opts.input);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const lines: string[] = [];
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    const w = waiters.shift();
    if (w !== undefined) w.resolve(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0))
      w.reject(new Error(`process exited before printing a line; stderr: ${stderr}`));
  });
  const nextLine = (): Promise<string> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended) return Promise.reject(new Error(`process exited before printing a line; stderr: ${stderr}`));
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  return {
    child,
    nextLine,
    nextJson: async <T>() => JSON.parse(await nextLine()) as T,
    stderr: () => stderr,
    kill: () => killProcess(child),
  };
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // `ip netns exec` execs the command (and setpriv execs node), so the pid is the process itself.
  child.kill('SIGKILL');
  await exited;
}

export interface Netns {
  name: string;
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Like run, but throws with the command's stderr when it exits non-zero. */
  mustRun(cmd: string, args: readonly string[], opts?: RunOptions): Promise<string>;
  spawn(cmd: string, args: readonly string[], opts?: RunOptions): NsProcess;
  cleanup(): Promise<void>;
}

const namespaces = new Set<Netns>();

/** Creates `meshlet-test-<random>` with `lo` up. */
export async function createNetns(prefix = 'meshlet-test'): Promise<Netns> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name}: ${add.stderr.trim()}`);
  const owned = new Set<ChildProcess>();
  const ns: Netns = {
    name,
    run: (cmd, args, opts) => execIn(name, cmd, args, opts),
    async mustRun(cmd, args, opts) {
      const r = await execIn(name, cmd, args, opts);
      if (r.code !== 0)
        throw new Error(`${cmd} ${args.join(' ')} in ${name} exited ${r.code}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    spawn(cmd, args, opts) {
      const p = spawnIn(name, cmd, args, opts);
      owned.add(p.child);
      return p;
    },
    async cleanup() {
      if (!namespaces.delete(ns)) return;
      await Promise.all([...owned].map(killProcess));
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
  namespaces.add(ns);
  await ns.mustRun('ip', ['link', 'set', 'lo', 'up']);
  return ns;
}

/**
 * Joins two namespaces with a veth pair and gives each end an address
 * (`10.55.0.1/24` style); both ends are up. Deleting a namespace deletes its end.
 */
export async function connectNetns(a: Netns, addrA: string, b: Netns, addrB: string): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const ifA = `mlt${suffix}a`;
  const ifB = `mlt${suffix}b`;
  const add = spawnSync(
    'ip',
    ['link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.name],
    {
      encoding: 'utf8',
    },
  );
  if (add.status !== 0) throw new Error(`ip link add veth: ${add.stderr.trim()}`);
  for (const [ns, ifName, addr] of [
    [a, ifA, addrA],
    [b, ifB, addrB],
  ] as const) {
    await ns.mustRun('ip', ['addr', 'add', addr, 'dev', ifName]);
    await ns.mustRun('ip', ['link', 'set', ifName, 'up']);
  }
}

/**
 * A switch: a bridge inside `hub` with one veth port per member namespace,
 * each member end given its address (`10.67.0.2/24` style) and brought up,
 * so all members share one L2 segment. `hubAddr` puts an address on the
 * bridge itself (a client outside every pod). Deleting a namespace deletes
 * its ends.
 */
export async function bridgeNetns(
  hub: Netns,
  hubAddr: string | null,
  members: readonly (readonly [Netns, string])[],
): Promise<void> {
  const bridge = `mlb${randomBytes(3).toString('hex')}`;
  await hub.mustRun('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await hub.mustRun('ip', ['link', 'set', bridge, 'up']);
  if (hubAddr !== null) await hub.mustRun('ip', ['addr', 'add', hubAddr, 'dev', bridge]);
  for (const [ns, addr] of members) {
    const suffix = randomBytes(3).toString('hex');
    const inNs = `mlt${suffix}p`;
    const onHub = `mlt${suffix}h`;
    const add = spawnSync(
      'ip',
      ['link', 'add', inNs, 'netns', ns.name, 'type', 'veth', 'peer', 'name', onHub, 'netns', hub.name],
      { encoding: 'utf8' },
    );
    if (add.status !== 0) throw new Error(`ip link add veth: ${add.stderr.trim()}`);
    await hub.mustRun('ip', ['link', 'set', onHub, 'master', bridge]);
    await hub.mustRun('ip', ['link', 'set', onHub, 'up']);
    await ns.mustRun('ip', ['addr', 'add', addr, 'dev', inNs]);
    await ns.mustRun('ip', ['link', 'set', inNs, 'up']);
  }
}

/** Kills every process started in, and deletes, every namespace this process created. */
export async function destroyAllNetns(): Promise<void> {
  await Promise.all([...namespaces].map((ns) => ns.cleanup()));
  await Promise.all([...processes].map(killProcess));
}

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/**
 * The test processes run as UIDs 1000 and 1337 and must reach the checkout. A
 * clone inside a private directory (mktemp -d is mode 0700) would hide it, so
 * each ancestor gets the search bit for others: traversal only, nothing
 * becomes listable or readable that was not already.
 */
function grantTraversal(dir: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    if (d === dirname(d)) return;
  }
}

/** Why one of `uids` cannot run the project's Node on `file`, or null when all can. */
export function unreadableBy(uids: readonly number[], file: string): string | null {
  for (const uid of uids) {
    const probe = spawnSync(
      'setpriv',
      [
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        '--',
        NODE,
        '-e',
        `require('node:fs').accessSync(${JSON.stringify(file)})`,
      ],
      { encoding: 'utf8' },
    );
    if (probe.status !== 0)
      return `UID ${uid} cannot run ${NODE} or read ${file}: ${probe.stderr.trim().split('\n')[0]}`;
  }
  return null;
}

/** Why netns tests cannot run here, or null when they can. */
export function netnsSkipReason(needs: { iptables?: boolean } = { iptables: true }): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!has('ip', ['-V'])) return 'iproute2 (`ip`) is not installed';
  if (!has('setpriv', ['--version'])) return 'setpriv (util-linux) is not installed';
  if (needs.iptables === true && !has('iptables-restore', ['--version'])) return 'iptables is not installed';
  grantTraversal(REPO);
  const probe = `meshlet-probe-${randomBytes(4).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add is not permitted here: ${add.stderr.trim()}`;
  try {
    if (needs.iptables === true && !has('ip', ['netns', 'exec', probe, 'iptables-save', '-t', 'nat'])) {
      return 'iptables cannot use the nat table inside a network namespace here';
    }
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return null;
}

export type JsonEvent = Record<string, unknown>;

/** Every JSON line a process prints, in order, with a way to wait for the next matching one. */
export class JsonLines {
  readonly events: JsonEvent[] = [];
  #emitter = new EventEmitter();
  #cursor = 0;
  #ended = false;

  constructor(p: NsProcess) {
    void (async () => {
      for (;;) {
        const line = await p.nextLine();
        // Only JSON objects count (a log line may be preceded by other output).
        if (!line.startsWith('{')) continue;
        this.events.push(JSON.parse(line) as JsonEvent);
        this.#emitter.emit('event');
      }
    })().catch(() => {
      this.#ended = true;
      this.#emitter.emit('event');
    });
  }

  /**
   * Events after the previous take() up to and including the first one
   * matching `pred`; rejects if the process exits first.
   */
  async take(pred: (e: JsonEvent) => boolean): Promise<JsonEvent[]> {
    for (;;) {
      const i = this.events.findIndex((e, idx) => idx >= this.#cursor && pred(e));
      if (i >= 0) {
        const taken = this.events.slice(this.#cursor, i + 1);
        this.#cursor = i + 1;
        return taken;
      }
      if (this.#ended) throw new Error('process exited before printing the expected line');
      await new Promise((resolve) => this.#emitter.once('event', resolve));
    }
  }
}

/**
 * A TCP client script for `node --input-type=module -e`: args host, port,
 * size; sends `size` random bytes, half-closes, prints one JSON line with the
 * sha256 of what it sent and received (`text` too when short), or `{error}`.
 */
export const TCP_CLIENT = `
import { connect } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
const [host, port, size] = process.argv.slice(1);
const payload = randomBytes(Number(size));
const chunks = [];
const socket = connect({ host, port: Number(port), allowHalfOpen: true });
socket.on('data', (c) => chunks.push(c));
socket.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(0); });
socket.on('end', () => {
  const received = Buffer.concat(chunks);
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  console.log(JSON.stringify({ sent: sha(payload), received: sha(received), bytes: received.length, text: received.length < 200 ? received.toString() : '' }));
  socket.end();
});
socket.end(payload);
`;

/** What TCP_CLIENT prints. */
export interface TcpClientResult {
  sent?: string;
  received?: string;
  bytes?: number;
  text?: string;
  error?: string;
}
