// The soak: mixed traffic at a fixed rate through a two-sidecar mTLS mesh
// (productpage's sidecar → reviews' sidecar → the reviews app) for a set time,
// with config reloads every few seconds, while the sidecars' RSS and heap are
// sampled. Used by `npm run soak` (test/soak/run.ts, long) and by the short
// run in `npm test` (test/soak/soak.test.ts). See docs/testing.md.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { startServer, tempDir } from '../helpers/mesh.ts';
import { freePort, type MeshSidecar, startMeshSidecar, TestPki } from '../helpers/mtls.ts';
import { RawConnection } from '../helpers/raw-http.ts';

export interface SoakOptions {
  seconds: number;
  /** Requests per second, all kinds together. */
  rate: number;
  warmupSeconds: number;
  /** Length of the windows compared for drift: right after warm-up and at the end. */
  windowSeconds: number;
  reloadEverySeconds: number;
  log?: (line: string) => void;
}

/** What each kind of request must get back; anything else is unexpected. */
const KINDS = {
  normal: { share: 0.75, expect: '200 from the app' },
  upload: { share: 0.05, expect: '200 from the app' },
  appError: { share: 0.05, expect: '500 from the app' },
  // UF while the endpoint is tried, UH once outlier ejection has taken it out
  down: { share: 0.03, expect: '503 UF/URX/UH from the sidecar' },
  // a new refused passthrough origin each time: state kept per origin must be bounded and expire
  refused: { share: 0.03, expect: '503 UF/URX/UH from the sidecar' },
  abort: { share: 0.05, expect: 'nothing: the client goes away mid-body' },
  badInput: { share: 0.04, expect: '400 DPE from the sidecar' },
} as const;
type Kind = keyof typeof KINDS;

export interface Sample {
  t: number;
  rss: number;
  heap: number;
  /** Memory of Buffers and other objects outside the JS heap (nodejs_external_memory_bytes): not asserted, it tells where RSS went. */
  external: number;
  /** Heap committed by V8 (nodejs_heap_size_total_bytes), used or not: not asserted either. */
  heapTotal: number;
  /**
   * Used old space (nodejs_heap_space_size_used_bytes{space="old"}): scavenges only
   * add to it (promotion), so it shrinks only when a full collection ran.
   */
  oldSpace: number;
  /** Round trip of the /metrics read: a stalled event loop shows here. */
  adminMs: number;
  inFlight: number;
}

export interface SidecarFigures {
  name: string;
  pid: number;
  samples: Sample[];
  rssStart: number;
  rssWarm: number;
  rssEnd: number;
  heapStart: number;
  heapWarm: number;
  heapEnd: number;
  /** How the heap drift was measured (see figuresOf). */
  heapMethod: string;
  /** The heap drift compares floors after full collections (not the fallback upper bound). */
  heapByFloors: boolean;
  externalStart: number;
  externalWarm: number;
  externalEnd: number;
  heapTotalStart: number;
  heapTotalWarm: number;
  heapTotalEnd: number;
  /** The slowest /metrics read of the run. */
  worstAdminMs: number;
  rssDrift: number;
  heapDrift: number;
}

export interface SoakResult {
  seconds: number;
  sent: number;
  byKind: Record<Kind, { sent: number; ok: number }>;
  /** Requests that got something other than what their kind expects (first few described). */
  unexpected: number;
  unexpectedExamples: string[];
  /** Requests still without an answer when the run ended. */
  lost: number;
  /** Sends the generator could not make on time (it fell behind the rate). */
  behind: number;
  reloads: { written: number; success: number; failure: number };
  sidecars: SidecarFigures[];
  achievedRate: number;
}

const MiB = 1024 * 1024;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

async function metricsOf(sidecar: MeshSidecar): Promise<{
  heap: number;
  heapTotal: number;
  oldSpace: number;
  external: number;
  reloadsOk: number;
  reloadsFailed: number;
}> {
  const body = (await sidecar.admin_('/metrics')).body;
  const value = (re: RegExp) => Number(re.exec(body)?.[1] ?? Number.NaN);
  return {
    heap: value(/^nodejs_heap_size_used_bytes (\S+)$/m),
    external: value(/^nodejs_external_memory_bytes (\S+)$/m),
    heapTotal: value(/^nodejs_heap_size_total_bytes (\S+)$/m),
    oldSpace: value(/^nodejs_heap_space_size_used_bytes\{space="old"\} (\S+)$/m),
    reloadsOk: value(/^meshlet_config_reloads_total\{result="success"\} (\S+)$/m),
    reloadsFailed: value(/^meshlet_config_reloads_total\{result="failure"\} (\S+)$/m),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};

function meshYaml(inbound: Record<string, number>, downPort: number, generation: number): string {
  // each reload changes something real (the timeout), so it is compiled and published, not skipped
  return `# soak generation ${generation}
trustDomain: cluster.local
mtls: strict
services:
  productpage:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.productpage} } }
  reviews:
    port: 9080
    timeout: ${5 + (generation % 2)}s
    versions: { v1: { host: 127.0.0.1, port: ${inbound.reviews} } }
    allow:
      - from: [productpage]
  down:
    port: 9080
    mtls: disable
    versions: { v1: { host: 127.0.0.1, port: ${downPort} } }
`;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const pki = await TestPki.create();
  const cmDir = tempDir('meshlet-soak-');
  const configFile = join(cmDir, 'mesh.yaml');
  const app = await startServer((req, res) => {
    req.resume();
    req.on('error', () => undefined);
    req.on('end', () => {
      res.statusCode = req.url === '/error' ? 500 : 200;
      res.setHeader('x-soak-app', '1');
      res.end('ok');
    });
  });
  const inbound = { productpage: await freePort(), reviews: await freePort() };
  const downPort = await freePort();
  let generation = 0;
  writeFileSync(configFile, meshYaml(inbound, downPort, generation));
  const sidecars: Record<string, MeshSidecar> = {};
  for (const name of ['productpage', 'reviews'] as const) {
    const tls = pki.mount(name, await pki.svid(name));
    sidecars[name] = await startMeshSidecar({
      service: name,
      inbound: inbound[name],
      configFile,
      tlsDir: tls.dir,
      appPort: app.port,
      // a line per request would measure the log pipe, not the proxy
      env: { MESHLET_LOG_LEVEL: 'info', MESHLET_ACCESS_LOG: '0' },
    });
  }
  const caller = sidecars.productpage!;
  const pool = new Pool(`http://127.0.0.1:${caller.outbound}`, {
    connections: 128,
    keepAliveTimeout: 10_000,
  });

  const byKind = Object.fromEntries(
    Object.keys(KINDS).map((k) => [k, { sent: 0, ok: 0 }]),
  ) as SoakResult['byKind'];
  let sent = 0;
  let answered = 0;
  let unexpected = 0;
  let behind = 0;
  let peakInFlight = 0;
  const unexpectedExamples: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const bad = (kind: Kind, what: string) => {
    unexpected++;
    if (unexpectedExamples.length < 10)
      unexpectedExamples.push(`${kind}: ${what} (expected ${KINDS[kind].expect})`);
  };

  async function one(kind: Kind, n: number): Promise<void> {
    byKind[kind].sent++;
    try {
      if (kind === 'abort' || kind === 'badInput') {
        const conn = new RawConnection(caller.outbound);
        try {
          if (kind === 'abort') {
            await conn.send(
              `POST /upload-${n} HTTP/1.1\r\nHost: reviews\r\nContent-Length: 10000\r\n\r\n${'a'.repeat(3000)}`,
            );
            await sleep(5);
            byKind[kind].ok++;
            return;
          }
          await conn.send(
            'POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
          );
          const r = await conn.read('POST', 10_000);
          const flag =
            r.kind === 'response'
              ? r.response.headers.find(([h]) => h === 'x-meshlet-error')?.[1]
              : undefined;
          if (r.kind === 'response' && r.response.status === 400 && flag === 'DPE') byKind[kind].ok++;
          else bad(kind, r.kind === 'response' ? r.response.statusLine : r.kind);
          return;
        } finally {
          conn.destroy();
        }
      }
      const res = await pool.request({
        method: kind === 'upload' ? 'POST' : 'GET',
        path: kind === 'appError' ? '/error' : `/item/${n}`,
        headers: { host: kind === 'down' ? 'down' : kind === 'refused' ? refusedOrigin(n) : 'reviews' },
        body: kind === 'upload' ? 'u'.repeat(2048) : undefined,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      const fromApp = res.headers['x-soak-app'] === '1';
      const flag = res.headers['x-meshlet-error'];
      const ok =
        kind === 'down' || kind === 'refused'
          ? res.statusCode === 503 && (flag === 'UF' || flag === 'URX' || flag === 'UH')
          : fromApp && res.statusCode === (kind === 'appError' ? 500 : 200);
      if (ok) byKind[kind].ok++;
      else bad(kind, `${res.statusCode} ${flag ?? ''}`);
    } catch (err) {
      bad(kind, `${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      answered++;
    }
  }

  // 127/8 is all loopback, and nothing listens on downPort on any of it
  const refusedOrigin = (n: number) =>
    `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255) | 1}:${downPort}`;
  const pickKind = (): Kind => {
    let r = Math.random();
    for (const [k, v] of Object.entries(KINDS)) {
      r -= v.share;
      if (r < 0) return k as Kind;
    }
    return 'normal';
  };

  // samples: one per second per sidecar
  const samples: Record<string, Sample[]> = { productpage: [], reviews: [] };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const sampleAll = async () => {
    for (const [name, s] of Object.entries(sidecars)) {
      const t0 = performance.now();
      const { heap, heapTotal, oldSpace, external } = await metricsOf(s);
      const adminMs = performance.now() - t0;
      samples[name]!.push({
        t: elapsed(),
        rss: rssOf(s.proc.pid!),
        heap,
        heapTotal,
        oldSpace,
        external,
        adminMs,
        inFlight: inFlight.size,
      });
    }
  };
  await sampleAll();
  const rssAtStart = Object.fromEntries(Object.entries(sidecars).map(([n, s]) => [n, rssOf(s.proc.pid!)]));
  log(
    `[soak] start: ${Object.entries(rssAtStart)
      .map(([n, r]) => `${n} RSS ${(r / MiB).toFixed(1)} MiB`)
      .join(', ')}; ${opts.rate} req/s for ${opts.seconds} s, warm-up ${opts.warmupSeconds} s`,
  );

  let warmLogged = false;
  const sampler = setInterval(() => {
    sampleAll()
      .then(() => {
        if (!warmLogged && elapsed() >= opts.warmupSeconds) {
          warmLogged = true;
          log(`[soak] after warm-up (${elapsed().toFixed(0)} s): ${describe(samples)}; ${sent} sent`);
        }
      })
      .catch(() => undefined);
  }, 1000);
  let written = 0;
  const reloader = setInterval(() => {
    generation++;
    written++;
    writeFileSync(`${configFile}.tmp`, meshYaml(inbound, downPort, generation));
    renameSync(`${configFile}.tmp`, configFile);
  }, opts.reloadEverySeconds * 1000);
  let lastReport = 0;

  // a fixed rate: every 5 ms, send what the clock says is due (an open-loop generator)
  const maxInFlight = Math.max(200, opts.rate * 2);
  while (elapsed() < opts.seconds) {
    const due = Math.floor(elapsed() * opts.rate);
    while (sent < due) {
      if (inFlight.size >= maxInFlight) {
        if (behind === 0)
          log(
            `[soak] ${elapsed().toFixed(1)} s: ${inFlight.size} requests in flight, the generator falls behind`,
          );
        behind += due - sent;
        sent = due;
        break;
      }
      const n = ++sent;
      const p = one(pickKind(), n).finally(() => inFlight.delete(p));
      inFlight.add(p);
      peakInFlight = Math.max(peakInFlight, inFlight.size);
    }
    if (elapsed() - lastReport >= 30) {
      lastReport = elapsed();
      log(
        `[soak] ${elapsed().toFixed(0)} s: ${describe(samples)}; ${sent} sent, ${unexpected} unexpected, ${inFlight.size} in flight`,
      );
    }
    await sleep(5);
  }
  clearInterval(reloader);
  // every request gets its answer (or its own timeout) before counting
  const drainDeadline = Date.now() + 15_000;
  while (inFlight.size > 0 && Date.now() < drainDeadline) await sleep(50);
  clearInterval(sampler);
  await sampleAll();
  const lost = sent - behind - answered;

  const reloads = { written, success: 0, failure: 0 };
  for (const s of Object.values(sidecars)) {
    const m = await metricsOf(s);
    // the start-up load counts as one success in each sidecar
    reloads.success += m.reloadsOk - 1;
    reloads.failure += m.reloadsFailed;
  }

  const figures = Object.entries(sidecars).map(([name, s]) =>
    figuresOf(name, s.proc.pid!, samples[name]!, rssAtStart[name]!, opts),
  );
  log(`[soak] end (${elapsed().toFixed(0)} s): ${describe(samples)}`);
  for (const f of figures) {
    log(
      `[soak] ${f.name}: RSS start ${(f.rssStart / MiB).toFixed(1)} / after warm-up ${(f.rssWarm / MiB).toFixed(1)} / end ${(f.rssEnd / MiB).toFixed(1)} MiB (drift ${(f.rssDrift * 100).toFixed(1)} %); heap start ${(f.heapStart / MiB).toFixed(1)} / after warm-up ${(f.heapWarm / MiB).toFixed(1)} / end ${(f.heapEnd / MiB).toFixed(1)} MiB (drift ${(f.heapDrift * 100).toFixed(1)} %, ${f.heapMethod}); slowest /metrics ${f.worstAdminMs.toFixed(0)} ms; heap committed ${(f.heapTotalStart / MiB).toFixed(1)} / ${(f.heapTotalWarm / MiB).toFixed(1)} / ${(f.heapTotalEnd / MiB).toFixed(1)} MiB; external memory ${(f.externalStart / MiB).toFixed(1)} / ${(f.externalWarm / MiB).toFixed(1)} / ${(f.externalEnd / MiB).toFixed(1)} MiB`,
    );
  }
  const result: SoakResult = {
    seconds: opts.seconds,
    sent: sent - behind,
    byKind,
    unexpected,
    unexpectedExamples,
    lost,
    behind,
    reloads,
    sidecars: figures,
    achievedRate: (sent - behind) / opts.seconds,
  };
  log(
    `[soak] ${result.sent} requests (${result.achievedRate.toFixed(0)} req/s; ${behind} not sent on time, at most ${peakInFlight} in flight): ${Object.entries(
      byKind,
    )
      .map(([k, v]) => `${k} ${v.ok}/${v.sent}`)
      .join(
        ', ',
      )}; ${unexpected} unexpected, ${lost} lost; reloads written ${written}, applied ${reloads.success}, rejected ${reloads.failure} (both sidecars)`,
  );
  for (const e of unexpectedExamples) log(`[soak]   unexpected: ${e}`);

  await pool.close();
  await Promise.all(Object.values(sidecars).map((s) => s.stop()));
  await app.close();
  pki.cleanup();
  return result;
}

function describe(samples: Record<string, Sample[]>): string {
  return Object.entries(samples)
    .map(([n, s]) => {
      const last = s.at(-1);
      return last === undefined
        ? n
        : `${n} RSS ${(last.rss / MiB).toFixed(1)} MiB heap ${(last.heap / MiB).toFixed(1)} MiB`;
    })
    .join(', ');
}

/**
 * RSS drift compares the median of the window right after warm-up with the
 * median of the last window. Heap drift compares the floor the heap returns
 * to after full collections: V8 lets the old space climb for tens of seconds
 * between them (a sawtooth from ~20 to ~70 MiB here), so a sample between
 * collections says nothing about a leak, while a leak raises the floor. A
 * full collection shows as a sample at least 15 % below the one before; the
 * lowest floor of the first half after warm-up is compared with the lowest of
 * the second (the median of the floors gave 0.9 % for a sidecar in one 120 s
 * run and 14.4 % in the next, as a sample lands a varying time after its
 * collection). When a half saw no full collection, the lowest sample of each
 * half is used instead and heapByFloors says so: that figure is only a rough
 * one, since a sample between collections carries garbage.
 */
function figuresOf(
  name: string,
  pid: number,
  samples: Sample[],
  rssStart: number,
  opts: SoakOptions,
): SidecarFigures {
  const warm = samples.filter((s) => s.t >= opts.warmupSeconds);
  const endT = samples.at(-1)?.t ?? 0;
  const first = warm.filter((s) => s.t < opts.warmupSeconds + opts.windowSeconds);
  const last = warm.filter((s) => s.t > endT - opts.windowSeconds);
  const rssWarm = median(first.map((s) => s.rss));
  const rssEnd = median(last.map((s) => s.rss));
  const mid = (opts.warmupSeconds + endT) / 2;
  // A full collection ran between two samples when the old space shrank (a
  // scavenge only adds to it). The used heap dropping by 15 % or more was the
  // sign before, but a heap V8 sizes for memory stays within about 15 % of
  // its floor, so that missed collections.
  const floors = warm.filter((s, i) => {
    const before = warm[i - 1];
    return before !== undefined && s.oldSpace < before.oldSpace;
  });
  const early = floors.filter((s) => s.t < mid).map((s) => s.heap);
  const late = floors.filter((s) => s.t >= mid).map((s) => s.heap);
  const byFloors = early.length > 0 && late.length > 0;
  const heapWarm = byFloors
    ? Math.min(...early)
    : Math.min(...warm.filter((s) => s.t < mid).map((s) => s.heap));
  const heapEnd = byFloors
    ? Math.min(...late)
    : Math.min(...warm.filter((s) => s.t >= mid).map((s) => s.heap));
  return {
    name,
    pid,
    samples,
    rssStart,
    rssWarm,
    rssEnd,
    heapStart: samples[0]?.heap ?? Number.NaN,
    heapWarm,
    heapEnd,
    heapByFloors: byFloors,
    heapMethod: byFloors
      ? `floors after ${floors.length} full collections`
      : 'lowest sample per half (no full collection in a half)',
    externalStart: samples[0]?.external ?? Number.NaN,
    externalWarm: median(first.map((s) => s.external)),
    externalEnd: median(last.map((s) => s.external)),
    heapTotalStart: samples[0]?.heapTotal ?? Number.NaN,
    heapTotalWarm: median(first.map((s) => s.heapTotal)),
    heapTotalEnd: median(last.map((s) => s.heapTotal)),
    worstAdminMs: Math.max(...samples.map((s) => s.adminMs)),
    rssDrift: (rssEnd - rssWarm) / rssWarm,
    heapDrift: (heapEnd - heapWarm) / heapWarm,
  };
}
