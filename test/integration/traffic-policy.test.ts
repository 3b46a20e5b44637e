// Traffic policy end to end (docs/configuration.md, "Traffic policy"): real
// sidecar processes and apps on loopback. Fault, mirror, headers, redirect,
// rewrite and query match are applied by the caller's sidecar; the rate limit
// by the callee's, over mTLS so the caller's principal is verified.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  type RunningSidecar,
  rawExchange,
  serviceYaml,
  startServer,
  startSidecar,
  tempDir,
} from '../helpers/mesh.ts';
import {
  callVia,
  type MeshSidecar,
  metricSum,
  prepareMesh,
  spiffe,
  startMeshSidecars,
  startRecordingApp,
  stopMesh,
  TestPki,
  waitFor,
} from '../helpers/mtls.ts';

const agent = new Agent({ connections: 64, keepAliveTimeout: 4000 });

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

async function call(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<Reply> {
  const started = performance.now();
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent,
    method: (opts.method ?? 'GET') as 'GET',
    headers: { host: opts.host ?? 'web', ...opts.headers },
    body: opts.body,
  });
  const body = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers as IncomingHttpHeaders,
    body,
    ms: performance.now() - started,
  };
}

/** Runs `n` calls with at most `width` in flight. */
async function many(n: number, width: number, one: (i: number) => Promise<Reply>): Promise<Reply[]> {
  const out: Reply[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await one(i);
      }
    }),
  );
  return out;
}

/** Two-sided p-value of `k` successes in `n` trials at `p`, by the normal approximation (n p (1-p) large). */
function binomialPValue(k: number, n: number, p: number): number {
  const z = Math.abs(k - n * p) / Math.sqrt(n * p * (1 - p));
  return erfc(z / Math.SQRT2);
}

// Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * Math.exp(-x * x);
}

interface Seen {
  version: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Version apps that record what they saw and answer with it (x-served-by: version). */
async function startApps(
  names: string[],
  behave: (name: string, res: import('node:http').ServerResponse) => boolean = () => false,
) {
  const seen: Seen[] = [];
  const servers = await Promise.all(
    names.map((name) =>
      startServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          seen.push({ version: name, method: req.method!, url: req.url!, headers: req.headers, body });
          if (behave(name, res)) return;
          res.setHeader('x-served-by', name);
          res.setHeader('x-app-only', 'app');
          res.setHeader('x-app-replaced', 'app');
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ version: name, url: req.url, headers: req.headers, body }));
        });
      }),
    ),
  );
  return {
    seen,
    ports: Object.fromEntries(names.map((n, i) => [n, servers[i]!.port])) as Record<string, number>,
    close: () => Promise.all(servers.map((s) => s.close())),
  };
}

describe('traffic policy on the caller side (one sidecar, mtls: disable)', () => {
  let apps: Awaited<ReturnType<typeof startApps>>;
  let sidecar: RunningSidecar;
  let configFile: string;
  let shadowMode: 'ok' | 'hang' | 'fail' = 'ok';

  const routes = () => `      - name: fault-abort
        match: { path: { prefix: /abort } }
        split: { v1: 1 }
        fault: { abort: { percent: 30, status: 503 } }
      - name: fault-abort-grpc
        match: { path: { prefix: /grpc-abort } }
        split: { v1: 1 }
        fault: { abort: { percent: 100, grpcStatus: resource-exhausted } }
      - name: fault-delay
        match: { path: { prefix: /delay } }
        split: { v2: 1 }
        timeout: 190ms
        fault: { delay: { percent: 50, duration: 200ms } }
      - name: mirrored
        match: { path: { prefix: /mirror } }
        split: { v1: 1 }
        mirror: { version: shadow }
      - name: mirror-bound
        match: { path: { prefix: /bound } }
        split: { v1: 1 }
        timeout: 5s
        mirror: { version: shadow }
      - name: headers
        match: { path: { prefix: /headers } }
        split: { v1: 1 }
        headers:
          request: { set: { x-set: route }, add: { x-add: route }, remove: [x-drop] }
          response: { set: { x-app-replaced: route }, add: { x-route-added: yes }, remove: [x-app-only] }
${[301, 302, 303, 307, 308]
  .map(
    (s) => `      - name: redirect-${s}
        match: { path: { prefix: /r${s} } }
        redirect: { host: example.com, status: ${s} }`,
  )
  .join('\n')}
      - name: redirect-full
        match: { path: { exact: /moved } }
        redirect: { scheme: https, host: new.example.com, port: 8443, path: /landing }
      - name: rewrite
        match: { path: { prefix: /old } }
        split: { v1: 1 }
        rewrite: { pathPrefix: /new, host: rewritten.example }
      - name: query
        match: { path: { exact: /q }, query: { v: { exact: "2" } } }
        split: { v2: 1 }
      - name: segment
        match: { path: { prefix: /v2 } }
        split: { v2: 1 }
      - name: default
        split: { v1: 1 }
`;
  const write = (extraRoutes = '') =>
    writeFileSync(configFile, serviceYaml('web', apps.ports, extraRoutes + routes()));

  before(async () => {
    apps = await startApps(['v1', 'v2', 'shadow'], (name, res) => {
      if (name !== 'shadow' || shadowMode === 'ok') return false;
      if (shadowMode === 'fail') {
        res.writeHead(500).end('shadow broke');
        return true;
      }
      return true; // hang: never answers
    });
    configFile = join(tempDir(), 'mesh.yaml');
    write();
    sidecar = await startSidecar({ configFile });
  });
  after(async () => {
    await sidecar.stop();
    await apps.close();
    await agent.close();
  });

  it('an abort of 30 % over 2,000 requests passes a binomial test (p > 0.001); every abort is 503 FI', async (t) => {
    const replies = await many(2000, 16, () => call(sidecar.outbound, '/abort'));
    const aborted = replies.filter((r) => r.status === 503);
    for (const r of aborted) assert.equal(r.headers['x-meshlet-error'], 'FI');
    for (const r of replies.filter((x) => x.status !== 503)) {
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-served-by'], 'v1');
    }
    const p = binomialPValue(aborted.length, 2000, 0.3);
    assert.ok(p > 0.001, `${aborted.length} aborts of 2000 at 30 %: p = ${p}`);
    t.diagnostic(`${aborted.length} aborts of 2000 (p = ${p.toFixed(3)})`);
    const fi = await metricSum(sidecar, 'meshlet_requests_total', {
      response_flags: 'FI',
      response_code: '503',
    });
    assert.equal(fi, aborted.length);
  });

  it('an abort answers a gRPC caller with the configured gRPC status', async () => {
    const r = await call(sidecar.outbound, '/grpc-abort', {
      method: 'POST',
      headers: { 'content-type': 'application/grpc' },
      body: '',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['grpc-status'], '8');
    assert.equal(r.headers['x-meshlet-error'], 'FI');
    // Recorded with the status it answered, not the error table's UNAVAILABLE.
    assert.equal(
      await metricSum(sidecar, 'meshlet_requests_total', { response_flags: 'FI', grpc_response_status: '8' }),
      1,
    );
  });

  it('an abort before the body is in closes the connection instead of reading the rest', async () => {
    const head =
      'POST /grpc-abort HTTP/1.1\r\nHost: web\r\ncontent-type: application/grpc\r\ncontent-length: 100000000\r\n\r\n';
    const started = performance.now();
    const raw = await rawExchange(sidecar.outbound, `${head}${'x'.repeat(1000)}`, 5000);
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.match(raw, /x-meshlet-error: FI/i);
    assert.match(raw, /connection: close/i);
    assert.ok(performance.now() - started < 4000, 'closed without waiting for the body');
  });

  it('a 200 ms delay on 50 % shows in the latency buckets, flagged DI, outside the 190 ms route timeout', async (t) => {
    const bucket = async (le: string) =>
      metricSum(sidecar, 'meshlet_request_duration_seconds_bucket', {
        reporter: 'source',
        destination_version: 'v2',
        response_code: '200',
        le,
      });
    const di = () =>
      metricSum(sidecar, 'meshlet_requests_total', { response_flags: 'DI', response_code: '200' });
    const before = { fast: await bucket('0.1'), all: await bucket('+Inf'), di: await di() };
    const n = 200;
    const replies = await many(n, 20, () => call(sidecar.outbound, '/delay'));
    for (const r of replies) assert.equal(r.status, 200, r.body);
    const delayed = (await di()) - before.di;
    assert.ok(binomialPValue(delayed, n, 0.5) > 0.001, `${delayed} of ${n} delayed`);
    t.diagnostic(`${delayed} of ${n} delayed`);
    // None of the delayed ones is in a bucket under 100 ms, and none hit the 190 ms route timeout.
    assert.equal((await bucket('+Inf')) - before.all, n);
    const fast = (await bucket('0.1')) - before.fast;
    assert.ok(fast <= n - delayed, `${fast} under 100 ms, ${delayed} delayed`);
    // A timer may fire a millisecond early: 190 ms tells the delayed from the rest.
    assert.ok(replies.filter((r) => r.ms >= 190).length >= delayed);
  });

  it('a mirror of 100 % delivers every request, body included, to the shadow; the caller sees only v1', async () => {
    shadowMode = 'ok';
    apps.seen.length = 0;
    const n = 50;
    const replies = await many(n, 8, (i) =>
      call(sidecar.outbound, `/mirror/${i}`, { method: 'POST', body: `payload-${i}-${'x'.repeat(i * 100)}` }),
    );
    for (const r of replies) {
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-served-by'], 'v1');
    }
    const copies = await waitFor('every copy at the shadow', () => {
      const s = apps.seen.filter((x) => x.version === 'shadow');
      return s.length >= n ? s : undefined;
    });
    assert.equal(copies.length, n);
    for (const c of copies) {
      const i = Number(c.url.split('/')[2]);
      assert.equal(c.body, `payload-${i}-${'x'.repeat(i * 100)}`);
      assert.equal(c.headers.host, 'web-shadow');
      assert.equal(c.headers['x-meshlet-mirror'], '1');
      assert.equal(c.method, 'POST');
    }
    const originals = apps.seen.filter((x) => x.version === 'v1' && x.url.startsWith('/mirror/'));
    assert.equal(originals.length, n);
    for (const o of originals) assert.equal(o.headers['x-meshlet-mirror'], undefined);
  });

  for (const mode of ['hang', 'fail'] as const) {
    it(`a shadow that ${mode === 'hang' ? 'hangs' : 'answers 500'} changes nothing for the caller`, async () => {
      shadowMode = 'ok';
      const base = await many(40, 4, (i) =>
        call(sidecar.outbound, `/headers/${i}`, { method: 'POST', body: 'b' }),
      );
      shadowMode = mode;
      const mirrored = await many(40, 4, (i) =>
        call(sidecar.outbound, `/mirror/${i}`, { method: 'POST', body: 'b' }),
      );
      for (const r of mirrored) {
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-served-by'], 'v1');
      }
      const median = (rs: Reply[]) => rs.map((r) => r.ms).sort((a, b) => a - b)[rs.length >> 1]!;
      assert.ok(
        median(mirrored) < median(base) + 50,
        `median ${median(mirrored).toFixed(1)} ms mirrored vs ${median(base).toFixed(1)} ms`,
      );
      shadowMode = 'ok';
    });
  }

  it('copies beyond the 256 in flight are dropped and counted; the caller is unaffected', async () => {
    shadowMode = 'hang';
    const dropped = () => metricSum(sidecar, 'meshlet_mirror_dropped_total');
    const before = await dropped();
    const replies = await many(300, 16, (i) => call(sidecar.outbound, `/bound/${i}`));
    for (const r of replies) {
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-served-by'], 'v1');
    }
    // Every copy hangs for the route's 5 s: at most 256 are made, the rest are counted.
    assert.ok((await dropped()) - before >= 300 - 256, `${(await dropped()) - before} dropped`);
    shadowMode = 'ok';
  });

  it('sets, adds and removes request and response headers exactly', async () => {
    const r = await call(sidecar.outbound, '/headers/x', {
      headers: { 'x-set': 'caller', 'x-add': 'caller', 'x-drop': 'gone', 'x-keep': 'kept' },
    });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body).headers as IncomingHttpHeaders;
    assert.equal(seen['x-set'], 'route');
    assert.equal(seen['x-add'], 'caller, route');
    assert.equal(seen['x-drop'], undefined);
    assert.equal(seen['x-keep'], 'kept');
    assert.equal(r.headers['x-app-replaced'], 'route');
    assert.equal(r.headers['x-route-added'], 'yes');
    assert.equal(r.headers['x-app-only'], undefined);
    assert.equal(r.headers['x-served-by'], 'v1');
  });

  it('answers each redirect status with the right Location, recorded with its status', async () => {
    for (const s of [301, 302, 303, 307, 308]) {
      const r = await call(sidecar.outbound, `/r${s}/a/b?c=d`);
      assert.equal(r.status, s);
      assert.equal(r.headers.location, `http://example.com/r${s}/a/b?c=d`);
      assert.equal(
        await metricSum(sidecar, 'meshlet_requests_total', {
          response_code: String(s),
          reporter: 'source',
          destination_service_name: 'web',
        }),
        1,
      );
    }
    const full = await call(sidecar.outbound, '/moved?x=1', { host: 'web:9080' });
    assert.equal(full.status, 302);
    assert.equal(full.headers.location, 'https://new.example.com:8443/landing?x=1');
  });

  it('a redirect route answers a WebSocket upgrade with the redirect, forwarding nothing', async () => {
    const raw = await rawExchange(
      sidecar.outbound,
      'GET /r308/ws HTTP/1.1\r\nHost: web\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1\.1 308 /);
    assert.match(raw, /\r\nlocation: http:\/\/example\.com\/r308\/ws\r\n/);
  });

  it('a path-prefix rewrite forwards the replaced path and Host', async () => {
    apps.seen.length = 0;
    const r = await call(sidecar.outbound, '/old/x/y?z=1');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.url, '/new/x/y?z=1');
    assert.equal(seen.headers.host, 'rewritten.example');
    assert.equal((await call(sidecar.outbound, '/old')).body.includes('"url":"/new"'), true);
    // `/oldish` is not under `/old`: the default route, unchanged.
    assert.equal(JSON.parse((await call(sidecar.outbound, '/oldish')).body).url, '/oldish');
  });

  it('matches query parameters exactly', async () => {
    const version = async (path: string) => (await call(sidecar.outbound, path)).headers['x-served-by'];
    assert.equal(await version('/q?v=2'), 'v2');
    assert.equal(await version('/q?a=1&v=2'), 'v2');
    assert.equal(await version('/q?v=%32'), 'v2');
    assert.equal(await version('/q?v=22'), 'v1');
    assert.equal(await version('/q?v=2x'), 'v1');
    assert.equal(await version('/q?V=2'), 'v1');
    assert.equal(await version('/q'), 'v1');
    assert.equal(await version('/q?v=1&v=2'), 'v1');
  });

  it('path prefixes match on segment boundaries', async () => {
    const version = async (path: string) => (await call(sidecar.outbound, path)).headers['x-served-by'];
    assert.equal(await version('/v2'), 'v2');
    assert.equal(await version('/v2/'), 'v2');
    assert.equal(await version('/v2/x'), 'v2');
    assert.equal(await version('/v2example'), 'v1');
  });

  it('every option reloads live', async () => {
    write(`      - name: live
        match: { path: { prefix: /live } }
        split: { v1: 1 }
        headers: { response: { set: { x-live: "1" } } }
        fault: { abort: { percent: 100, status: 418 } }
`);
    const r = await waitFor('the reloaded fault', async () => {
      const x = await call(sidecar.outbound, '/live');
      return x.status === 418 ? x : undefined;
    });
    assert.equal(r.headers['x-meshlet-error'], 'FI');
    write(`      - name: live
        match: { path: { prefix: /live } }
        split: { v1: 1 }
        headers: { response: { set: { x-live: "1" } } }
`);
    const ok = await waitFor('the fault removed', async () => {
      const x = await call(sidecar.outbound, '/live');
      return x.status === 200 ? x : undefined;
    });
    assert.equal(ok.headers['x-live'], '1');
    write();
  });
});

describe('rate limit on the callee side (three sidecars over mTLS)', () => {
  let pki: TestPki;
  let cmDir: string;
  const apps: Record<string, Awaited<ReturnType<typeof startRecordingApp>>> = {};
  const sidecars: Record<string, MeshSidecar> = {};

  before(async () => {
    pki = await TestPki.create();
    const names = ['api', 'flood', 'steady'] as const;
    let inbound: Record<string, number>;
    let configFile: string;
    ({ inbound, cmDir, configFile } = await prepareMesh(
      names,
      apps,
      startRecordingApp,
      (inbound) => `trustDomain: cluster.local
mtls: strict
services:
  api:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.api} } }
    rateLimit:
      requestsPerSecond: 50
      burst: 10
      perCaller: { steady: { requestsPerSecond: 40, burst: 10 } }
  flood:
    versions: { v1: { host: 127.0.0.1, port: ${inbound.flood} } }
  steady:
    versions: { v1: { host: 127.0.0.1, port: ${inbound.steady} } }
`,
    ));
    Object.assign(sidecars, await startMeshSidecars(pki, names, { inbound, configFile, apps }));
  });
  after(async () => {
    await stopMesh({ sidecars, apps, pki, configDir: cmDir });
  });

  it('50 req/s burst 10 under a 200 req/s caller lets 50 ± 10 % per second through; a perCaller caller is unaffected', async (t) => {
    const { api, flood, steady } = sidecars as Required<typeof sidecars>;
    // Warm the mTLS connections so handshakes do not eat into the measured window.
    await callVia(steady.outbound, 'api', '/warm');
    await sleep(1000);
    const seconds = 4;
    const floodResults: Array<{ status: number; flag: unknown; retryAfter: unknown }> = [];
    const steadyResults: number[] = [];
    const paced = async (rate: number, fire: () => Promise<void>) => {
      const started = performance.now();
      const total = rate * seconds;
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(fire());
      }
      await Promise.all(inFlight);
      return performance.now() - started;
    };
    const [floodMs] = await Promise.all([
      paced(200, async () => {
        const r = await callVia(flood.outbound, 'api', '/flood');
        floodResults.push({
          status: r.status,
          flag: r.headers['x-meshlet-error'],
          retryAfter: r.headers['retry-after'],
        });
      }),
      paced(20, async () => {
        steadyResults.push((await callVia(steady.outbound, 'api', '/steady')).status);
      }),
    ]);
    const allowed = floodResults.filter((r) => r.status === 200).length;
    const limited = floodResults.filter((r) => r.status === 429);
    assert.equal(allowed + limited.length, floodResults.length, 'only 200 and 429');
    for (const r of limited) {
      assert.equal(r.flag, 'RL');
      assert.ok(Number(r.retryAfter) >= 1);
    }
    // The burst, then the refill rate over the window.
    const perSecond = (allowed - 10) / (floodMs / 1000);
    assert.ok(
      perSecond >= 45 && perSecond <= 55,
      `${perSecond.toFixed(1)} req/s let through (${allowed} in ${floodMs.toFixed(0)} ms)`,
    );
    t.diagnostic(
      `${perSecond.toFixed(1)} req/s let through (${allowed} of ${floodResults.length} in ${floodMs.toFixed(0)} ms)`,
    );
    assert.deepEqual(
      steadyResults.filter((s) => s !== 200),
      [],
      'the perCaller caller is never limited',
    );
    assert.equal(
      await metricSum(api, 'meshlet_rate_limited_total', {
        destination_service: 'api.default.svc.cluster.local',
        source_principal: spiffe('flood'),
      }),
      limited.length,
    );
  });
});
