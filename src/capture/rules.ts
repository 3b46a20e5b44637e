// Traffic capture rules for the pod's network namespace, as an
// `iptables-restore` input for the nat table. Pure: options (and the current
// `iptables-save -t nat` text, for idempotency) in, ruleset text out, so every
// combination is unit-tested without touching the kernel. The meshlet-init
// container (src/cli/init-iptables.ts) feeds the text to
// `iptables-restore --noflush`.
//
// Chains, in the order a packet meets them:
//   PREROUTING -> MESHLET_INBOUND -> MESHLET_IN_REDIRECT  (REDIRECT to inbound port)
//   OUTPUT     -> MESHLET_OUTPUT  -> MESHLET_REDIRECT     (REDIRECT to outbound port)
import { isIP } from 'node:net';
import { PORTS, PROXY_UID } from '../contract.ts';

export interface CaptureOptions {
  /** UID the proxy runs as; its own connections are never captured (no loop). */
  proxyUid: number;
  /** GID the proxy runs as; excluded too, for images that set only the group. */
  proxyGid: number;
  outboundPort: number;
  inboundPort: number;
  /** Admin port: reachable directly from outside (kubelet probes, Prometheus). */
  adminPort: number;
  excludeInboundPorts: readonly number[];
  excludeOutboundPorts: readonly number[];
  /** When non-empty, only outbound TCP to these ports is captured. */
  includeOutboundPorts: readonly number[];
  /** CIDRs whose outbound traffic goes direct; IPv4 and IPv6 may be mixed. */
  excludeOutboundIpRanges: readonly string[];
}

export const DEFAULT_CAPTURE_OPTIONS: CaptureOptions = {
  proxyUid: PROXY_UID,
  proxyGid: PROXY_UID,
  outboundPort: PORTS.outbound,
  inboundPort: PORTS.inbound,
  adminPort: PORTS.admin,
  excludeInboundPorts: [],
  excludeOutboundPorts: [],
  includeOutboundPorts: [],
  excludeOutboundIpRanges: [],
};

export const CHAINS = {
  inbound: 'MESHLET_INBOUND',
  inRedirect: 'MESHLET_IN_REDIRECT',
  output: 'MESHLET_OUTPUT',
  redirect: 'MESHLET_REDIRECT',
} as const;

/** The jumps from the built-in chains into ours; emitted only when absent. */
const JUMPS = [`-A PREROUTING -p tcp -j ${CHAINS.inbound}`, `-A OUTPUT -p tcp -j ${CHAINS.output}`] as const;

export class CaptureOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureOptionsError';
  }
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CaptureOptionsError(`${name}: '${port}' is not a TCP port (1-65535)`);
  }
}

function checkId(name: string, id: number): void {
  // 2^32-1 is (uid_t)-1, "no id", which the owner match would never see.
  if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) {
    throw new CaptureOptionsError(`${name}: '${id}' is not a valid id`);
  }
}

/** Canonical `address/prefix` text, or an error naming the bad entry. */
function normalizeCidr(name: string, text: string): { cidr: string; family: 4 | 6 } {
  const [address = '', prefix, extra] = text.split('/');
  const family = isIP(address) as 0 | 4 | 6;
  if (family === 0 || extra !== undefined) {
    throw new CaptureOptionsError(`${name}: '${text}' is not an IP address or CIDR`);
  }
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (prefix !== undefined) {
    bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
    if (!(bits >= 0 && bits <= max)) {
      throw new CaptureOptionsError(`${name}: '${text}' has an invalid prefix length (0-${max})`);
    }
  }
  return { cidr: `${address}/${bits}`, family };
}

/** Throws CaptureOptionsError for anything iptables would reject or misread. */
export function validateCaptureOptions(opts: CaptureOptions): void {
  checkId('proxy-uid', opts.proxyUid);
  checkId('proxy-gid', opts.proxyGid);
  checkPort('outbound-port', opts.outboundPort);
  checkPort('inbound-port', opts.inboundPort);
  checkPort('admin-port', opts.adminPort);
  const own = new Set([opts.outboundPort, opts.inboundPort, opts.adminPort]);
  if (own.size !== 3) {
    throw new CaptureOptionsError('outbound-port, inbound-port and admin-port must be three different ports');
  }
  for (const p of opts.excludeInboundPorts) checkPort('exclude-inbound-ports', p);
  for (const p of opts.excludeOutboundPorts) checkPort('exclude-outbound-ports', p);
  for (const p of opts.includeOutboundPorts) checkPort('include-outbound-ports', p);
  for (const r of opts.excludeOutboundIpRanges) normalizeCidr('exclude-outbound-ip-ranges', r);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * The nat-table ruleset for one address family (iptables for 4, ip6tables
 * for 6). `existing` is the current `iptables-save -t nat` output: jumps
 * already installed are not added again, and declaring our chains flushes
 * them, so re-running converges to one copy of everything.
 */
export function buildCaptureRules(opts: CaptureOptions, family: 4 | 6 = 4, existing = ''): string {
  validateCaptureOptions(opts);
  const loopback = family === 4 ? '127.0.0.0/8' : '::1/128';
  const lines: string[] = ['*nat'];
  for (const chain of Object.values(CHAINS)) lines.push(`:${chain} - [0:0]`);

  // Inbound: everything TCP arriving at the pod goes to the inbound listener,
  // except the admin port (probes, scraping) and excluded app ports.
  for (const port of unique([opts.adminPort, ...opts.excludeInboundPorts])) {
    lines.push(`-A ${CHAINS.inbound} -p tcp --dport ${port} -j RETURN`);
  }
  lines.push(`-A ${CHAINS.inbound} -p tcp -j ${CHAINS.inRedirect}`);
  lines.push(`-A ${CHAINS.inRedirect} -p tcp -j REDIRECT --to-ports ${opts.inboundPort}`);

  // Outbound, first match wins: the proxy's own connections (it reaches the
  // original destination itself), loopback, excluded ranges and ports go
  // direct; the rest (or only the included ports) go to the outbound listener.
  lines.push(`-A ${CHAINS.output} -m owner --uid-owner ${opts.proxyUid} -j RETURN`);
  lines.push(`-A ${CHAINS.output} -m owner --gid-owner ${opts.proxyGid} -j RETURN`);
  lines.push(`-A ${CHAINS.output} -d ${loopback} -j RETURN`);
  const ranges = opts.excludeOutboundIpRanges.map((r) => normalizeCidr('exclude-outbound-ip-ranges', r));
  for (const range of unique(ranges.filter((r) => r.family === family).map((r) => r.cidr))) {
    lines.push(`-A ${CHAINS.output} -d ${range} -j RETURN`);
  }
  for (const port of unique(opts.excludeOutboundPorts)) {
    lines.push(`-A ${CHAINS.output} -p tcp --dport ${port} -j RETURN`);
  }
  if (opts.includeOutboundPorts.length === 0) {
    lines.push(`-A ${CHAINS.output} -p tcp -j ${CHAINS.redirect}`);
  } else {
    for (const port of unique(opts.includeOutboundPorts)) {
      lines.push(`-A ${CHAINS.output} -p tcp --dport ${port} -j ${CHAINS.redirect}`);
    }
  }
  lines.push(`-A ${CHAINS.redirect} -p tcp -j REDIRECT --to-ports ${opts.outboundPort}`);

  const present = new Set(existing.split('\n').map((l) => l.trim()));
  for (const jump of JUMPS) if (!present.has(jump)) lines.push(jump);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/**
 * The ruleset that removes everything buildCaptureRules installed, given the
 * current `iptables-save -t nat` output (restore fails on deleting what is
 * not there, so only present jumps and chains are named).
 */
export function buildCleanupRules(existing: string): string {
  const present = existing.split('\n').map((l) => l.trim());
  const lines: string[] = ['*nat'];
  for (const line of present) {
    // Every jump into our chains from a built-in chain, duplicates included.
    const m = /^-A (PREROUTING|OUTPUT) (.*-j MESHLET_[A-Z_]+)$/.exec(line);
    if (m !== null) lines.push(`-D ${m[1]} ${m[2]}`);
  }
  const chains = Object.values(CHAINS).filter((c) => present.some((l) => l.startsWith(`:${c} `)));
  for (const chain of chains) lines.push(`-F ${chain}`);
  for (const chain of chains) lines.push(`-X ${chain}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Parses a comma-separated port list (`''` is empty); errors name the option. */
export function parsePortList(name: string, csv: string | undefined): number[] {
  const items = splitCsv(csv);
  return items.map((item) => {
    if (!/^\d{1,5}$/.test(item))
      throw new CaptureOptionsError(`${name}: '${item}' is not a TCP port (1-65535)`);
    const port = Number(item);
    checkPort(name, port);
    return port;
  });
}

/** Parses a comma-separated CIDR list, validating each entry. */
export function parseCidrList(name: string, csv: string | undefined): string[] {
  return splitCsv(csv).map((item) => normalizeCidr(name, item).cidr);
}

/** Parses a single non-negative integer option (port or id). */
export function parseNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  if (!/^\d+$/.test(text.trim())) throw new CaptureOptionsError(`${name}: '${text}' is not a number`);
  return Number(text.trim());
}

function splitCsv(csv: string | undefined): string[] {
  if (csv === undefined) return [];
  return csv
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
