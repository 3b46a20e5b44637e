// `meshlet init-iptables`: what the meshlet-init container runs. Builds the
// capture ruleset (src/capture/rules.ts) and loads it with
// `iptables-restore --noflush`, leaving any other nat rules alone. Safe to
// re-run: our chains are recreated and the jumps into them never doubled.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
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

const USAGE = `usage: meshlet init-iptables [options]

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
  --dry-run                        print the rulesets, change nothing
`;

const OPTIONS = {
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
  help: { type: 'boolean', short: 'h' },
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

/** Current nat table text; '' when the table (or the tool) is not there yet. */
function saveNat(family: 4 | 6, backend: string | undefined): string {
  const result = spawnSync(tool(family, backend, 'save'), ['-t', 'nat'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : '';
}

function restoreNat(family: 4 | 6, backend: string | undefined, rules: string): string | null {
  const cmd = tool(family, backend, 'restore');
  const result = spawnSync(cmd, ['--noflush'], { input: rules, encoding: 'utf8' });
  if (result.error !== undefined) return `${cmd}: ${result.error.message}`;
  if (result.status !== 0) return `${cmd} exited with status ${result.status}: ${result.stderr.trim()}`;
  return null;
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (err) {
    process.stderr.write(`meshlet init-iptables: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = process.env;
  const backend = (values.backend as string | undefined) ?? env.MESHLET_IPTABLES_BACKEND;
  if (backend !== undefined && backend !== 'nft' && backend !== 'legacy') {
    process.stderr.write(`meshlet init-iptables: --backend must be 'nft' or 'legacy', not '${backend}'\n`);
    return 2;
  }
  let opts: CaptureOptions;
  try {
    opts = captureOptionsFrom(values, env);
  } catch (err) {
    if (!(err instanceof CaptureOptionsError)) throw err;
    process.stderr.write(`meshlet init-iptables: ${err.message}\n`);
    return 2;
  }
  const ipv6 =
    values.ipv6 === true || env.MESHLET_CAPTURE_IPV6 === '1' || env.MESHLET_CAPTURE_IPV6 === 'true';
  const families: (4 | 6)[] = ipv6 ? [4, 6] : [4];
  const dryRun = values['dry-run'] === true;

  for (const family of families) {
    // Reading is harmless, so a dry run prints exactly what would be loaded.
    const existing = saveNat(family, backend);
    const rules =
      values.cleanup === true ? buildCleanupRules(existing) : buildCaptureRules(opts, family, existing);
    if (dryRun) {
      process.stdout.write(`# ${tool(family, backend, 'restore')} --noflush\n${rules}`);
      continue;
    }
    const failure = restoreNat(family, backend, rules);
    if (failure !== null) {
      process.stderr.write(`meshlet init-iptables: ${failure}\n--- ruleset ---\n${rules}`);
      return 1;
    }
    process.stdout.write(
      `meshlet init-iptables: IPv${family} ${values.cleanup === true ? 'rules removed' : 'capture installed'}\n`,
    );
  }
  return 0;
}
