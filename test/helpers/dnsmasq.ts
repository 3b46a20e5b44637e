// A real DNS server for tests (dnsmasq from Debian's dnsmasq-base), answering
// from a hosts file on a loopback port with a short TTL. Tests call
// `dnsmasqMissing()` first and skip with that reason when it is not null.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mesh.ts';

const BINARY = process.env.DNSMASQ_BIN ?? '/usr/sbin/dnsmasq';

/** Why dnsmasq cannot run here, or null when it can. */
export function dnsmasqMissing(): string | null {
  return existsSync(BINARY) ? null : `${BINARY} not found (apt-get install dnsmasq-base)`;
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, the form MESHLET_DNS_SERVERS takes. */
  readonly address: string;
  /** Replaces the records (name → addresses) and makes dnsmasq read them again. */
  setRecords(records: Record<string, readonly string[]>): Promise<void>;
  stop(): Promise<void>;
}

export interface DnsServerOptions {
  /** TTL of every answer, in seconds. */
  ttl?: number;
  /** Reuse this port (restart a stopped server on the same address). */
  port?: number;
}

export async function startDnsmasq(
  records: Record<string, readonly string[]>,
  opts: DnsServerOptions = {},
): Promise<DnsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'meshlet-dns-'));
  const hosts = join(dir, 'hosts');
  await writeFile(hosts, hostsFile(records));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    BINARY,
    [
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      `--local-ttl=${opts.ttl ?? 1}`,
      '--keep-in-foreground',
      '--pid-file=',
      // Stay as the test's user, so dnsmasq can read the file again on SIGHUP.
      `--user=${userInfo().username}`,
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await waitForStart(child, () => stderr, port);
  let stopped = false;
  return {
    address: `127.0.0.1:${port}`,
    async setRecords(next) {
      const before = stderr.length;
      await writeFile(hosts, hostsFile(next));
      child.kill('SIGHUP');
      // dnsmasq logs "read <file> - N names" once it has the new file.
      const deadline = Date.now() + 5000;
      while (!stderr.slice(before).includes(`read ${hosts}`)) {
        if (Date.now() > deadline)
          throw new Error(`dnsmasq did not re-read ${hosts}: ${stderr.slice(before)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function hostsFile(records: Record<string, readonly string[]>): string {
  const lines: string[] = [];
  for (const [name, addresses] of Object.entries(records))
    for (const a of addresses) lines.push(`${a} ${name}`);
  return lines.join('\n') + '\n';
}

async function waitForStart(child: ChildProcess, stderr: () => string, port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!/read .* names/.test(stderr())) {
    if (child.exitCode !== null)
      throw new Error(`dnsmasq on port ${port} exited ${child.exitCode}: ${stderr()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dnsmasq on port ${port} did not start: ${stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
