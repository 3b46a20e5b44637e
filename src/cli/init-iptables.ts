// `meshlet init-iptables`: what the meshlet-init container runs. Builds the
// capture ruleset (src/capture/rules.ts) and loads it with
// `iptables-restore --noflush`, leaving any other nat rules alone. Safe to
// re-run: our chains are recreated and the jumps into them never doubled.
import { spawnSync } from 'node:child_process';
import {
  buildCaptureRules,
  buildCleanupRules,
  type CaptureOptions,
  CaptureOptionsError,
  DEFAULT_CAPTURE_OPTIONS,
  parseCidrList,
  parseNumber,
  parsePortList,
  validateCaptureOptions,
} from '../capture/rules.ts';
import { failure, runCommand, UsageError } from './args.ts';

export const USAGE = `usage: meshlet init-iptables [options]

Installs the nat rules that send the pod's TCP traffic through meshlet.
Every option can also be given by the environment variable in brackets.

  --proxy-uid N                    UID of the proxy, never captured [MESHLET_PROXY_UID] (1337)
  --proxy-gid N                    GID of the proxy, never captured [MESHLET_PROXY_GID] (= uid)
  --outbound-port N                outbound listener [MESHLET_OUTBOUND_PORT] (15001)
  --inbound-port N                 inbound listener [MESHLET_INBOUND_PORT] (15006)
  --admin-port N                   admin port, not captured [MESHLET_ADMIN_PORT] (15000)
  --exclude-inbound-ports CSV      [MESHLET_EXCLUDE_INBOUND_PORTS]
  --exclude-outbound-ports CSV     [MESHLET_EXCLUDE_OUTBOUND_PORTS]
  --include-outbound-ports CSV     capture only these outbound ports [MESHLET_INCLUDE_OUTBOUND_PORTS]
  --exclude-outbound-ip-ranges CSV CIDRs reached directly [MESHLET_EXCLUDE_OUTBOUND_IP_RANGES]
  --ipv6                           also install ip6tables rules [MESHLET_CAPTURE_IPV6=1]
                                   (the proxy must then listen on ::1 / :: too)
  --backend nft|legacy             iptables flavour (default: the system's iptables-restore)
                                   [MESHLET_IPTABLES_BACKEND]
  --cleanup                        remove meshlet's rules instead of installing them
  --dry-run                        print the rulesets, change nothing (with --cleanup:
                                   what would be deleted)
  -h, --help                       this text

examples:
  meshlet init-iptables --dry-run --exclude-outbound-ports 5432
  MESHLET_PROXY_UID=1337 meshlet init-iptables --exclude-outbound-ip-ranges 10.96.0.0/12
  meshlet init-iptables --cleanup --dry-run
`;

export const OPTIONS = {
  'proxy-uid': { type: 'string' },
  'proxy-gid': { type: 'string' },
  'outbound-port': { type: 'string' },
  'inbound-port': { type: 'string' },
  'admin-port': { type: 'string' },
  'exclude-inbound-ports': { type: 'string' },
  'exclude-outbound-ports': { type: 'string' },
  'include-outbound-ports': { type: 'string' },
  'exclude-outbound-ip-ranges': { type: 'string' },
  ipv6: { type: 'boolean' },
  backend: { type: 'string' },
  cleanup: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

type Env = Record<string, string | undefined>;

/** Flags win over MESHLET_* variables, which win over the defaults. */
export function captureOptionsFrom(
  values: Record<string, string | boolean | undefined>,
  env: Env,
): CaptureOptions {
  const pick = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : env[envName];
  };
  const d = DEFAULT_CAPTURE_OPTIONS;
  const proxyUid = parseNumber('proxy-uid', pick('proxy-uid', 'MESHLET_PROXY_UID'), d.proxyUid);
  const opts: CaptureOptions = {
    proxyUid,
    proxyGid: parseNumber('proxy-gid', pick('proxy-gid', 'MESHLET_PROXY_GID'), proxyUid),
    outboundPort: parseNumber(
      'outbound-port',
      pick('outbound-port', 'MESHLET_OUTBOUND_PORT'),
      d.outboundPort,
    ),
    inboundPort: parseNumber('inbound-port', pick('inbound-port', 'MESHLET_INBOUND_PORT'), d.inboundPort),
    adminPort: parseNumber('admin-port', pick('admin-port', 'MESHLET_ADMIN_PORT'), d.adminPort),
    excludeInboundPorts: parsePortList(
      'exclude-inbound-ports',
      pick('exclude-inbound-ports', 'MESHLET_EXCLUDE_INBOUND_PORTS'),
    ),
    excludeOutboundPorts: parsePortList(
      'exclude-outbound-ports',
      pick('exclude-outbound-ports', 'MESHLET_EXCLUDE_OUTBOUND_PORTS'),
    ),
    includeOutboundPorts: parsePortList(
      'include-outbound-ports',
      pick('include-outbound-ports', 'MESHLET_INCLUDE_OUTBOUND_PORTS'),
    ),
    excludeOutboundIpRanges: parseCidrList(
      'exclude-outbound-ip-ranges',
      pick('exclude-outbound-ip-ranges', 'MESHLET_EXCLUDE_OUTBOUND_IP_RANGES'),
    ),
  };
  validateCaptureOptions(opts);
  return opts;
}

function tool(family: 4 | 6, backend: string | undefined, action: 'save' | 'restore'): string {
  const base = family === 4 ? 'iptables' : 'ip6tables';
  return backend === undefined ? `${base}-${action}` : `${base}-${backend}-${action}`;
}

/** Current nat table text, or why it could not be read (no table yet, no tool, not root). */
function saveNat(family: 4 | 6, backend: string | undefined): { text: string } | { error: string } {
  const cmd = tool(family, backend, 'save');
  const result = spawnSync(cmd, ['-t', 'nat'], { encoding: 'utf8' });
  if (result.error !== undefined) return { error: `${cmd}: ${result.error.message}` };
  if (result.status !== 0) {
    return { error: `${cmd} exited with status ${result.status}: ${result.stderr.trim().split('\n')[0]}` };
  }
  return { text: result.stdout };
}

/**
 * The cleanup ruleset, with a comment saying what it is based on. A dry run
 * that cannot read the table shows what removing a default install of these
 * options would delete, rather than nothing.
 */
function cleanupPlan(
  family: 4 | 6,
  saved: { text: string } | { error: string },
  opts: CaptureOptions,
  dryRun: boolean,
): { note: string; rules: string | null } {
  if ('text' in saved) {
    const rules = buildCleanupRules(saved.text);
    return /^-[DFX] /m.test(rules)
      ? { note: `# meshlet rules found in the IPv${family} nat table; deleting them`, rules }
      : { note: `# no meshlet rules in the IPv${family} nat table: nothing to delete`, rules: null };
  }
  if (!dryRun) return { note: '', rules: buildCleanupRules('') };
  return {
    note: `# cannot read the IPv${family} nat table (${saved.error});\n# deleting the rules these options install would run:`,
    rules: buildCleanupRules(buildCaptureRules(opts, family, '')),
  };
}

function restoreNat(family: 4 | 6, backend: string | undefined, rules: string): string | null {
  const cmd = tool(family, backend, 'restore');
  const result = spawnSync(cmd, ['--noflush'], { input: rules, encoding: 'utf8' });
  if (result.error !== undefined) return `${cmd}: ${result.error.message}`;
  if (result.status !== 0) return `${cmd} exited with status ${result.status}: ${result.stderr.trim()}`;
  return null;
}

export function run(argv: string[]): Promise<number> {
  return runCommand('init-iptables', argv, { options: OPTIONS, usage: USAGE }, ({ values }) => {
    const env = process.env;
    const backend = values.backend ?? env.MESHLET_IPTABLES_BACKEND;
    if (backend !== undefined && backend !== 'nft' && backend !== 'legacy') {
      throw new UsageError(`--backend must be 'nft' or 'legacy', not '${backend}'`);
    }
    let opts: CaptureOptions;
    try {
      opts = captureOptionsFrom(values, env);
    } catch (err) {
      if (err instanceof CaptureOptionsError) throw new UsageError(err.message);
      throw err;
    }
    const ipv6 =
      values.ipv6 === true || env.MESHLET_CAPTURE_IPV6 === '1' || env.MESHLET_CAPTURE_IPV6 === 'true';
    const families: (4 | 6)[] = ipv6 ? [4, 6] : [4];
    const dryRun = values['dry-run'] === true;
    const cleanup = values.cleanup === true;

    for (const family of families) {
      // Reading is harmless, so a dry run prints exactly what would be loaded.
      const saved = saveNat(family, backend);
      let rules: string | null;
      if (cleanup) {
        const plan = cleanupPlan(family, saved, opts, dryRun);
        if (dryRun) process.stdout.write(`${plan.note}\n`);
        rules = plan.rules;
      } else {
        rules = buildCaptureRules(opts, family, 'text' in saved ? saved.text : '');
      }
      if (rules === null) {
        if (!dryRun)
          process.stdout.write(`meshlet init-iptables: IPv${family} has no meshlet rules to remove\n`);
        continue;
      }
      if (dryRun) {
        process.stdout.write(`# ${tool(family, backend, 'restore')} --noflush\n${rules}`);
        continue;
      }
      const error = restoreNat(family, backend, rules);
      if (error !== null) return failure('init-iptables', `${error}\n--- ruleset ---\n${rules}`);
      process.stdout.write(
        `meshlet init-iptables: IPv${family} ${cleanup ? 'rules removed' : 'capture installed'}\n`,
      );
    }
    return 0;
  });
}
