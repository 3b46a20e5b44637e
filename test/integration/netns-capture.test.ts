// Traffic capture end to end, in real network namespaces with the rules of
// `meshlet init-iptables`: a "pod" namespace (app as UID 1000, a capture
// listener as the proxy UID 1337 using the SO_ORIGINAL_DST addon and
// passthroughTcp) joined by a veth pair to a "remote" namespace with echo
// servers.
//
//   pod   10.55.0.1/24  app (uid 1000) --iptables--> 127.0.0.1:15001 (uid 1337) --> 10.55.0.2:7000
//   remote 10.55.0.2/24 echo servers on :7000 (captured), :7001 (excluded), :7002 (marker)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  connectNetns,
  createNetns,
  destroyAllNetns,
  JsonLines,
  type Netns,
  NODE,
  netnsSkipReason,
  REPO,
  TCP_CLIENT,
  type TcpClientResult,
  unreadableBy,
} from '../helpers/netns.ts';

const ADDON = `${REPO}native/linux/build/Release/original_dst.node`;
const POD_IP = '10.55.0.1';
const REMOTE_IP = '10.55.0.2';
const APP_UID = 1000;
const PROXY_UID = 1337;

// The proxy side: outbound capture listener, inbound listener, admin port.
const CAPTURE_LISTENER = `
import { createServer } from 'node:net';
import { originalDstAvailable, originalDstOf } from '${REPO}src/capture/original-dst.ts';
import { passthroughTcp } from '${REPO}src/listener/tcp-passthrough.ts';
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const outbound = createServer((socket) => {
  const dst = originalDstOf(socket);
  emit({ event: 'outbound', dst });
  if (dst === null) return socket.destroy();
  passthroughTcp(socket, null, dst, {
    onClose: (bytesIn, bytesOut, error) => emit({ event: 'closed', dst, bytesIn, bytesOut, error: error?.code ?? null }),
  });
});
const inbound = createServer((socket) => {
  const dst = originalDstOf(socket);
  emit({ event: 'inbound', dst, from: socket.remoteAddress });
  socket.end(JSON.stringify(dst));
});
const admin = createServer((socket) => socket.end('admin'));
outbound.listen(15001, '127.0.0.1', () =>
  inbound.listen(15006, '0.0.0.0', () =>
    admin.listen(15000, '0.0.0.0', () => emit({ event: 'ready', addon: originalDstAvailable(), uid: process.getuid() }))));
`;

// The remote side: echo servers that report who connected.
const ECHO_SERVERS = `
import { createServer } from 'node:net';
const [host, ...ports] = process.argv.slice(1);
let pending = ports.length;
for (const port of ports) {
  createServer({ allowHalfOpen: true }, (s) => {
    process.stdout.write(JSON.stringify({ event: 'conn', port: Number(port), from: s.remoteAddress }) + '\\n');
    s.on('error', () => {});
    s.pipe(s);
  }).listen(Number(port), host, () => { if (--pending === 0) process.stdout.write(JSON.stringify({ event: 'ready' }) + '\\n'); });
}
`;

/** The app and proxy run as other users; they must be able to run Node and read the sources. */
function unprivilegedSkipReason(): string | null {
  return unreadableBy([APP_UID, PROXY_UID], `${REPO}src/capture/original-dst.ts`);
}

const skipReason = netnsSkipReason() ?? unprivilegedSkipReason();

describe('traffic capture in a network namespace', { skip: skipReason ?? false }, () => {
  let pod: Netns;
  let remote: Netns;
  let proxy: JsonLines;
  let echo: JsonLines;

  const runClient = async (ns: Netns, uid: number, host: string, port: number, size: number) => {
    const out = await ns.mustRun(
      NODE,
      ['--input-type=module', '-e', TCP_CLIENT, host, String(port), String(size)],
      {
        uid,
      },
    );
    return JSON.parse(out) as TcpClientResult;
  };

  before(async () => {
    if (!existsSync(ADDON)) spawnSync(NODE, [`${REPO}native/linux/build.mjs`], { stdio: 'inherit' });
    assert.ok(existsSync(ADDON), `the SO_ORIGINAL_DST addon is not built (${ADDON})`);
    pod = await createNetns();
    remote = await createNetns();
    await connectNetns(pod, `${POD_IP}/24`, remote, `${REMOTE_IP}/24`);
    for (let i = 0; i < 2; i++) {
      // Twice: the second run must not duplicate anything.
      await pod.mustRun(NODE, [`${REPO}src/main.ts`, 'init-iptables', '--exclude-outbound-ports', '7001']);
    }
    const echoProc = remote.spawn(NODE, [
      '--input-type=module',
      '-e',
      ECHO_SERVERS,
      REMOTE_IP,
      '7000',
      '7001',
      '7002',
    ]);
    echo = new JsonLines(echoProc);
    const proxyProc = pod.spawn(NODE, ['--input-type=module', '-e', CAPTURE_LISTENER], { uid: PROXY_UID });
    proxy = new JsonLines(proxyProc);
    const [ready] = (await proxy.take((e) => e.event === 'ready')).slice(-1);
    assert.deepEqual(ready, { event: 'ready', addon: true, uid: PROXY_UID });
    await echo.take((e) => e.event === 'ready');
  });

  after(() => destroyAllNetns());

  it('installs the rules idempotently: one jump from each built-in chain', async () => {
    const saved = await pod.mustRun('iptables-save', ['-t', 'nat']);
    assert.equal(saved.match(/^-A PREROUTING -p tcp -j MESHLET_INBOUND$/gm)?.length, 1);
    assert.equal(saved.match(/^-A OUTPUT -p tcp -j MESHLET_OUTPUT$/gm)?.length, 1);
    assert.equal(saved.match(/^-A MESHLET_REDIRECT .*--to-ports 15001$/gm)?.length, 1);
  });

  it('captures app TCP and relays 1 MB byte-for-byte to the original destination', async () => {
    const size = 1024 * 1024;
    const result = await runClient(pod, APP_UID, REMOTE_IP, 7000, size);
    assert.equal(result.error, undefined);
    assert.equal(result.bytes, size);
    assert.equal(result.received, result.sent);
    const events = await proxy.take((e) => e.event === 'closed');
    assert.deepEqual(
      events.map((e) => e.event),
      ['outbound', 'closed'],
    );
    assert.deepEqual(events[0]!.dst, { address: REMOTE_IP, port: 7000, family: 4 });
    assert.deepEqual(events[1], {
      event: 'closed',
      dst: { address: REMOTE_IP, port: 7000, family: 4 },
      bytesIn: size,
      bytesOut: size,
      error: null,
    });
  });

  // A connection that bypasses capture leaves no event; a captured "marker"
  // connection to :7002 right after it proves the listener would have said so.
  async function assertNotCaptured(): Promise<void> {
    const marker = await runClient(pod, APP_UID, REMOTE_IP, 7002, 16);
    assert.equal(marker.received, marker.sent);
    const events = await proxy.take(
      (e) => e.event === 'outbound' && (e.dst as { port: number }).port === 7002,
    );
    assert.deepEqual(
      events.filter((e) => e.event === 'outbound').map((e) => e.dst),
      [{ address: REMOTE_IP, port: 7002, family: 4 }],
    );
  }

  it('does not capture the proxy UID 1337 (no loop)', async () => {
    const result = await runClient(pod, PROXY_UID, REMOTE_IP, 7000, 4096);
    assert.equal(result.received, result.sent);
    await assertNotCaptured();
  });

  it('sends an excluded outbound port direct', async () => {
    const result = await runClient(pod, APP_UID, REMOTE_IP, 7001, 4096);
    assert.equal(result.received, result.sent);
    const [conn] = (await echo.take((e) => e.event === 'conn' && e.port === 7001)).slice(-1);
    assert.equal(conn!.from, POD_IP);
    await assertNotCaptured();
  });

  it('does not capture loopback; a direct dial of the outbound port has no original destination', async () => {
    const result = await runClient(pod, APP_UID, '127.0.0.1', 15001, 16);
    assert.equal(result.bytes ?? 0, 0);
    const events = await proxy.take((e) => e.event === 'outbound');
    assert.equal(events.at(-1)!.dst, null);
  });

  it('redirects inbound connections to the pod to the inbound port', async () => {
    const result = await runClient(remote, APP_UID, POD_IP, 9080, 0);
    assert.deepEqual(JSON.parse(result.text ?? ''), { address: POD_IP, port: 9080, family: 4 });
    const [inbound] = (await proxy.take((e) => e.event === 'inbound')).slice(-1);
    assert.equal(inbound!.from, REMOTE_IP);
  });

  it('leaves the admin port reachable directly from outside', async () => {
    const result = await runClient(remote, APP_UID, POD_IP, 15000, 0);
    assert.equal(result.text, 'admin');
  });
});

// IPv6 capture (ip6tables, IP6T_SO_ORIGINAL_DST) and the dual-stack case:
// one listener on [::]:15001 gets both families, IPv4 ones as v4-mapped
// sockets whose original destination comes from the IPv4 conntrack table.
// Destinations are addresses on the namespace's own lo.
const DUAL_STACK_LISTENER = CAPTURE_LISTENER.replace(
  "outbound.listen(15001, '127.0.0.1'",
  "outbound.listen(15001, '::'",
);

describe('IPv6 and dual-stack capture in a network namespace', { skip: skipReason ?? false }, () => {
  let pod: Netns;
  let proxy: JsonLines;
  const V6_DST = 'fd55::2';
  const V4_DST = '10.56.0.2';

  before(async () => {
    pod = await createNetns();
    await pod.mustRun('ip', ['-6', 'addr', 'add', `${V6_DST}/128`, 'dev', 'lo', 'nodad']);
    await pod.mustRun('ip', ['addr', 'add', `${V4_DST}/32`, 'dev', 'lo']);
    await pod.mustRun(NODE, [`${REPO}src/main.ts`, 'init-iptables', '--ipv6']);
    const echoProc = pod.spawn(NODE, ['--input-type=module', '-e', ECHO_SERVERS, '::', '7000']);
    await new JsonLines(echoProc).take((e) => e.event === 'ready');
    proxy = new JsonLines(
      pod.spawn(NODE, ['--input-type=module', '-e', DUAL_STACK_LISTENER], { uid: PROXY_UID }),
    );
    await proxy.take((e) => e.event === 'ready');
  });

  after(() => destroyAllNetns());

  for (const [family, dst] of [
    [6, V6_DST],
    [4, V4_DST],
  ] as const) {
    it(`recovers the IPv${family} original destination and relays to it`, async () => {
      const out = await pod.mustRun(NODE, ['--input-type=module', '-e', TCP_CLIENT, dst, '7000', '65536'], {
        uid: APP_UID,
      });
      const result = JSON.parse(out) as TcpClientResult;
      assert.equal(result.bytes, 65536);
      assert.equal(result.received, result.sent);
      const events = await proxy.take((e) => e.event === 'closed');
      assert.deepEqual(events[0]!.dst, { address: dst, port: 7000, family });
    });
  }
});

describe('iptables-legacy backend', { skip: skipReason ?? false }, () => {
  after(() => destroyAllNetns());

  it('installs and cleans up the same chains with --backend legacy', async (t) => {
    if (spawnSync('iptables-legacy-restore', ['--version']).status !== 0) {
      t.skip('iptables-legacy is not installed');
      return;
    }
    const ns = await createNetns();
    await ns.mustRun(NODE, [`${REPO}src/main.ts`, 'init-iptables', '--backend', 'legacy']);
    await ns.mustRun(NODE, [`${REPO}src/main.ts`, 'init-iptables', '--backend', 'legacy']);
    const saved = await ns.mustRun('iptables-legacy-save', ['-t', 'nat']);
    assert.equal(saved.match(/^-A OUTPUT -p tcp -j MESHLET_OUTPUT$/gm)?.length, 1);
    assert.match(saved, /^-A MESHLET_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006$/m);
    await ns.mustRun(NODE, [`${REPO}src/main.ts`, 'init-iptables', '--backend', 'legacy', '--cleanup']);
    const cleaned = await ns.mustRun('iptables-legacy-save', ['-t', 'nat']);
    assert.doesNotMatch(cleaned, /MESHLET/);
  });
});
