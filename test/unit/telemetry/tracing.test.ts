import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TRACE_HEADERS } from '../../../src/telemetry/tracing/propagation.ts';
import { createTracing } from '../../../src/telemetry/tracing.ts';
import type { MeshTracing } from '../../../src/telemetry/types.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../../helpers/otlp-receiver.ts';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';

/** Flat [name, value, ...] array as a lower-cased map (last value wins). */
function headerMap(flat: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!.toLowerCase(), flat[i + 1]!);
  return m;
}

describe('createTracing', () => {
  let receiver: OtlpReceiver;
  const tracers: MeshTracing[] = [];
  const tracing = (sampling: number, endpoint: string | null = receiver.url, onDropped?: () => void) => {
    const t = createTracing({
      serviceName: 'reviews',
      sampling,
      otlpEndpoint: endpoint,
      random: Math.random,
      onDropped,
      scheduledDelayMillis: 20,
    });
    tracers.push(t);
    return t;
  };

  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await Promise.all(tracers.map((t) => t.shutdown()));
    await receiver.close();
  });

  it('exports a SERVER span with its attributes, status and flags through real OTLP/protobuf', async () => {
    const t = tracing(1);
    const injected: string[] = [
      'Host',
      'reviews:9080',
      'traceparent',
      `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
    ];
    // The attributes the inbound listener builds for a request.
    const attributes = {
      'http.request.method': 'GET',
      'url.path': '/reviews/1',
      'server.address': 'reviews',
      'network.peer.address': '127.0.0.1',
      'meshlet.request_id': 'rid-42',
    };
    const handle = t.start('server', 'GET reviews', { 'user-agent': 'curl/8' }, () => attributes);
    assert.ok(handle);
    handle.setAttribute('meshlet.route', 'reviews/0');
    handle.setAttribute('meshlet.version', 'v2');
    handle.inject(injected);
    handle.end(200, '-');
    assert.match(handle.traceId, /^[0-9a-f]{32}$/);
    const spans = await receiver.waitForSpans(1);
    const span = spans.find((s) => s.traceId === handle.traceId)!;
    assert.equal(span.kind, 'server');
    assert.equal(span.name, 'GET reviews');
    assert.equal(span.parentSpanId, '');
    assert.equal(span.resource['service.name'], 'reviews');
    assert.equal(span.scope, 'meshlet');
    assert.deepEqual(
      {
        method: span.attributes['http.request.method'],
        path: span.attributes['url.path'],
        server: span.attributes['server.address'],
        peer: span.attributes['network.peer.address'],
        rid: span.attributes['meshlet.request_id'],
        status: span.attributes['http.response.status_code'],
        flags: span.attributes['meshlet.response_flags'],
        route: span.attributes['meshlet.route'],
        version: span.attributes['meshlet.version'],
      },
      {
        method: 'GET',
        path: '/reviews/1',
        server: 'reviews',
        peer: '127.0.0.1',
        rid: 'rid-42',
        status: 200,
        flags: '-',
        route: 'reviews/0',
        version: 'v2',
      },
    );
    assert.equal(span.status.code, 'unset');
    assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano);

    // inject replaced the stale traceparent and added W3C + B3 multi for this span.
    const h = headerMap(injected);
    assert.equal(h.get('host'), 'reviews:9080');
    assert.equal(injected.filter((x) => x.toLowerCase() === 'traceparent').length, 1);
    assert.equal(h.get('traceparent'), `00-${span.traceId}-${span.spanId}-01`);
    assert.equal(h.get('x-b3-traceid'), span.traceId);
    assert.equal(h.get('x-b3-spanid'), span.spanId);
    assert.equal(h.get('x-b3-sampled'), '1');
  });

  it('continues W3C, B3 single, B3 multi and Jaeger parents and keeps tracestate', async () => {
    const t = tracing(0);
    const parents: [string, Record<string, string>, string][] = [
      ['w3c', { traceparent: `00-${TID}-${SID}-01`, tracestate: 'vendor=abc' }, TID],
      ['b3 single', { b3: `${'a'.repeat(32)}-${SID}-1` }, 'a'.repeat(32)],
      [
        'b3 multi',
        { 'x-b3-traceid': 'b'.repeat(32), 'x-b3-spanid': SID, 'x-b3-sampled': '1' },
        'b'.repeat(32),
      ],
      ['jaeger', { 'uber-trace-id': `${'c'.repeat(32)}:${SID}:0:1` }, 'c'.repeat(32)],
    ];
    const before = receiver.spans.length;
    const injectedByName = new Map<string, Map<string, string>>();
    for (const [name, headers, traceId] of parents) {
      const flat = Object.entries(headers).flat();
      const h = t.start('server', name, headers, () => ({}));
      assert.ok(h, `${name}: a sampled parent is sampled even at ratio 0`);
      assert.equal(h.traceId, traceId);
      h.inject(flat);
      injectedByName.set(name, headerMap(flat));
      h.end(204, '-');
    }
    const spans = (await receiver.waitForSpans(before + 4)).slice(before);
    for (const [name, , traceId] of parents) {
      const span = spans.find((s) => s.name === name)!;
      assert.equal(span.traceId, traceId, name);
      assert.equal(span.parentSpanId, SID, name);
      const injected = injectedByName.get(name)!;
      assert.equal(injected.get('traceparent'), `00-${traceId}-${span.spanId}-01`, name);
      assert.equal(injected.has('uber-trace-id'), false, name);
      assert.equal(injected.has('b3'), false, name);
    }
    assert.equal(spans.find((s) => s.name === 'w3c')!.traceState, 'vendor=abc');
    assert.equal(injectedByName.get('w3c')!.get('tracestate'), 'vendor=abc');
  });

  it('makes a CLIENT span the child of the incoming parent and marks proxy errors', async () => {
    const t = tracing(0);
    const client = t.start('client', 'outbound', { traceparent: `00-${TID}-${SID}-01` }, () => ({}))!;
    const server = t.start('server', 'inbound', { traceparent: `00-${TID}-${SID}-01` }, () => ({}))!;
    assert.equal(client.traceId, TID);
    client.end(503, 'UF');
    server.end(404, '-');
    const before = receiver.spans.length;
    const spans = (await receiver.waitForSpans(before + 2)).filter((s) => s.traceId === TID);
    const s = spans.find((x) => x.kind === 'server')!;
    const c = spans.find((x) => x.kind === 'client')!;
    assert.equal(c.parentSpanId, SID);
    assert.equal(c.status.code, 'error');
    assert.equal(c.status.message, 'UF');
    assert.equal(c.attributes['error.type'], 'UF');
    assert.equal(c.attributes['meshlet.response_flags'], 'UF');
    // A 404 is not a server-side error in the HTTP semantic conventions.
    assert.equal(s.status.code, 'unset');
  });

  it('exports nothing at ratio 0, yet tells the next hop the trace is not sampled', async () => {
    const r = await startOtlpReceiver();
    const t = createTracing({
      serviceName: 'a',
      sampling: 0,
      otlpEndpoint: r.url,
      random: Math.random,
      scheduledDelayMillis: 10,
    });
    const roots = [];
    for (let i = 0; i < 50; i++) {
      const h = t.start('client', 'GET b', {}, () => ({}));
      assert.ok(h, 'a root decision must still be propagated');
      assert.equal(h.traceId, '', 'no exemplar for an unrecorded trace');
      const flat: string[] = [];
      h.inject(flat);
      h.setAttribute('ignored', 1);
      h.end(200, '-');
      roots.push(headerMap(flat));
    }
    assert.match(roots[0]!.get('traceparent')!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.equal(roots[0]!.get('x-b3-sampled'), '0');
    // An unsampled parent arrives: nothing to do, the headers pass through as they are.
    assert.equal(
      t.start('server', 'GET b', { traceparent: `00-${TID}-${SID}-00` }, () => ({})),
      null,
    );
    assert.equal(
      t.start(
        'server',
        'GET b',
        { 'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': '0' },
        () => ({}),
      ),
      null,
    );
    await t.shutdown();
    assert.equal(r.requests, 0);
    assert.equal(r.spans.length, 0);
    await r.close();
  });

  it('applies a new ratio and endpoint from configure()', async () => {
    const r = await startOtlpReceiver();
    const t = createTracing({
      serviceName: 'a',
      sampling: 0,
      otlpEndpoint: null,
      random: Math.random,
      scheduledDelayMillis: 10,
    });
    assert.equal(
      t.start('server', 'x', {}, () => ({})),
      null,
      'no endpoint: tracing off',
    );
    t.configure(1, r.url);
    const h = t.start('server', 'after', {}, () => ({}));
    assert.ok(h?.traceId);
    h.end(200, '-');
    const [span] = await r.waitForSpans(1);
    assert.equal(span!.traceId, h.traceId);
    t.configure(0, r.url);
    assert.equal(t.start('server', 'x', {}, () => ({}))!.traceId, '');
    t.configure(1, null);
    assert.equal(
      t.start('server', 'x', {}, () => ({})),
      null,
    );
    await t.shutdown();
    await r.close();
  });

  it('never blocks on a hung collector: the queue is bounded and overflow is counted', async () => {
    // Accepts connections and never answers: the worst case for a blocking exporter.
    const sockets = new Set<Socket>();
    const hung = createTcpServer((s) => sockets.add(s));
    hung.listen(0, '127.0.0.1');
    await once(hung, 'listening');
    const { port } = hung.address() as AddressInfo;
    let dropped = 0;
    const t = createTracing({
      serviceName: 'a',
      sampling: 1,
      otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`,
      random: Math.random,
      onDropped: () => dropped++,
      maxQueueSize: 64,
      scheduledDelayMillis: 10,
      exportTimeoutMillis: 300,
    });
    // All of this runs synchronously, before any socket event could be handled:
    // start/end cannot be waiting on the collector.
    for (let i = 0; i < 500; i++) t.start('server', 'GET x', {}, () => ({}))!.end(200, '-');
    assert.equal(dropped, 500 - 64);
    // The export attempt times out; those spans are counted as dropped too.
    while (dropped < 500) await new Promise((r) => setTimeout(r, 20));
    assert.equal(dropped, 500);
    // And once the queue has drained, new spans are accepted again.
    t.start('server', 'GET x', {}, () => ({}))!.end(200, '-');
    assert.equal(dropped, 500);
    await t.shutdown();
    for (const s of sockets) s.destroy();
    hung.close();
  });

  it('counts spans a collector rejects or that hit a dead port', async () => {
    const rejecting = await startOtlpReceiver({ status: 400 });
    let dropped = 0;
    const t = createTracing({
      serviceName: 'a',
      sampling: 1,
      otlpEndpoint: rejecting.url,
      random: Math.random,
      onDropped: () => dropped++,
      scheduledDelayMillis: 10,
      exportTimeoutMillis: 500,
    });
    for (let i = 0; i < 3; i++) t.start('client', 'GET x', {}, () => ({}))!.end(200, '-');
    while (dropped < 3) await new Promise((r) => setTimeout(r, 10));
    assert.ok(rejecting.requests >= 1);
    await rejecting.close();
    // The same port, now closed: connection refused.
    for (let i = 0; i < 2; i++) t.start('client', 'GET x', {}, () => ({}))!.end(200, '-');
    while (dropped < 5) await new Promise((r) => setTimeout(r, 10));
    assert.equal(dropped, 5);
    await t.shutdown();
  });

  it('picks exactly the new traces whose random draw is below the ratio', () => {
    // A fixed source: 0/100, 1/100, ..., 99/100, then again.
    let i = 0;
    const draws: number[] = [];
    const random = () => {
      const x = (i++ % 100) / 100;
      draws.push(x);
      return x;
    };
    const t = createTracing({ serviceName: 'a', sampling: 0.3, otlpEndpoint: receiver.url, random });
    tracers.push(t);
    const sampledAt: number[] = [];
    for (let n = 0; n < 200; n++) {
      const h = t.start('client', 'GET x', {}, () => ({}))!;
      if (h.traceId !== '') sampledAt.push(draws.at(-1)!);
    }
    assert.equal(draws.length, 200, 'one draw per new trace');
    assert.equal(sampledAt.length, 60, 'exactly 30 % of 200');
    assert.ok(
      sampledAt.every((x) => x < 0.3),
      'a draw equal to the ratio is not picked',
    );
    // A trace with a parent follows it and never draws.
    t.start('server', 'GET x', { traceparent: `00-${TID}-${SID}-01` }, () => ({}));
    t.start('server', 'GET x', { traceparent: `00-${TID}-${SID}-00` }, () => ({}));
    assert.equal(draws.length, 200);
  });

  it('lists every header format it reads in TRACE_HEADERS', () => {
    for (const h of [
      'traceparent',
      'tracestate',
      'b3',
      'x-b3-traceid',
      'x-b3-spanid',
      'x-b3-sampled',
      'uber-trace-id',
    ]) {
      assert.ok(TRACE_HEADERS.has(h), h);
    }
  });
});
