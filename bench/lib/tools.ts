// External tools the bench drives (wrk, nginx, a C compiler for the
// fixed-rate generator): found on PATH, installed from Debian when we are root
// with apt, otherwise reported as missing so their cells are skipped visibly.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Tools {
  wrk: string | null;
  nginx: string | null;
  /** nghttp2's HTTP/2 load generator, for the h2load cells. */
  h2load: string | null;
  fixedRate: string | null;
  /** Why a tool is missing, for the report. */
  notes: string[];
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function aptInstall(packages: string[], log: (line: string) => void): boolean {
  if (process.getuid?.() !== 0 || which('apt-get') === null) return false;
  log(`installing ${packages.join(' ')} from Debian (apt-get)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { env, stdio: 'ignore' as const, timeout: 300_000 };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], opts);
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], opts);
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], opts);
  }
  return r.status === 0;
}

export function findTools(log: (line: string) => void): Tools {
  const notes: string[] = [];
  const missing = [
    ['wrk', 'wrk'],
    ['nginx', 'nginx-light'],
    ['h2load', 'nghttp2-client'],
    // The balancing cells' DNS server (bench/lib/balanced.ts); Debian keeps it in /usr/sbin.
    ['dnsmasq', 'dnsmasq-base'],
  ].filter(([bin]) => which(bin!) === null && !existsSync(`/usr/sbin/${bin}`));
  if (
    missing.length > 0 &&
    !aptInstall(
      missing.map(([, pkg]) => pkg!),
      log,
    )
  ) {
    notes.push(
      `not installed and could not install (needs root + apt): ${missing.map(([, p]) => p).join(', ')}`,
    );
  }
  const wrk = which('wrk');
  const nginx = which('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
  if (wrk === null) notes.push('wrk missing: every closed-loop cell is skipped');
  if (nginx === null) notes.push('nginx missing: the nginx reference cells are skipped');
  const h2load = which('h2load');
  if (h2load === null) notes.push('h2load missing: the h2load cells are skipped');
  const fixedRate = buildFixedRate(notes);
  return { wrk, nginx, h2load, fixedRate, notes };
}

/** Compiles bench/loadgen/fixed-rate.c once per source version into the tmp dir. */
function buildFixedRate(notes: string[]): string | null {
  const source = join(import.meta.dirname, '..', 'loadgen', 'fixed-rate.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'meshlet-bench');
  const binary = join(dir, `fixed-rate-${hash}`);
  if (existsSync(binary)) return binary;
  const cc = which('cc') ?? which('gcc');
  if (cc === null) {
    notes.push('no C compiler (cc): the fixed-rate cells are skipped');
    return null;
  }
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(cc, ['-O2', '-o', binary, source], { encoding: 'utf8' });
  if (r.status !== 0) {
    notes.push(`fixed-rate.c did not compile: ${r.stderr.slice(0, 300)}`);
    return null;
  }
  return binary;
}

function versionOf(command: string | null, args: string[], re: RegExp): string | null {
  if (command === null) return null;
  const r = spawnSync(command, args, { encoding: 'utf8' });
  const m = `${r.stdout}${r.stderr}`.match(re);
  return m?.[1] ?? null;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  wrk: string | null;
  nginx: string | null;
  undici: string | null;
  loadAverageAtStart: number[];
  gitCommit: string | null;
}

export function describeMachine(tools: Tools): Machine {
  let kernel = '';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    kernel = process.platform;
  }
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    gitCommit = null;
  }
  let undici: string | null = null;
  try {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'node_modules/undici/package.json'), 'utf8'));
    undici = pkg.version;
  } catch {
    undici = null;
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel,
    node: process.version,
    wrk: versionOf(tools.wrk, ['-v'], /wrk (\S+)/),
    nginx: versionOf(tools.nginx, ['-v'], /nginx\/(\S+)/),
    undici,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    gitCommit,
  };
}
