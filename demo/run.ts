// `npm run demo`: a small mesh on this machine, with mTLS on.
//
//   client ──HTTP──▶ [productpage sidecar] ══mTLS══▶ [reviews-v1 sidecar] ──▶ reviews v1 app
//                                          ══mTLS══▶ [reviews-v2 sidecar] ──▶ reviews v2 app
//            [ratings sidecar] ══mTLS══▶ reviews   (denied by reviews' allow rules)
//
// It shows a 95/5 canary split, a live ConfigMap-style edit to 50/50, a
// header-matched request, a denied caller, the Prometheus metrics and the
// trace of one request, a gRPC service (split, stream, denied method,
// grpc_response_status), then stops every process it started. The sidecars'
// logs are kept (the directory is printed); certificates and config are not.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { NODE_FLAGS } from '../src/contract.ts';
import { writeDevCerts } from '../src/tls/dev-ca.ts';
// The demo's trace collector decodes OTLP protobuf like Jaeger would; it is the one the tests use.
import { startOtlpReceiver } from '../test/helpers/otlp-receiver.ts';
import { grpcDemo } from './grpc.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const BIN = join(ROOT, 'dist/main.js');
const work = mkdtempSync(join(tmpdir(), 'meshlet-demo-'));
// Outside `work`, which holds private keys and is removed at the end.
const logs = mkdtempSync(join(tmpdir(), 'meshlet-demo-logs-'));
const logFiles: WriteStream[] = [];
/** Each sidecar's stdio closed: nothing more will be written to its log. */
const closed: Promise<unknown>[] = [];
const children: ChildProcess[] = [];
const servers: Server[] = [];
const agent = new Agent({ connections: 8 });

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (n: number, title: string) => say(`\n${bold(`${n}. ${title}`)}`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A demo service: answers with its name and version. */
async function app(name: string, version: string): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ service: name, version, caller: req.headers['x-forwarded-client-cert'] ?? null }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

interface Sidecar {
  name: string;
  outbound: number;
  inbound: number;
  admin: number;
}

async function sidecar(
  service: string,
  version: string,
  appPort: number,
  configFile: string,
  inbound?: number,
): Promise<Sidecar> {
  const s = {
    name: `${service}-${version}`,
    outbound: await freePort(),
    inbound: inbound ?? (await freePort()),
    admin: await freePort(),
  };
  const log = createWriteStream(join(logs, `${s.name}.log`));
  logFiles.push(log);
  const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '--config', configFile], {
    env: {
      ...process.env,
      MESHLET_SERVICE: service,
      MESHLET_VERSION: version,
      MESHLET_NAMESPACE: 'default',
      MESHLET_APP_PORT: String(appPort),
      MESHLET_TLS_DIR: join(work, 'certs', service),
      MESHLET_OUTBOUND_PORT: String(s.outbound),
      MESHLET_INBOUND_PORT: String(s.inbound),
      MESHLET_ADMIN_PORT: String(s.admin),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Written as it comes, so a log is there to read while the demo runs too.
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  closed.push(once(child, 'close'));
  children.push(child);
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${s.name} sidecar exited:\n${out}`);
    const ready = await fetch(`http://127.0.0.1:${s.admin}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return s;
    await sleep(50);
  }
  throw new Error(`${s.name} sidecar did not become ready:\n${out}`);
}

/** The ConfigMap volume, updated the way kubelet does it: new dir, atomic `..data` symlink swap. */
let generation = 0;
function publishConfig(dir: string, text: string): void {
  const gen = `..demo_${++generation}`;
  mkdirSync(join(dir, gen));
  writeFileSync(join(dir, gen, 'mesh.yaml'), text);
  symlinkSync(gen, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  if (generation === 1) symlinkSync('..data/mesh.yaml', join(dir, 'mesh.yaml'));
}

function meshYaml(v1: number, v2: number, weights: { v1: number; v2: number }, otlp: string): string {
  return `# The mesh ConfigMap of the demo (key mesh.yaml).
trustDomain: cluster.local
mtls: strict
tracing:
  sampling: 1
  otlpEndpoint: ${otlp}
services:
  reviews:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${v1} }
      v2: { host: 127.0.0.1, port: ${v2} }
    routes:
      - match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - split: { v1: ${weights.v1}, v2: ${weights.v2} }
    allow:
      - from: [productpage]
        methods: [GET]
`;
}

async function get(port: number, host: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${port}/reviews/1`, {
    dispatcher: agent,
    headers: { host, ...headers },
  });
  const body = await res.body.text();
  return {
    status: res.statusCode,
    version: res.headers['x-meshlet-upstream-version'] as string | undefined,
    flag: res.headers['x-meshlet-error'],
    body,
  };
}

async function split(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => get(port, 'reviews')));
    for (const r of batch) {
      const key = r.status === 200 ? (r.version ?? '?') : `error ${r.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

function showSplit(counts: Record<string, number>, configured: { v1: number; v2: number }): void {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  say('   version   configured   observed');
  for (const v of ['v1', 'v2'] as const) {
    const seen = counts[v] ?? 0;
    say(
      `   ${v}        ${String(configured[v]).padStart(3)} %       ${((100 * seen) / total).toFixed(1).padStart(5)} %  (${seen}/${total})`,
    );
  }
  for (const [k, n] of Object.entries(counts)) if (k !== 'v1' && k !== 'v2') say(`   ${k}: ${n}`);
}

async function metric(admin: number, pattern: RegExp): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  return text.split('\n').filter((l) => pattern.test(l));
}

async function main(): Promise<void> {
  say(bold('meshlet demo — a canary split, a live config edit, allow rules, metrics and a trace'));
  say(`(sidecar logs go to ${logs} and are kept; certificates and config in ${work} are removed at the end)`);

  step(1, 'Development certificates: a CA and one SPIFFE identity per service');
  await writeDevCerts({
    out: join(work, 'certs'),
    trustDomain: 'cluster.local',
    services: ['productpage', 'reviews', 'ratings', 'frontend', 'echo'],
    namespace: 'default',
  });
  say('   spiffe://cluster.local/ns/default/sa/{productpage,reviews,ratings}');

  const collector = await startOtlpReceiver();
  const configDir = join(work, 'meshlet-config');
  mkdirSync(configDir);
  const apps = { v1: await app('reviews', 'v1'), v2: await app('reviews', 'v2') };
  // The version hosts point at the reviews sidecars' inbound ports, as a Service's pod IPs would.
  const inboundPorts = { v1: await freePort(), v2: await freePort() };
  publishConfig(configDir, meshYaml(inboundPorts.v1, inboundPorts.v2, { v1: 95, v2: 5 }, collector.url));

  step(2, 'Starting sidecars: productpage, ratings (callers), reviews v1 and v2 (callees), mTLS strict');
  const file = join(configDir, 'mesh.yaml');
  const reviews = {
    v1: await sidecar('reviews', 'v1', apps.v1, file, inboundPorts.v1),
    v2: await sidecar('reviews', 'v2', apps.v2, file, inboundPorts.v2),
  };
  const productpage = await sidecar('productpage', 'v1', await app('productpage', 'v1'), file);
  const ratings = await sidecar('ratings', 'v1', await app('ratings', 'v1'), file);
  say(
    `   productpage outbound :${productpage.outbound}   reviews-v1 inbound :${reviews.v1.inbound}   reviews-v2 inbound :${reviews.v2.inbound}`,
  );

  step(3, 'Canary: 400 requests from productpage to reviews with the split v1 95 / v2 5');
  showSplit(await split(productpage.outbound, 400), { v1: 95, v2: 5 });

  step(4, 'The release engineer edits the ConfigMap: v1 50 / v2 50 (applied live, no restart)');
  publishConfig(configDir, meshYaml(inboundPorts.v1, inboundPorts.v2, { v1: 50, v2: 50 }, collector.url));
  const started = Date.now();
  const hashBefore = JSON.parse(
    await (await fetch(`http://127.0.0.1:${productpage.admin}/config`)).text(),
  ).hash;
  let hash = hashBefore;
  while (hash === hashBefore && Date.now() - started < 5000) {
    await sleep(50);
    hash = JSON.parse(await (await fetch(`http://127.0.0.1:${productpage.admin}/config`)).text()).hash;
  }
  say(`   new config ${hash} active after ${Date.now() - started} ms`);
  showSplit(await split(productpage.outbound, 400), { v1: 50, v2: 50 });

  step(5, 'Header match: requests with x-user: jason always go to v2');
  const jason = await Promise.all(
    Array.from({ length: 10 }, () => get(productpage.outbound, 'reviews', { 'x-user': 'jason' })),
  );
  say(`   10 requests → ${[...new Set(jason.map((r) => r.version))].join(', ')}`);
  say(`   reviews saw the caller as: ${JSON.parse(jason[0]!.body).caller}`);

  step(6, "Allow rules: reviews only allows productpage; ratings' call is refused");
  const denied = await get(ratings.outbound, 'reviews');
  say(`   ratings → reviews: ${denied.status}, x-meshlet-error: ${denied.flag}`);
  say(`   ${denied.body}`);

  step(7, 'Metrics (Prometheus text on each sidecar admin port /metrics)');
  for (const line of await metric(reviews.v2.admin, /^meshlet_requests_total\{reporter="destination"/)) {
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = line.split(' ').at(-1);
    say(
      `   reviews-v2: ${labels.source_workload} → ${labels.destination_service_name} ${labels.destination_version}  code=${labels.response_code} flags=${labels.response_flags} mtls=${labels.connection_security_policy}  ${value}`,
    );
  }
  for (const v of ['v1', 'v2'] as const) {
    for (const line of await metric(reviews[v].admin, /^meshlet_authz_denied_total\{/))
      say(`   reviews-${v}: ${line}`);
  }
  say('   (dashboards/ has Grafana dashboards for these series; see docs/observability.md)');

  step(8, 'A trace (OTLP/HTTP protobuf, as Jaeger receives it)');
  await get(productpage.outbound, 'reviews', {
    'x-user': 'jason',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  const spans = (
    await collector
      .waitForSpans(1, 10_000)
      .then(() => sleep(2500))
      .then(() => collector.spans)
  ).filter((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c');
  for (const s of spans.sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))) {
    const ms = Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e6;
    say(
      `   ${s.resource['service.name']}  ${s.kind.padEnd(6)} ${s.name.padEnd(22)} span ${s.spanId} parent ${s.parentSpanId || '-'}  ${ms.toFixed(2)} ms  version=${s.attributes['meshlet.version']}`,
    );
  }
  say(`   ${spans.length} spans in trace 0af7651916cd43dd8448eb211c80319c`);
  await collector.close();

  step(9, 'gRPC: frontend calls echo (protocol: grpc) through two sidecars, HTTP/2 over mTLS');
  for (const echo of await grpcDemo({ work, freePort, sidecar, say })) closed.push(echo.close());
  say(`\n${bold('Done.')} Every process the demo started is stopped now.`);
}

async function cleanup(): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  );
  await Promise.all(closed);
  await Promise.all(
    logFiles.map((f) => {
      f.end();
      return once(f, 'close');
    }),
  );
  for (const s of servers) s.close();
  await agent.close();
  rmSync(work, { recursive: true, force: true });
  say(`Sidecar logs kept in ${logs} (one file per sidecar; rm -r it when done).`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
