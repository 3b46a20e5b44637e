// Distributed tracing end to end through two real sidecar processes, with an
// in-process OTLP/HTTP collector that decodes the protobuf exports:
//
//   test (client, with or without trace headers)
//     ─▶ productpage sidecar (outbound: CLIENT span)
//     ─▶ reviews sidecar (inbound: SERVER span) ─▶ reviews app (sees the headers)
//
// The config is a kubelet-style ConfigMap mount, so the test also walks the
// tracing settings through hot reloads: off (SDK not loaded) → sampling 0 →
// sampling 1 → collector unreachable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  freePort,
  KubeletConfigDir,
  type RunningSidecar,
  startServer,
  startSidecar,
} from '../helpers/mesh.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function meshYaml(ports: { reviews: number; dead: number }, tracing: string): string {
  return `mtls: disable
outboundTrafficPolicy: registryOnly
${tracing}
services:
  reviews:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${ports.reviews} }
      v2: { host: 127.0.0.1, port: ${ports.dead} }
    routes:
      - name: broken-canary
        match: { headers: { x-dead: { present: true } } }
        split: { v2: 1 }
      - name: stable
        split: { v1: 1 }
`;
}

const agent = new Agent({ connections: 8 });

/** Spans of one trace once `count` of them arrived (batches come about every second). */
async function traceSpans(rx: OtlpReceiver, traceId: string, count: number): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < 400; i++) {
    const spans = rx.spans.filter((s) => s.traceId === traceId);
    if (spans.length >= count) return spans;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  assert.fail(
    `trace ${traceId}: ${rx.spans.filter((s) => s.traceId === traceId).length} of ${count} spans; received ${rx.spans.length} spans in all`,
  );
}

const one = (spans: ReceivedSpan[], kind: ReceivedSpan['kind']): ReceivedSpan => {
  const found = spans.filter((s) => s.kind === kind);
  assert.equal(found.length, 1, `${kind} spans: ${JSON.stringify(spans.map((s) => [s.kind, s.name]))}`);
  return found[0]!;
};

async function droppedSpans(s: RunningSidecar): Promise<number> {
  const { body } = await s.admin_('/metrics');
  const m = /^meshlet_tracing_spans_dropped_total(?:\{\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(body);
  assert.ok(m, 'meshlet_tracing_spans_dropped_total is exported');
  return Number(m[1]);
}

test('tracing end to end: propagation formats, parent links, sampling and reloads', {
  timeout: 120_000,
}, async (t) => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    const rx = await startOtlpReceiver();
    cleanups.push(() => rx.close());
    /** Headers the app saw, by the x-test-id the client sent. */
    const appSaw = new Map<string, IncomingHttpHeaders>();
    const app = await startServer((req, res) => {
      appSaw.set(String(req.headers['x-test-id']), req.headers);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    cleanups.push(() => app.close());
    const ports = { reviews: await freePort(), dead: await freePort() };
    const cm = new KubeletConfigDir();
    cleanups.push(() => rmSync(cm.dir, { recursive: true, force: true }));
    cm.write(meshYaml(ports, '# tracing off'));

    const [pp, reviews] = await Promise.all([
      startSidecar({
        configFile: cm.file,
        env: {
          MESHLET_SERVICE: 'productpage',
          MESHLET_VERSION: 'v1',
          MESHLET_APP_PORT: String(await freePort()),
        },
      }),
      startSidecar({
        configFile: cm.file,
        env: {
          MESHLET_SERVICE: 'reviews',
          MESHLET_VERSION: 'v1',
          MESHLET_APP_PORT: String(app.port),
          MESHLET_INBOUND_PORT: String(ports.reviews),
        },
      }),
    ]);
    cleanups.push(
      () => pp!.stop(),
      () => reviews!.stop(),
    );
    const sidecars = [pp!, reviews!];

    let calls = 0;
    /** One call through both sidecars; returns the test id the app saw it under. */
    const call = async (headers: Record<string, string> = {}, expectStatus = 200): Promise<string> => {
      const id = `call-${++calls}`;
      const res = await request(`http://127.0.0.1:${pp!.outbound}/reviews/1`, {
        dispatcher: agent,
        headers: { host: 'reviews:9080', 'x-test-id': id, ...headers },
      });
      await res.body.text();
      assert.equal(res.statusCode, expectStatus, id);
      return id;
    };

    const reload = async (tracing: string) => {
      const before = await Promise.all(
        sidecars.map(async (s) => JSON.parse((await s.admin_('/config')).body).hash),
      );
      cm.write(meshYaml(ports, tracing));
      const deadline = Date.now() + 10_000;
      for (let i = 0; i < 200; i++) {
        const now = await Promise.all(
          sidecars.map(async (s) => JSON.parse((await s.admin_('/config')).body)),
        );
        if (now.every((c, k) => c.hash !== before[k] && c.lastReloadError === null)) return;
        if (Date.now() > deadline) break;
        await sleep(100);
      }
      assert.fail(`sidecars did not apply tracing config: ${tracing}`);
    };

    /** A sampled W3C parent: its spans arrive after anything exported before it. */
    const sentinel = async (): Promise<string> => {
      const tid = hex(16);
      await call({ traceparent: `00-${tid}-${hex(8)}-01` });
      await traceSpans(rx, tid, 2);
      return tid;
    };

    await t.test('without a tracing section nothing is traced or injected', async () => {
      for (let i = 0; i < 5; i++) {
        const id = await call();
        assert.equal(appSaw.get(id)!.traceparent, undefined);
        assert.equal(appSaw.get(id)!['x-b3-traceid'], undefined);
      }
      // A caller's own trace headers pass through untouched.
      const traceparent = `00-${hex(16)}-${hex(8)}-01`;
      const id = await call({ traceparent, b3: '1' });
      assert.equal(appSaw.get(id)!.traceparent, traceparent);
      assert.equal(appSaw.get(id)!.b3, '1');
      assert.equal(rx.requests, 0);
    });

    await t.test(
      'sampling 0: requests succeed, "not sampled" is propagated, nothing is exported',
      async () => {
        await reload(`tracing: { sampling: 0, otlpEndpoint: "${rx.url}" }`);
        for (let i = 0; i < 10; i++) {
          const id = await call();
          // The next hop learns the decision instead of rolling its own dice.
          assert.match(String(appSaw.get(id)!.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
        }
        // An unsampled caller's decision is kept too.
        const unsampled = hex(16);
        const id = await call({ traceparent: `00-${unsampled}-${hex(8)}-00` });
        assert.match(String(appSaw.get(id)!.traceparent), new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
        // A sampled parent is followed (parent-based): its spans are the only ones exported.
        const tid = await sentinel();
        assert.deepEqual([...new Set(rx.spans.map((s) => s.traceId))], [tid]);
      },
    );

    await t.test(
      'after a reload to sampling 1, a W3C trace spans client, both sidecars and the app',
      async () => {
        await reload(`tracing: { sampling: 1, otlpEndpoint: "${rx.url}" }`);
        const tid = hex(16);
        const clientSpan = hex(8);
        const id = await call({ traceparent: `00-${tid}-${clientSpan}-01`, tracestate: 'vendor=x' });
        const spans = await traceSpans(rx, tid, 2);
        assert.equal(spans.length, 2);
        const client = one(spans, 'client');
        const server = one(spans, 'server');

        assert.equal(client.parentSpanId, clientSpan, "A's CLIENT span is a child of the caller's span");
        assert.equal(server.parentSpanId, client.spanId, "B's SERVER span is a child of A's CLIENT span");
        assert.equal(client.traceState, 'vendor=x');
        assert.equal(server.traceState, 'vendor=x', 'tracestate travels with the trace');
        assert.notEqual(client.spanId, server.spanId);

        const seen = appSaw.get(id)!;
        assert.equal(seen.traceparent, `00-${tid}-${server.spanId}-01`, 'the app continues the same trace');
        assert.equal(seen['x-b3-traceid'], tid, 'B3 is injected too');
        assert.equal(seen['x-b3-spanid'], server.spanId);

        assert.equal(client.resource['service.name'], 'productpage');
        assert.equal(server.resource['service.name'], 'reviews');
        assert.equal(client.name, 'GET reviews');
        assert.equal(server.name, 'GET reviews');
        for (const s of [client, server]) {
          assert.equal(s.attributes['http.request.method'], 'GET');
          assert.equal(s.attributes['http.response.status_code'], 200);
          assert.equal(s.attributes['meshlet.version'], 'v1');
          assert.equal(s.attributes['meshlet.response_flags'], '-');
          assert.equal(s.attributes['url.path'], '/reviews/1');
          assert.equal(s.status.code, 'unset');
          assert.ok(s.endTimeUnixNano >= s.startTimeUnixNano);
        }
        assert.equal(client.attributes['meshlet.route'], 'stable');
        assert.equal(client.attributes['server.address'], 'reviews.default.svc.cluster.local');
        // (No cross-process time ordering: each process's span clock has its own origin.)
        // One request id on both spans: Jaeger users search by it.
        assert.equal(client.attributes['meshlet.request_id'], server.attributes['meshlet.request_id']);
        // Both sidecars link their duration histogram to this trace (OpenMetrics exemplars).
        for (const s of sidecars) {
          const res = await fetch(`http://127.0.0.1:${s.admin}/metrics`, {
            headers: { accept: 'application/openmetrics-text; version=1.0.0' },
          });
          const text = await res.text();
          const exemplar = new RegExp(
            `^meshlet_request_duration_seconds_bucket\\{.*\\} \\d+ # \\{trace_id="${tid}"\\}`,
            'm',
          );
          assert.match(text, exemplar, `exemplar on :${s.admin}`);
        }
      },
    );

    await t.test('B3 single, B3 multi and Jaeger callers are continued', async () => {
      const cases: { name: string; tid: string; parent: string; headers: Record<string, string> }[] = [];
      for (const name of ['b3 single', 'b3 multi', 'jaeger']) {
        const tid = hex(16);
        const parent = hex(8);
        const headers: Record<string, string> =
          name === 'b3 single'
            ? { b3: `${tid}-${parent}-1` }
            : name === 'b3 multi'
              ? { 'x-b3-traceid': tid, 'x-b3-spanid': parent, 'x-b3-sampled': '1' }
              : { 'uber-trace-id': `${tid}:${parent}:0:1` };
        cases.push({ name, tid, parent, headers });
      }
      const ids = await Promise.all(cases.map((c) => call(c.headers)));
      for (const [i, c] of cases.entries()) {
        const spans = await traceSpans(rx, c.tid, 2);
        const client = one(spans, 'client');
        const server = one(spans, 'server');
        assert.equal(client.parentSpanId, c.parent, c.name);
        assert.equal(server.parentSpanId, client.spanId, c.name);
        const seen = appSaw.get(ids[i]!)!;
        assert.equal(seen.traceparent, `00-${c.tid}-${server.spanId}-01`, c.name);
        // The caller's own format is replaced, not forwarded stale beside the new parent.
        assert.equal(seen.b3, undefined, c.name);
        assert.equal(seen['uber-trace-id'], undefined, c.name);
        assert.equal(seen['x-b3-spanid'], server.spanId, c.name);
      }
    });

    await t.test('a request without trace headers starts a new trace at the first sidecar', async () => {
      const id = await call();
      const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(appSaw.get(id)!.traceparent));
      assert.ok(m, String(appSaw.get(id)!.traceparent));
      const spans = await traceSpans(rx, m[1]!, 2);
      const client = one(spans, 'client');
      assert.equal(client.parentSpanId, '', 'a root span');
      assert.equal(one(spans, 'server').parentSpanId, client.spanId);
    });

    await t.test('ratio sampling: each trace is recorded by both sidecars or by neither', async () => {
      await reload(`tracing: { sampling: 0.5, otlpEndpoint: "${rx.url}" }`);
      const n = 40;
      const traces: { tid: string; sampled: boolean }[] = [];
      for (let i = 0; i < n; i++) {
        const id = await call();
        const m = /^00-([0-9a-f]{32})-[0-9a-f]{16}-(0[01])$/.exec(String(appSaw.get(id)!.traceparent));
        assert.ok(m, String(appSaw.get(id)!.traceparent));
        traces.push({ tid: m[1]!, sampled: m[2] === '01' });
      }
      const sampled = traces.filter((x) => x.sampled).length;
      // Binomial(40, 0.5): all or nothing has probability 2^-39.
      assert.ok(sampled > 0 && sampled < n, `${sampled} of ${n} sampled`);
      await sentinel();
      for (const x of traces) {
        const spans = rx.spans.filter((s) => s.traceId === x.tid);
        assert.deepEqual(
          spans.map((s) => s.kind).sort(),
          x.sampled ? ['client', 'server'] : [],
          `trace ${x.tid} (sampled: ${x.sampled})`,
        );
      }
      await reload(`tracing: { sampling: 1, otlpEndpoint: "${rx.url}" }`);
    });

    await t.test('a proxy error is on the CLIENT span: flag, status code, error status', async () => {
      const tid = hex(16);
      await call({ traceparent: `00-${tid}-${hex(8)}-01`, 'x-dead': '1' }, 503);
      const spans = await traceSpans(rx, tid, 1);
      // Give a SERVER span that should not exist the time to arrive as well.
      await sentinel();
      const all = rx.spans.filter((s) => s.traceId === tid);
      assert.equal(all.length, 1, 'the upstream was never reached: no SERVER span');
      const client = one(spans, 'client');
      assert.equal(client.attributes['meshlet.response_flags'], 'UF');
      assert.equal(client.attributes['http.response.status_code'], 503);
      assert.equal(client.attributes['meshlet.version'], 'v2');
      assert.equal(client.attributes['meshlet.route'], 'broken-canary');
      assert.equal(client.status.code, 'error');
    });

    await t.test(
      "a call refused with NR (registryOnly) is on a CLIENT span of the caller's trace",
      async () => {
        const tid = hex(16);
        const parent = hex(8);
        const res = await request(`http://127.0.0.1:${pp!.outbound}/x`, {
          dispatcher: agent,
          headers: { host: 'nowhere.example', traceparent: `00-${tid}-${parent}-01` },
        });
        await res.body.text();
        assert.equal(res.statusCode, 502);
        await sentinel();
        const spans = rx.spans.filter((s) => s.traceId === tid);
        assert.equal(spans.length, 1, 'one CLIENT span for the refused call');
        const client = one(spans, 'client');
        assert.equal(client.parentSpanId, parent);
        assert.equal(client.attributes['meshlet.response_flags'], 'NR');
        assert.equal(client.attributes['http.response.status_code'], 502);
        assert.equal(client.status.code, 'error');
      },
    );

    /** Sends `n` requests to a collector at `endpoint` and checks each sidecar counts `n` dropped spans. */
    const expectDropped = async (endpoint: string, n: number) => {
      const before = await Promise.all(sidecars.map(droppedSpans));
      await reload(`tracing: { sampling: 1, otlpEndpoint: "${endpoint}" }`);
      const exportsBefore = rx.requests;
      for (let i = 0; i < n; i++) await call();
      const deadline = Date.now() + 30_000;
      let now = before;
      for (let i = 0; i < 300; i++) {
        now = await Promise.all(sidecars.map(droppedSpans));
        if (now.every((v, k) => v - before[k]! >= n)) break;
        if (Date.now() > deadline) break;
        await sleep(200);
      }
      assert.deepEqual(
        now.map((v, k) => v - before[k]!),
        [n, n],
        'each sidecar dropped one span per request',
      );
      assert.equal(rx.requests, exportsBefore, 'nothing reached the old collector');
    };

    await t.test('a collector that answers 500: requests succeed, dropped spans are counted', async () => {
      const failing = await startOtlpReceiver({ status: 500 });
      try {
        await expectDropped(failing.url, 5);
        assert.ok(failing.requests > 0, 'the exports were tried');
      } finally {
        await failing.close();
      }
    });

    await t.test('with the collector down, requests succeed and dropped spans are counted', async () => {
      await expectDropped(`http://127.0.0.1:${await freePort()}/v1/traces`, 20);
    });
  } finally {
    for (const c of cleanups.reverse()) await c();
    await agent.close();
  }
});
