// Shared pieces of the mTLS end-to-end tests: a test CA with certificates in
// kubelet-style mounted directories, sidecars with a known inbound port,
// counting apps, raw TLS clients, and a Prometheus text reader.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import {
  createDevCa,
  type DevCa,
  type IssuedCertificate,
  issueLeaf,
  type LeafOptions,
} from '../../src/tls/dev-ca.ts';
import { freePort, type RunningSidecar, startServer, startSidecar, tempDir } from './mesh.ts';

export const TD = 'cluster.local';
export const spiffe = (sa: string, ns = 'default', td = TD): string => `spiffe://${td}/ns/${ns}/sa/${sa}`;
export const fqdn = (service: string, ns = 'default'): string => `${service}.${ns}.svc.cluster.local`;

/**
 * A certificate directory as kubelet (and csi-driver-spiffe) mounts it:
 * `..<timestamp>/` with the files, a `..data` symlink swapped atomically, and
 * `tls.crt` → `..data/tls.crt` (likewise `tls.key`, `ca.crt`).
 */
export class KubeletTlsDir {
  readonly dir: string;
  #generation = 0;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  write(cert: IssuedCertificate, caPem: string = cert.caPem): void {
    const gen = `..2026_11_25_10_00_${String(++this.#generation).padStart(4, '0')}`;
    mkdirSync(join(this.dir, gen), { mode: 0o755 });
    writeFileSync(join(this.dir, gen, 'tls.crt'), cert.certPem);
    writeFileSync(join(this.dir, gen, 'tls.key'), cert.keyPem, { mode: 0o600 });
    writeFileSync(join(this.dir, gen, 'ca.crt'), caPem);
    const tmp = join(this.dir, '..data_tmp');
    rmSync(tmp, { force: true });
    symlinkSync(gen, tmp);
    let old: string | null = null;
    try {
      old = readlinkSync(join(this.dir, '..data'));
    } catch {
      // first generation
    }
    renameSync(tmp, join(this.dir, '..data'));
    for (const file of ['tls.crt', 'tls.key', 'ca.crt']) {
      try {
        symlinkSync(`..data/${file}`, join(this.dir, file));
      } catch {
        // already links through ..data
      }
    }
    // kubelet removes the previous generation after the swap.
    if (old !== null) rmSync(join(this.dir, old), { recursive: true, force: true });
  }
}

/** One mesh CA for a test file, plus everything it issued (to look for key leaks later). */
export class TestPki {
  readonly root: string;
  readonly ca: DevCa;
  /** Every private key PEM minted so far, including the CA's. */
  readonly keyPems: string[] = [];

  private constructor(root: string, ca: DevCa, caKeyPem: string) {
    this.root = root;
    this.ca = ca;
    this.keyPems.push(caKeyPem);
  }

  static async create(): Promise<TestPki> {
    const ca = await createDevCa({ trustDomain: TD });
    const { KeyObject } = await import('node:crypto');
    const caKey = KeyObject.from(ca.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
    return new TestPki(tempDir('meshlet-mtls-'), ca, caKey);
  }

  /** Another CA in the same trust domain (for CA rotation); its key is remembered too. */
  async newCa(): Promise<DevCa> {
    const ca = await createDevCa({ trustDomain: TD, commonName: 'meshlet test CA (next)' });
    const { KeyObject } = await import('node:crypto');
    this.keyPems.push(KeyObject.from(ca.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string);
    return ca;
  }

  /** A leaf from `issuer` (default the mesh CA); the key is remembered for leak checks. */
  async issue(options: LeafOptions, issuer: DevCa = this.ca): Promise<IssuedCertificate> {
    const leaf = await issueLeaf(issuer, options);
    this.keyPems.push(leaf.keyPem);
    return leaf;
  }

  /** A workload's SVID from the mesh CA. */
  svid(sa: string, ns = 'default'): Promise<IssuedCertificate> {
    return this.issue({ spiffeId: spiffe(sa, ns) });
  }

  /** A kubelet-style mounted directory holding `cert`, with the mesh CA as bundle unless told. */
  mount(name: string, cert: IssuedCertificate, caPem: string = this.ca.certPem): KubeletTlsDir {
    const dir = new KubeletTlsDir(join(this.root, name));
    dir.write(cert, caPem);
    return dir;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface MeshSidecar extends RunningSidecar {
  readonly service: string;
}

/**
 * A sidecar for `service` whose inbound port was chosen up front (the mesh.yaml
 * of its callers must name it before it starts). Logs at debug level, with the
 * access log on, so a key leak anywhere in the logging would show.
 */
export async function startMeshSidecar(opts: {
  service: string;
  inbound: number;
  configFile: string;
  tlsDir: string;
  appPort: number;
  env?: Record<string, string>;
}): Promise<MeshSidecar> {
  const sidecar = await startSidecar({
    configFile: opts.configFile,
    env: {
      MESHLET_SERVICE: opts.service,
      MESHLET_NAMESPACE: 'default',
      MESHLET_VERSION: 'v1',
      MESHLET_INBOUND_PORT: String(opts.inbound),
      MESHLET_TLS_DIR: opts.tlsDir,
      MESHLET_APP_PORT: String(opts.appPort),
      MESHLET_LOG_LEVEL: 'debug',
      MESHLET_ACCESS_LOG: '1',
      MESHLET_BIND: '127.0.0.1',
      ...opts.env,
    },
  });
  return { ...sidecar, inbound: opts.inbound, service: opts.service };
}

/**
 * One sidecar per service, each with its own SVID mounted kubelet-style, on
 * the inbound ports the shared mesh.yaml already names.
 */
export async function startMeshSidecars(
  pki: TestPki,
  names: readonly string[],
  opts: { inbound: Record<string, number>; configFile: string; apps: Record<string, { port: number }> },
): Promise<Record<string, MeshSidecar>> {
  const sidecars: Record<string, MeshSidecar> = {};
  await Promise.all(
    names.map(async (name) => {
      const tls = pki.mount(name, await pki.svid(name));
      sidecars[name] = await startMeshSidecar({
        service: name,
        inbound: opts.inbound[name]!,
        configFile: opts.configFile,
        tlsDir: tls.dir,
        appPort: opts.apps[name]!.port,
      });
    }),
  );
  return sidecars;
}

/**
 * The pods of a mesh test before their sidecars: an app per name (`apps` is
 * filled in place, for stopMesh), an inbound port reserved for each, and the
 * one mesh ConfigMap `config(inbound)` written into a new temp dir.
 */
export async function prepareMesh<A extends { port: number }>(
  names: readonly string[],
  apps: Record<string, A>,
  startApp: (name: string) => Promise<A>,
  config: (inbound: Record<string, number>) => string,
  dirPrefix = 'meshlet-mtls-cm-',
): Promise<{ inbound: Record<string, number>; cmDir: string; configFile: string }> {
  const cmDir = tempDir(dirPrefix);
  const inbound: Record<string, number> = {};
  for (const name of names) {
    apps[name] = await startApp(name);
    inbound[name] = await freePort();
  }
  // One mesh ConfigMap for every sidecar, as in a cluster.
  const configFile = join(cmDir, 'mesh.yaml');
  writeFileSync(configFile, config(inbound));
  return { inbound, cmDir, configFile };
}

/**
 * The services of the mTLS attack tests: reviews strict with a rule for
 * productpage, ratings permissive without rules, and payments, whose endpoint
 * is ratings' pod (a hijacked address).
 */
export const reviewsRatingsPayments = (
  inbound: Record<string, number>,
): string => `  reviews:                     # strict, with rules
    versions: { v1: { host: 127.0.0.1, port: ${inbound.reviews} } }
    allow:
      - from: [productpage]
  ratings:                     # permissive, no rules
    mtls: permissive
    versions: { v1: { host: 127.0.0.1, port: ${inbound.ratings} } }
  payments:                    # its endpoint answers with ratings' pod (hijacked address)
    versions: { v1: { host: 127.0.0.1, port: ${inbound.ratings} } }
`;

/** Stops what a mesh test started: sidecars, apps, the shared client agent, certificates, the config dir. */
export async function stopMesh(parts: {
  sidecars: Record<string, MeshSidecar>;
  apps: Record<string, { close(): Promise<void> }>;
  pki: TestPki | undefined;
  configDir: string | undefined;
}): Promise<void> {
  await Promise.all(Object.values(parts.sidecars).map((s) => s.stop()));
  await Promise.all(Object.values(parts.apps).map((a) => a.close()));
  await closeAgent();
  parts.pki?.cleanup();
  if (parts.configDir !== undefined) rmSync(parts.configDir, { recursive: true, force: true });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** An app that records every request it receives and answers 200 with what it saw. */
export async function startRecordingApp(name: string): Promise<{
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}> {
  const seen: SeenRequest[] = [];
  const app = await startServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ app: name, url: req.url, headers: req.headers }));
    });
  });
  return { port: app.port, seen, close: app.close };
}

export { freePort };

/** A port nobody listens on (for sidecars whose app is never called). */
export const unusedPort = freePort;

const agent = new Agent({ connections: 8, keepAliveTimeout: 2000 });

export async function closeAgent(): Promise<void> {
  await agent.close();
}

/** An app's call through its sidecar's outbound port (`Host: <service>`). */
export async function callVia(
  outbound: number,
  host: string,
  path = '/',
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const res = await request(`http://127.0.0.1:${outbound}${path}`, {
    dispatcher: agent,
    method: method as 'GET',
    headers: { host, ...headers },
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body };
}

export interface TlsExchange {
  /** The client saw the handshake complete (TLS 1.3: before the server judged our certificate). */
  secured: boolean;
  /** Serial number of the certificate the server presented (upper-case hex). */
  serverSerial: string | undefined;
  serverSpiffeId: string | undefined;
  /** Everything the server sent after the handshake, latin1. */
  response: string;
  error: string | undefined;
  /** TLS session data the server offered (a ticket), if any. */
  session: Buffer | undefined;
  /** The handshake resumed the session passed in. */
  reused: boolean;
}

/**
 * A raw TLS client straight at an inbound port: handshake with the given
 * client certificate (or none), send `payload`, read until the server closes.
 * The server is checked against `ca` but not by host name, like a sidecar.
 */
export function tlsExchange(
  port: number,
  opts: { cert?: IssuedCertificate; ca: string; payload?: string; waitMs?: number; session?: Buffer },
): Promise<TlsExchange> {
  return new Promise((resolve) => {
    const result: TlsExchange = {
      secured: false,
      serverSerial: undefined,
      serverSpiffeId: undefined,
      response: '',
      error: undefined,
      session: undefined,
      reused: false,
    };
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: opts.ca,
      ...(opts.cert === undefined ? {} : { cert: opts.cert.certPem, key: opts.cert.keyPem }),
      checkServerIdentity: () => undefined,
      ALPNProtocols: ['http/1.1'],
      minVersion: 'TLSv1.3',
      ...(opts.session === undefined ? {} : { session: opts.session }),
    });
    socket.on('session', (session: Buffer) => (result.session = session));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(done, opts.waitMs ?? 3000);
    socket.on('secureConnect', () => {
      result.secured = true;
      result.reused = socket.isSessionReused();
      const peer = socket.getPeerX509Certificate();
      result.serverSerial = peer?.serialNumber;
      result.serverSpiffeId = peer?.subjectAltName?.replace(/^URI:/, '');
      if (opts.payload !== undefined) socket.write(opts.payload);
      else done();
    });
    socket.on('data', (d) => (result.response += d.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      result.error = err.code ?? err.message;
      done();
    });
    socket.on('close', done);
  });
}

/** A complete HTTP/1.1 request that closes the connection after its response. */
export function httpRequest(
  method: string,
  path: string,
  host: string,
  extraHeaders: Record<string, string> = {},
): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`];
  for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

/** Status code of a raw HTTP/1.1 response, or null when none came. */
export function statusOf(raw: string): number | null {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
  return m === null ? null : Number(m[1]);
}

export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const m = new RegExp(`^${name}: *(.*)$`, 'im').exec(head);
  return m === null ? undefined : m[1]!.trim();
}

export function bodyOf(raw: string): string {
  const i = raw.indexOf('\r\n\r\n');
  return i < 0 ? '' : raw.slice(i + 4);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include all of `labels`. */
export async function metricSum(
  sidecar: RunningSidecar,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const { body } = await sidecar.admin_('/metrics');
  return parseMetrics(body)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Polls `probe` until it returns a non-undefined value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Asserts that no private key material shows in `text`: no PEM armour, no
 * 24-character slice of the private part of each key file's base64 (the
 * public key at its end is left out: certificates carry it too), and not the
 * private scalar itself in base64, base64url or hex.
 */
export function assertNoKeyMaterial(text: string, keyPems: readonly string[], where: string): void {
  assert.ok(!/PRIVATE KEY/.test(text), `${where} contains a PEM private key header`);
  for (const pem of keyPems) {
    const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    // PKCS#8 P-256: the 32-byte scalar sits at DER bytes 36..68, i.e. base64 characters 48..92.
    const privatePart = b64.slice(0, 96);
    for (let i = 0; i + 24 <= privatePart.length; i += 4) {
      const fragment = privatePart.slice(i, i + 24);
      assert.ok(!text.includes(fragment), `${where} contains key material (${fragment})`);
    }
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    const d = Buffer.from(jwk.d!, 'base64url');
    const lower = text.toLowerCase();
    const hex = d.toString('hex');
    for (let i = 0; i + 24 <= hex.length; i += 8) {
      assert.ok(!lower.includes(hex.slice(i, i + 24)), `${where} contains a private scalar (hex)`);
    }
    for (const encoded of [d.toString('base64'), d.toString('base64url')]) {
      for (let i = 0; i + 16 <= encoded.length; i += 4) {
        assert.ok(!text.includes(encoded.slice(i, i + 16)), `${where} contains a private scalar (base64)`);
      }
    }
  }
}
