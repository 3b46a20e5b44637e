// Random config values (hosts, ports, route regexes, durations, weights, and
// empty or comment-only files) through `meshlet validate` and through hot
// reload of a live sidecar. Properties: validate never crashes (exit 0, or 1
// with file:line:col, no stack trace); the live sidecar never dies, keeps
// answering /healthz and a normal request (a route regex never stalls it), a
// rejected config never replaces the last good one, and validate and the
// reload agree. The concrete cases run first as examples.
// Budget and seed: see docs/testing.md.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { APP_MARK, checkProperty, fuzzSettings, LiveSidecar, startFuzzApp } from '../helpers/fuzz.ts';
import { freePort, MAIN, NODE_FLAGS, type RunningSidecar, tempDir } from '../helpers/mesh.ts';
import { headerValue, rawRequest } from '../helpers/raw-http.ts';

type Write = 'rename' | 'in-place' | 'truncate-then-write';

interface ConfigInput {
  /** `service`: a mesh.yaml with one fuzzed service beside a fixed good one; the others are whole files. */
  kind: 'service' | 'large' | 'empty' | 'comments' | 'whitespace';
  host: string | number;
  port: string | number;
  regex: string;
  pathRegex: string;
  timeout: string | number;
  weights: [string | number, string | number];
  write: Write;
}

const HOSTS = [
  '127.0.0.1:9081',
  'http://x',
  'http://127.0.0.1',
  'reviews v1',
  '127.0.0.1/v1',
  'a b',
  '::1',
  '[::1]',
  '127.0.0.1',
  'localhost',
  'x.invalid',
  '',
  ' ',
  '%',
  '[',
  'x'.repeat(300),
  '999.1.1.1',
  '127.0.0.1#x',
  'user@127.0.0.1',
];
const REGEXES = [
  '(a+)+b',
  '(a|aa)+$',
  '(x+x+)+y',
  '^(a?){25}a{25}$',
  '.*',
  'a',
  '[',
  '(',
  '(?<name>a)',
  '(?=a)a',
  '(a)\\1',
  '\\d+',
  'a{1000000}',
  '\\p{L}+',
  '',
];
const DURATIONS = ['2s', '100ms', '0s', '-1s', '5 seconds', '1h', '999999999999s', '', 'abc', '1.5s', '10m'];

const bytes = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 1, max: 0x2ff }).map((c) => String.fromCharCode(c)), maxLength });

const configArb: fc.Arbitrary<ConfigInput> = fc.record({
  kind: fc.oneof(
    { weight: 12, arbitrary: fc.constant('service' as const) },
    { weight: 1, arbitrary: fc.constantFrom('empty' as const, 'comments' as const, 'whitespace' as const) },
    { weight: 1, arbitrary: fc.constant('large' as const) },
  ),
  host: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTS) },
    { weight: 1, arbitrary: bytes(20) },
    { weight: 1, arbitrary: fc.integer() },
  ),
  port: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | number>(
        '{app}',
        '{closed}',
        0,
        1,
        65535,
        65536,
        99999,
        -1,
        1.5,
        '80',
        'abc',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.integer() },
  ),
  regex: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...REGEXES) }, { weight: 1, arbitrary: bytes(16) }),
  pathRegex: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('/.*', '/(a+)+b', '/api/[0-9]+', '[') },
    { weight: 1, arbitrary: bytes(12) },
  ),
  timeout: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<string | number>(...DURATIONS) },
    { weight: 1, arbitrary: fc.oneof(bytes(8), fc.double()) },
  ),
  weights: fc.tuple(
    fc.oneof(fc.constantFrom<string | number>(0, 1, 100, -1, 1.5, 2 ** 53, 1e308, 'x'), fc.nat(1000)),
    fc.oneof(fc.constantFrom<string | number>(0, 1, 100), fc.nat(1000)),
  ),
  write: fc.constantFrom<Write>('rename', 'in-place', 'truncate-then-write'),
});

const base = (over: Partial<ConfigInput>): ConfigInput => ({
  kind: 'service',
  host: '127.0.0.1',
  port: '{app}',
  regex: '.*',
  pathRegex: '/.*',
  timeout: '2s',
  weights: [1, 1],
  write: 'rename',
  ...over,
});

/** Every config case listed in issue 10 ("What was found"). */
const CORPUS: ConfigInput[] = [
  ...['127.0.0.1:9081', 'http://127.0.0.1', 'reviews v1', '127.0.0.1/v1', '::1'].map((host) =>
    base({ host }),
  ),
  base({ kind: 'empty' }),
  base({ kind: 'comments' }),
  // a live file written in place: truncated first, then written
  base({ write: 'truncate-then-write' }),
  base({ write: 'in-place' }),
  base({ regex: '(a+)+b' }),
  base({ pathRegex: '/(a+)+b' }),
  // a 5,000-service config: its reload must not stall requests (the issue saw 1.1 s for 2,000)
  base({ kind: 'large' }),
];

const LARGE_SERVICES = 5000;
const yamlValue = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

function render(c: ConfigInput, ports: { app: number; closed: number }, n: number): string {
  const stamp = `# fuzz input ${n}\n`;
  if (c.kind === 'empty') return '';
  if (c.kind === 'comments') return `${stamp}# nothing but comments\n\n# here\n`;
  if (c.kind === 'whitespace') return '\n   \n\t\n';
  const port = (p: string | number) =>
    p === '{app}' ? String(ports.app) : p === '{closed}' ? String(ports.closed) : yamlValue(p);
  return `${stamp}mtls: disable
services:
  reviews:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${ports.app} }
  fz:
    port: 9080
    timeout: ${yamlValue(c.timeout)}
    versions:
      a: { host: ${yamlValue(c.host)}, port: ${port(c.port)} }
      b: { host: 127.0.0.1, port: ${ports.app} }
    routes:
      - match:
          headers: { x-fz: { regex: ${yamlValue(c.regex)} } }
        split: { a: ${yamlValue(c.weights[0])}, b: ${yamlValue(c.weights[1])} }
      - match:
          path: { regex: ${yamlValue(c.pathRegex)} }
        split: { a: 1 }
      - split: { b: 1 }
${c.kind === 'large' ? largeServices(ports.app) : ''}`;
}

/** 5,000 more services, each with two versions, a header route and a split: a large mesh's config. */
function largeServices(appPort: number): string {
  const lines: string[] = [];
  for (let i = 0; i < LARGE_SERVICES; i++) {
    lines.push(
      `  svc-${i}:`,
      '    port: 8080',
      '    versions:',
      `      v1: { host: svc-${i}-v1.default.svc.cluster.local, port: 8080 }`,
      `      v2: { host: 127.0.0.1, port: ${appPort} }`,
      '    routes:',
      `      - match: { headers: { x-user: { exact: user-${i} } } }`,
      '        split: { v2: 1 }',
      '      - split: { v1: 90, v2: 10 }',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The longest /healthz round trip while it runs: a stalled event loop shows here. */
function watchStalls(sidecar: RunningSidecar): { stop(): Promise<number> } {
  let stopped = false;
  let worst = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      await sidecar.admin_('/healthz').catch(() => undefined);
      worst = Math.max(worst, performance.now() - started);
      await sleep(10);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return worst;
    },
  };
}

/** `meshlet validate FILE`: exit code, output, and how long it took. */
function validate(file: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, 'validate', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

function writeLive(file: string, text: string, how: Write): Promise<void> | void {
  if (how === 'rename') {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  } else if (how === 'in-place') {
    writeFileSync(file, text);
  } else {
    // what `cat > file` and many editors do: the watcher may see the empty file in between
    truncateSync(file, 0);
    return sleep(30).then(() => writeFileSync(file, text));
  }
}

interface LiveState {
  hash: string;
  lastReloadError: unknown;
  loadedAt: string;
}

async function liveState(sidecar: RunningSidecar): Promise<LiveState & { reloads: number }> {
  const config = JSON.parse((await sidecar.admin_('/config')).body) as LiveState;
  const metrics = (await sidecar.admin_('/metrics')).body;
  let reloads = 0;
  for (const m of metrics.matchAll(/^meshlet_config_reloads_total\{[^}]*\} (\S+)$/gm))
    reloads += Number(m[1]);
  return { ...config, reloads };
}

/** The live state once no reload has finished for 600 ms (at most 10 s of waiting). */
async function settledState(sidecar: RunningSidecar): Promise<LiveState & { reloads: number }> {
  let state = await liveState(sidecar);
  for (let quiet = 0, waited = 0; quiet < 600 && waited < 10_000; waited += 150) {
    await sleep(150);
    const next = await liveState(sidecar);
    quiet = next.reloads === state.reloads ? quiet + 150 : 0;
    state = next;
  }
  return state;
}

/** Fails unless `probe` settles within `ms`: a stalled event loop shows here. */
async function within<T>(ms: number, what: string, probe: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The longest a reload may hold up other work on the sidecar. Compiling the
 * 5,000-service config below on the request thread held /healthz for about
 * 2 s on the test machine; compiled off it, under 200 ms. The margin is
 * wide because on a busy two-core machine a small reload's round trip alone
 * reached 430 ms under the parallel test run.
 */
const STALL_LIMIT_MS = 1000;
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

describe('fuzz: config values through validate and hot reload', () => {
  const { seed, seconds } = fuzzSettings(25);
  const dir = tempDir('meshlet-fuzz-config-');
  const liveFile = join(dir, 'mesh.yaml');
  let app: Awaited<ReturnType<typeof startFuzzApp>>;
  let closed: number;
  let live: LiveSidecar;
  let good: string;
  let goodHash: string;

  before(async () => {
    app = await startFuzzApp();
    closed = await freePort();
    good = render(base({}), { app: app.port, closed }, 0);
    writeFileSync(liveFile, good);
    live = new LiveSidecar(() => {
      // a restart (after an input killed the process) starts again from the good config
      writeFileSync(liveFile, good);
      return { configFile: liveFile, env: { MESHLET_APP_PORT: String(app.port) } };
    });
    goodHash = (await liveState(await live.ensure())).hash;
  });
  after(async () => {
    await live?.stop();
    await app?.close();
  });

  let n = 0;
  async function exercise(c: ConfigInput): Promise<void> {
    const text = render(c, { app: app.port, closed }, ++n);
    const probeFile = join(dir, `probe-${n}.yaml`);
    writeFileSync(probeFile, text);

    const v = await validate(probeFile);
    assert.ok(v.code === 0 || v.code === 1, `validate exited ${v.code} (after ${v.ms} ms):\n${v.output}`);
    assert.ok(!STACK.test(v.output), `validate printed a stack trace:\n${v.output}`);
    if (v.code === 1) {
      assert.match(
        v.output,
        new RegExp(`probe-${n}\\.yaml:\\d+:\\d+: \\S`),
        `validate's messages lack file:line:col:\n${v.output}`,
      );
    }
    const accepted = v.code === 0;

    const sidecar = await live.ensure();
    // A reload of the previous input may still be in flight on a busy machine: wait until the
    // reload counter holds still, so the one this input causes is the one judged below.
    const before = await settledState(sidecar);
    const stalls = watchStalls(sidecar);
    await writeLive(liveFile, text, c.write);
    // the reload result: the reload counter moves (an identical empty file may not reload at all)
    let now = before;
    for (let i = 0; i < 50 && now.reloads === before.reloads; i++) {
      await sleep(50);
      if (sidecar.proc.exitCode !== null) break;
      now = await liveState(sidecar).catch(() => now);
    }
    // let a half-written file settle into its final result
    await sleep(250);
    const worstStall = await stalls.stop();
    if (c.kind === 'large')
      console.log(
        `[fuzz] a ${LARGE_SERVICES}-service reload: worst /healthz round trip ${worstStall.toFixed(0)} ms`,
      );
    const where = `config input ${n}: ${JSON.stringify(c).slice(0, 300)}`;
    try {
      assert.ok(
        worstStall < STALL_LIMIT_MS,
        `/healthz took ${worstStall.toFixed(0)} ms while the config reloaded`,
      );
      now = await within(2000, '/config', liveState(sidecar));
      const health = await within(1000, '/healthz', sidecar.admin_('/healthz'));
      assert.equal(health.status, 200, '/healthz');
      if (!accepted)
        assert.equal(now.hash, before.hash, `a config validate rejects replaced the live one:\n${v.output}`);
      if (accepted && now.reloads > before.reloads) {
        assert.equal(
          now.lastReloadError,
          null,
          `validate accepts what the reload rejects: ${JSON.stringify(now.lastReloadError)}`,
        );
      }
      const normal = await rawRequest(
        sidecar.outbound,
        'GET / HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n',
        'GET',
        3000,
      );
      assert.equal(
        normal.kind === 'response' ? normal.response.status : normal.kind,
        200,
        'a normal request after the reload',
      );
      // requests that reach the fuzzed version and the fuzzed regexes; /healthz must answer meanwhile
      for (const req of [
        `GET / HTTP/1.1\r\nHost: fz\r\nx-fz: ${'a'.repeat(30)}\r\nConnection: close\r\n\r\n`,
        `GET /${'a'.repeat(30)} HTTP/1.1\r\nHost: fz\r\nConnection: close\r\n\r\n`,
      ]) {
        const [reply, healthDuring] = await Promise.all([
          rawRequest(sidecar.outbound, req, 'GET', 5000),
          sleep(20).then(() => within(1000, '/healthz during a routed request', sidecar.admin_('/healthz'))),
        ]);
        assert.equal(healthDuring.status, 200);
        assert.equal(reply.kind, 'response', `a request routed by the new config: ${reply.kind}`);
        if (
          reply.kind === 'response' &&
          headerValue(reply.response, APP_MARK) === undefined &&
          reply.response.status >= 400
        ) {
          assert.ok(
            headerValue(reply.response, 'x-meshlet-error') !== undefined,
            `an error without a flag: ${reply.response.statusLine}`,
          );
        }
      }
    } catch (err) {
      await Promise.race([sidecar.exited, sleep(300)]);
      live.assertAlive(sidecar, where);
      throw err;
    }
    live.assertAlive(sidecar, where);
    if (c.kind === 'empty' || c.kind === 'comments' || c.kind === 'whitespace')
      assert.equal(v.code, 1, `an empty or comment-only file must be refused:\n${v.output}`);
    // back to the good config, so each input starts from the same live state
    writeLive(liveFile, good, 'rename');
    for (let i = 0; i < 50; i++) {
      const s = await liveState(sidecar).catch(() => undefined);
      if (s?.hash === goodHash) break;
      await sleep(50);
    }
  }

  it('every case of the seed corpus', async () => {
    const failures: string[] = [];
    for (const c of CORPUS) {
      try {
        await exercise(c);
      } catch (err) {
        failures.push(
          `${JSON.stringify(c)}\n    ${(err as Error).message.split('\n').slice(0, 4).join('\n    ')}`,
        );
      }
    }
    console.log(`[fuzz] config corpus: ${CORPUS.length - failures.length}/${CORPUS.length} pass`);
    assert.equal(failures.length, 0, `${failures.length} corpus cases fail:\n  ${failures.join('\n  ')}`);
  });

  it('validate never crashes; the live sidecar survives every reload, keeps serving, and keeps the last good config', async () => {
    const ran = await checkProperty('config values', configArb, exercise, {
      seconds,
      seed,
      examples: CORPUS,
    });
    assert.ok(ran >= 1);
  });
});
