// The option plumbing of `meshlet init-iptables` (flags over MESHLET_* env
// over defaults) and its dry run, which prints without touching the kernel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureOptionsFrom } from '../../../src/cli/init-iptables.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

describe('captureOptionsFrom', () => {
  it('uses the defaults when nothing is given; gid follows uid', () => {
    assert.deepEqual(captureOptionsFrom({}, {}), {
      proxyUid: 1337,
      proxyGid: 1337,
      outboundPort: 15001,
      inboundPort: 15006,
      adminPort: 15000,
      excludeInboundPorts: [],
      excludeOutboundPorts: [],
      includeOutboundPorts: [],
      excludeOutboundIpRanges: [],
    });
    assert.equal(captureOptionsFrom({ 'proxy-uid': '2000' }, {}).proxyGid, 2000);
  });

  it('reads MESHLET_* variables and lets flags override them', () => {
    const env = {
      MESHLET_PROXY_UID: '1500',
      MESHLET_OUTBOUND_PORT: '16001',
      MESHLET_EXCLUDE_OUTBOUND_PORTS: '3306,6379',
      MESHLET_EXCLUDE_OUTBOUND_IP_RANGES: '10.96.0.0/12',
      MESHLET_INCLUDE_OUTBOUND_PORTS: '80',
      MESHLET_EXCLUDE_INBOUND_PORTS: '22',
    };
    const o = captureOptionsFrom({ 'outbound-port': '17001', 'exclude-outbound-ports': '25' }, env);
    assert.equal(o.proxyUid, 1500);
    assert.equal(o.outboundPort, 17001);
    assert.deepEqual(o.excludeOutboundPorts, [25]);
    assert.deepEqual(o.excludeOutboundIpRanges, ['10.96.0.0/12']);
    assert.deepEqual(o.includeOutboundPorts, [80]);
    assert.deepEqual(o.excludeInboundPorts, [22]);
  });

  it('rejects a non-numeric port from the environment', () => {
    assert.throws(() => captureOptionsFrom({}, { MESHLET_INBOUND_PORT: 'abc' }), /inbound-port: 'abc'/);
  });
});

describe('meshlet init-iptables (process)', () => {
  const node = process.execPath;

  it('--dry-run prints the ruleset and exits 0', () => {
    const r = spawnSync(node, [MAIN, 'init-iptables', '--dry-run', '--exclude-outbound-ports', '5432'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# iptables-restore --noflush$/m);
    assert.match(r.stdout, /^-A MESHLET_OUTPUT -p tcp --dport 5432 -j RETURN$/m);
    assert.match(r.stdout, /^-A OUTPUT -p tcp -j MESHLET_OUTPUT$/m);
    assert.doesNotMatch(r.stdout, /ip6tables/);
  });

  it('--dry-run --ipv6 prints both families', () => {
    const r = spawnSync(node, [MAIN, 'init-iptables', '--dry-run', '--ipv6'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# ip6tables-restore --noflush$/m);
    assert.match(r.stdout, /-d ::1\/128 -j RETURN/);
  });

  it('exits 2 with a clear message on invalid input', () => {
    const r = spawnSync(
      node,
      [MAIN, 'init-iptables', '--dry-run', '--exclude-outbound-ip-ranges', '1.2.3.4/40'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /exclude-outbound-ip-ranges: '1\.2\.3\.4\/40' has an invalid prefix length/);
    const bad = spawnSync(node, [MAIN, 'init-iptables', '--backend', 'ebpf'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--backend must be 'nft' or 'legacy'/);
  });
});
