// Processes the bench starts, and what /proc says about them. Every child is
// its own process group, tracked here, and killed on exit, Ctrl-C or error.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const live = new Set<Tracked>();

/** A started process with the tail of its output kept for error messages. */
export class Tracked {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #tail = '';
  #lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  #exitCode: number | null | undefined;

  constructor(name: string, command: string, args: string[], options: SpawnOptions) {
    this.name = name;
    this.child = spawn(command, args, { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.#exitCode = code ?? (signal === null ? null : -1);
        resolve(this.#exitCode);
      });
      this.child.on('error', (err) => {
        this.#append(`spawn error: ${err.message}\n`);
        live.delete(this);
        this.#exitCode = -1;
        resolve(-1);
      });
    });
    // BENCH_PROC_LOG_DIR=dir keeps each process's whole output (e.g. under
    // --node-flags with --trace-gc); see docs/performance.md.
    const logDir = process.env.BENCH_PROC_LOG_DIR;
    const logFile = logDir === undefined ? null : join(logDir, `${name}-${this.child.pid}.log`);
    const onData = (chunk: Buffer) => {
      this.#append(chunk.toString());
      if (logFile !== null) appendFileSync(logFile, chunk);
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name}: not started`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** The last few KiB of stdout+stderr. */
  get output(): string {
    return this.#tail;
  }

  #append(text: string): void {
    this.#tail = (this.#tail + text).slice(-4096);
    for (const w of [...this.#lineWaiters]) {
      const m = this.#tail.match(w.re);
      if (m !== null) {
        this.#lineWaiters.splice(this.#lineWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const existing = this.#tail.match(re);
    if (existing !== null) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no ${re} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#lineWaiters.push({
        re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}): ${lastLines(this.#tail)}`));
      });
    });
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // children of the group (nginx workers, cluster workers) may outlive the leader
    signalGroup(this.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 400);
}

/** Kills every tracked process (synchronously usable from 'exit'). */
export function killAll(): void {
  for (const p of live) if (p.child.pid !== undefined) signalGroup(p.child.pid, 'SIGKILL');
  live.clear();
}

let cleanupInstalled = false;
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${live.size} processes\n`);
      killAll();
      process.exit(130);
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200, or throws after `timeoutMs` / when `proc` dies. */
export async function waitForHttp200(url: string, timeoutMs: number, proc: Tracked): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${proc.name} exited: ${lastLines(proc.output)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `${url} not ready within ${timeoutMs} ms (${last}); ${proc.name}: ${lastLines(proc.output)}`,
  );
}

// ---- /proc readers (Linux) ----

/** `pid` and all its descendants, from the ppid field of /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== null) parentOf.set(Number(entry), stat.ppid);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

interface Stat {
  ppid: number;
  /** utime + stime, in clock ticks */
  ticks: number;
}

function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // fields after the parenthesised command name, which may contain spaces
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
}

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = 100;

/** CPU seconds (user + system) consumed so far by `pids`. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Sum of VmRSS of `pids`, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'latin1').match(/^VmRSS:\s+(\d+) kB/m);
      if (m !== null) total += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

/** Samples the RSS of `pids` every `everyMs` and keeps the maximum. */
export function sampleRss(pids: readonly number[], everyMs = 250): { stop(): number } {
  let max = rssBytes(pids);
  const timer = setInterval(() => {
    max = Math.max(max, rssBytes(pids));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssBytes(pids));
    },
  };
}
