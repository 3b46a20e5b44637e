// The systems under test. Each `start*` returns a Target: where to send load,
// which processes are "the proxy" (for CPU and RSS), and how to stop it.
// A target that cannot run here throws Unavailable with the reason.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/contract.ts';
import type { Endpoint } from './load.ts';
import { freePort, lastLines, processTree, Tracked, waitForHttp200 } from './procs.ts';

export interface Target extends Endpoint {
  /** Proxy processes (with their descendants) whose CPU and RSS are reported; empty for direct. */
  proxyPids(): number[];
  /** After the load: checks that the cell measured what it claims (metrics off, mTLS on, ...). */
  inspect?(): Promise<Inspection>;
  stop(): Promise<void>;
}

/** `problems` make the scenario's figures invalid for its targets; `info` is reported as is. */
export interface Inspection {
  problems: string[];
  info: string[];
}

/** A cell that cannot run on this machine or at this commit; the reason goes in the report. */
export class Unavailable extends Error {}

export const REPO = join(import.meta.dirname, '..', '..');
const SERVERS = join(import.meta.dirname, '..', 'servers');

/** Starts one of bench/servers/*.ts and waits for its `LISTENING <port>` line. */
export async function startNodeServer(
  script: string,
  args: string[] = [],
): Promise<Tracked & { port: number }> {
  const proc = new Tracked(script, process.execPath, [join(SERVERS, script), ...args], { cwd: REPO });
  const m = await proc.waitFor(/LISTENING (\d+)/, 10_000);
  return Object.assign(proc, { port: Number(m[1]) });
}

export function direct(upstreamPort: number): Target {
  return { port: upstreamPort, proxyPids: () => [], stop: async () => {} };
}

/** One of the Node baseline proxies in bench/servers/. */
export async function startBaseline(script: string, upstreamPort: number): Promise<Target> {
  const proc = await startNodeServer(script, ['--target', String(upstreamPort)]);
  return { port: proc.port, proxyPids: () => processTree(proc.pid), stop: () => proc.stop() };
}

/** nginx proxy_pass with upstream keep-alive: the reference for a mature C proxy. */
export async function startNginx(nginx: string | null, upstreamPort: number, tmp: string): Promise<Target> {
  if (nginx === null) throw new Unavailable('nginx not installed');
  const dir = join(tmp, 'nginx');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 10000000;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const proc = new Tracked(
    'nginx',
    nginx,
    ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'],
    {},
  );
  await waitForHttp200(`http://127.0.0.1:${port}/`, 10_000, proc);
  return { port, proxyPids: () => processTree(proc.pid), stop: () => proc.stop() };
}

// ---- meshlet ----

export interface MeshletOptions {
  workers: number;
  cpuProfDir: string | null;
  /** V8/Node flags meshlet runs with; the shipped entry points use SHIPPED_NODE_FLAGS. */
  nodeFlags: string[];
}

/** The flags of the shipped entry points (Dockerfile, injected PROXY_COMMAND): a 4 MiB young generation. */
export const SHIPPED_NODE_FLAGS: string[] = [...NODE_FLAGS];

/** The CLI file meshlet runs from, or why it cannot run. */
let entryState: { main: string } | { unavailable: string } | null = null;

/**
 * Chooses what meshlet runs from: `dist`, the compiled build as shipped
 * (bin/meshlet.js), or `src`, the TypeScript sources via type stripping.
 * For `dist`, builds the sources once per bench run (`tsc -p tsconfig.build.json`,
 * the `build` script), so the figures are always those of the current sources.
 */
export async function prepareMeshlet(entry: 'dist' | 'src'): Promise<void> {
  if (!existsSync(join(REPO, 'src', 'cli', 'run.ts'))) {
    entryState = { unavailable: 'meshlet: not available (src/cli/run.ts not written yet)' };
    return;
  }
  if (entry === 'src') {
    entryState = { main: join(REPO, 'src', 'main.ts') };
    return;
  }
  const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
  const proc = new Tracked('tsc', tsc, ['-p', join(REPO, 'tsconfig.build.json')], { cwd: REPO });
  const guard = setTimeout(() => void proc.stop(500), 120_000);
  const code = await proc.exited;
  clearTimeout(guard);
  const main = join(REPO, 'dist', 'main.js');
  // tsc still emits when some file has type errors; only a missing output is fatal
  if (!existsSync(join(REPO, 'dist', 'cli', 'run.js'))) {
    entryState = { unavailable: `meshlet: build failed (tsc exit ${code}): ${lastLines(proc.output)}` };
  } else {
    entryState = { main };
  }
}

export function meshletMain(): string {
  if (entryState === null) throw new Error('prepareMeshlet() first');
  if ('unavailable' in entryState) throw new Unavailable(entryState.unavailable);
  return entryState.main;
}

export interface Telemetry {
  metrics: boolean;
  /** Tracing sampling ratio, or null for no `tracing` section. */
  sampling: number | null;
  otlpEndpoint?: string;
}

interface SidecarPorts {
  outbound: number;
  inbound: number;
  admin: number;
}

function meshYaml(
  mtls: 'disable' | 'strict',
  upstreamAt: number,
  telemetry: Telemetry,
  /** More keys for the route (6-space YAML lines), e.g. traffic-policy options. */
  routeExtra = '',
): string {
  const tracing =
    telemetry.sampling === null
      ? ''
      : `tracing:\n  sampling: ${telemetry.sampling}\n  otlpEndpoint: ${telemetry.otlpEndpoint}\n`;
  return `# generated by bench/run.ts
trustDomain: cluster.local
mtls: ${mtls}
${tracing}services:
  upstream:
    port: 80
    versions:
      v1: { host: 127.0.0.1, port: ${upstreamAt} }
      v2: { host: 127.0.0.1, port: ${upstreamAt} }
    routes:
      - split: { v1: 90, v2: 10 }
${routeExtra}`;
}

/**
 * The one-hop mesh.yaml with traffic policy on its route: a request header
 * set, and a fault and a mirror at 0 % (configured, never firing), to compare
 * with the same route without them.
 */
export function policyOneHopConfig(upstreamAt: number): string {
  return meshYaml(
    'disable',
    upstreamAt,
    { metrics: true, sampling: null },
    `        headers: { request: { set: { x-bench: "1" } } }
        fault: { abort: { percent: 0, status: 503 } }
        mirror: { version: v2, percent: 0 }
`,
  );
}

async function startSidecar(
  name: string,
  config: string,
  appPort: number,
  env: Record<string, string>,
  options: MeshletOptions,
): Promise<{ proc: Tracked; ports: SidecarPorts }> {
  const ports = { outbound: await freePort(), inbound: await freePort(), admin: await freePort() };
  const nodeArgs = [...options.nodeFlags];
  if (options.cpuProfDir !== null) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
  }
  const proc = new Tracked(name, process.execPath, [...nodeArgs, meshletMain(), 'run', '--config', config], {
    cwd: REPO,
    env: {
      ...process.env,
      MESHLET_NAMESPACE: 'default',
      MESHLET_VERSION: 'v1',
      MESHLET_APP_PORT: String(appPort),
      MESHLET_OUTBOUND_PORT: String(ports.outbound),
      MESHLET_INBOUND_PORT: String(ports.inbound),
      MESHLET_ADMIN_PORT: String(ports.admin),
      MESHLET_BIND: '127.0.0.1',
      MESHLET_LOG_LEVEL: 'warn',
      MESHLET_DRAIN_SECONDS: '1',
      ...(options.workers > 1 ? { MESHLET_WORKERS: String(options.workers) } : {}),
      ...env,
    },
  });
  try {
    await waitForHttp200(`http://127.0.0.1:${ports.admin}/ready`, 20_000, proc);
  } catch (err) {
    await proc.stop(1000);
    throw new Unavailable(`meshlet ${name} did not become ready: ${(err as Error).message}`);
  }
  return { proc, ports };
}

/** Stops sidecars with SIGTERM first, so --cpu-prof profiles get written. */
async function stopAll(procs: Tracked[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(8000)));
}

/** One GET through the target with its Host header; the cell is only measured if this answers 200. */
export function probe(
  target: Endpoint,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: '/',
        headers: { host: target.host ?? `127.0.0.1:${target.port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function probeOrFail(target: Endpoint, name: string): Promise<string[]> {
  const r = await probe(target);
  if (r.status !== 200)
    throw new Error(`probe through ${name} answered ${r.status}: ${r.body.slice(0, 200)}`);
  return r.headers['x-meshlet-upstream-version'] === undefined
    ? [`${name}: response has no x-meshlet-upstream-version header`]
    : [];
}

async function adminMetrics(adminPort: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    return await res.text();
  } catch {
    return '';
  }
}

/** Checks the sidecar did what the cell's name says, from its own /metrics and process count. */
async function inspectSidecar(
  name: string,
  proc: Tracked,
  adminPort: number,
  expect: { metrics: boolean; mtls?: boolean; workers: number },
): Promise<string[]> {
  const notes: string[] = [];
  const text = await adminMetrics(adminPort);
  const counted = /^meshlet_requests_total\{/m.test(text);
  if (expect.metrics && !counted)
    notes.push(`${name}: no meshlet_requests_total series after the load (metrics not recorded)`);
  if (!expect.metrics && counted)
    notes.push(`${name}: MESHLET_METRICS=off not honoured (meshlet_requests_total exported)`);
  if (expect.mtls === true && !/connection_security_policy="mutual_tls"/.test(text)) {
    notes.push(
      `${name}: no requests with connection_security_policy="mutual_tls" in /metrics (mTLS not confirmed)`,
    );
  }
  const processes = processTree(proc.pid).length;
  if (expect.workers > 1 && processes < expect.workers + 1) {
    notes.push(`${name}: MESHLET_WORKERS=${expect.workers} not honoured (${processes} process)`);
  }
  return notes;
}

/** App → meshlet outbound → upstream: one proxy hop, plaintext. */
export async function startMeshletOneHop(
  upstreamPort: number,
  tmp: string,
  telemetry: Telemetry,
  options: MeshletOptions,
  /** Another mesh.yaml (service `upstream`) and environment, e.g. for the balancing cells. */
  override?: { configText: string; env: Record<string, string> },
): Promise<Target> {
  meshletMain();
  const dir = join(tmp, `one-hop-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, override?.configText ?? meshYaml('disable', upstreamPort, telemetry));
  const env: Record<string, string> = {
    MESHLET_SERVICE: 'bench-client',
    MESHLET_SERVICE_ACCOUNT: 'bench-client',
    ...override?.env,
  };
  if (!telemetry.metrics) env.MESHLET_METRICS = 'off';
  const a = await startSidecar('meshlet-client', config, upstreamPort, env, options);
  let probeNotes: string[] = [];
  const target: Target = {
    port: a.ports.outbound,
    host: 'upstream',
    proxyPids: () => processTree(a.proc.pid),
    inspect: async () => ({
      problems: [
        ...probeNotes,
        ...(await inspectSidecar('meshlet', a.proc, a.ports.admin, {
          metrics: telemetry.metrics,
          workers: options.workers,
        })),
      ],
      info: [],
    }),
    stop: () => stopAll([a.proc]),
  };
  try {
    probeNotes = await probeOrFail(target, 'meshlet');
  } catch (err) {
    await target.stop();
    throw err;
  }
  return target;
}

/** Dev certificates for both sidecars via `meshlet certs dev`. */
async function devCerts(dir: string): Promise<string> {
  if (!existsSync(join(REPO, 'src', 'cli', 'certs.ts'))) {
    throw new Unavailable('meshlet certs dev: not available (src/cli/certs.ts not written yet)');
  }
  meshletMain();
  const out = join(dir, 'certs');
  const args = ['certs', 'dev', '--out', out, '--trust-domain', 'cluster.local'];
  const proc = new Tracked(
    'meshlet-certs',
    process.execPath,
    [meshletMain(), ...args, '--service', 'bench-client', '--service', 'upstream'],
    { cwd: REPO },
  );
  const guard = setTimeout(() => void proc.stop(500), 30_000);
  const code = await proc.exited;
  clearTimeout(guard);
  if (code !== 0 || !existsSync(join(out, 'upstream', 'tls.crt'))) {
    throw new Unavailable(`meshlet certs dev failed (${code}): ${lastLines(proc.output)}`);
  }
  return out;
}

/** App → sidecar A outbound → sidecar B inbound → app: the full mesh path. */
export async function startMeshPath(
  upstreamPort: number,
  tmp: string,
  mtls: boolean,
  options: MeshletOptions,
): Promise<Target> {
  meshletMain();
  const dir = join(tmp, `mesh-${mtls ? 'mtls' : 'plain'}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const certs = mtls ? await devCerts(dir) : null;
  // B's inbound port must be known before A's config is written
  const bInbound = await freePort();
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, meshYaml(mtls ? 'strict' : 'disable', bInbound, { metrics: true, sampling: null }));
  const tlsEnv = (service: string): Record<string, string> =>
    certs === null ? {} : { MESHLET_TLS_DIR: join(certs, service) };
  const b = await startSidecarOnInbound(config, upstreamPort, bInbound, tlsEnv('upstream'), options);
  let a: Awaited<ReturnType<typeof startSidecar>>;
  try {
    a = await startSidecar(
      'meshlet-client',
      config,
      upstreamPort,
      { MESHLET_SERVICE: 'bench-client', MESHLET_SERVICE_ACCOUNT: 'bench-client', ...tlsEnv('bench-client') },
      options,
    );
  } catch (err) {
    await stopAll([b.proc]);
    throw err;
  }
  let probeNotes: string[] = [];
  const target: Target = {
    port: a.ports.outbound,
    host: 'upstream',
    proxyPids: () => [...processTree(a.proc.pid), ...processTree(b.proc.pid)],
    inspect: async () => ({
      problems: [
        ...probeNotes,
        ...(await inspectSidecar('sidecar A', a.proc, a.ports.admin, {
          metrics: true,
          workers: options.workers,
        })),
        ...(await inspectSidecar('sidecar B', b.proc, b.ports.admin, {
          metrics: true,
          mtls,
          workers: options.workers,
        })),
      ],
      info: [],
    }),
    stop: () => stopAll([a.proc, b.proc]),
  };
  try {
    probeNotes = await probeOrFail(target, 'sidecar A → B');
    // Under `mtls: strict`, B refusing plaintext proves that A → B (which answered 200) was TLS.
    if (mtls && (await probe({ port: bInbound, host: 'upstream' }).catch(() => null))?.status === 200) {
      probeNotes.push('sidecar B answered a plaintext request under mtls: strict (A → B may not be mTLS)');
    }
  } catch (err) {
    await target.stop();
    throw err;
  }
  return target;
}

async function startSidecarOnInbound(
  config: string,
  appPort: number,
  inbound: number,
  env: Record<string, string>,
  options: MeshletOptions,
): Promise<{ proc: Tracked; ports: SidecarPorts }> {
  const sidecar = await startSidecar(
    'meshlet-upstream',
    config,
    appPort,
    {
      MESHLET_SERVICE: 'upstream',
      MESHLET_SERVICE_ACCOUNT: 'upstream',
      MESHLET_INBOUND_PORT: String(inbound),
      ...env,
    },
    options,
  );
  return { proc: sidecar.proc, ports: { ...sidecar.ports, inbound } };
}
