// One error table, read everywhere: for each flag a live sidecar can produce,
// the reply (status, x-meshlet-error, JSON body), the metric series
// (response_code, response_flags) and the span (http.response.status_code,
// meshlet.response_flags) agree with src/errors.ts. Flags the data path
// cannot produce yet (UH, UO, RL, FI, DI, LR) are checked on the table in
// test/unit/errors.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { FLAGS, type Flag } from '../../src/errors.ts';
import { freePort, type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';
import { metricSum, parseMetrics, waitFor } from '../helpers/mtls.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

describe('every flag: reply, metric and span agree with the error table', () => {
  let app: Awaited<ReturnType<typeof startServer>>;
  let rx: OtlpReceiver;
  let sidecar: RunningSidecar;

  before(async () => {
    app = await startServer((req, res) => {
      if (req.url === '/reset') {
        req.socket.destroy();
        return;
      }
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      if (req.url === '/unavailable') {
        res.writeHead(503).end('busy');
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    rx = await startOtlpReceiver();
    const closed = await freePort();
    const version = `{ v1: { host: 127.0.0.1, port: ${app.port} } }`;
    sidecar = await startSidecar({
      env: { MESHLET_APP_PORT: String(app.port) },
      configText: `mtls: disable
outboundTrafficPolicy: registryOnly
tracing: { sampling: 1, otlpEndpoint: "${rx.url}" }
services:
  app:
    versions: ${version}
    routes:
      - match: { path: { prefix: /api/ } }
        split: { v1: 1 }
  down:
    versions: { v1: { host: 127.0.0.1, port: ${closed} } }
    routes: [{ split: { v1: 1 } }]
  slow:
    timeout: 200ms
    versions: ${version}
    routes: [{ split: { v1: 1 } }]
  flaky:
    retries: { attempts: 2, on: [503] }
    versions: ${version}
    routes: [{ split: { v1: 1 } }]
  idle:
    streamIdleTimeout: 300ms
    versions: ${version}
    routes: [{ split: { v1: 1 } }]
  plain:
    versions: ${version}
    routes: [{ split: { v1: 1 } }]
  tester:
    versions: ${version}
    routes: [{ split: { v1: 1 } }]
    allow:
      - from: [productpage]
`,
    });
  });
  after(async () => {
    await sidecar?.stop();
    await app?.close();
    await rx?.close();
  });

  const requests = (labels: Record<string, string>) => metricSum(sidecar, 'meshlet_requests_total', labels);

  /** Sends one traced request and checks the three views of it. */
  async function expectFlag(opts: {
    flag: Flag;
    status: number;
    port?: number;
    host: string;
    path: string;
    method?: string;
    reporter?: 'source' | 'destination';
    /** The reply carries the flag (not for flags that only mark a served response). */
    reply?: boolean;
  }): Promise<void> {
    const labels = {
      reporter: opts.reporter ?? 'source',
      response_code: String(opts.status),
      response_flags: opts.flag,
    };
    const before = await requests(labels);
    const traceId = randomBytes(16).toString('hex');
    const res = await request(`http://127.0.0.1:${opts.port ?? sidecar.outbound}${opts.path}`, {
      method: opts.method ?? 'GET',
      headers: { host: opts.host, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    const body = await res.body.text();
    assert.equal(res.statusCode, opts.status, `${opts.flag}: ${body}`);
    if (opts.reply !== false) {
      assert.equal(res.headers['x-meshlet-error'], opts.flag);
      const json = JSON.parse(body);
      assert.equal(json.flag, opts.flag);
      assert.equal(json.error, FLAGS[opts.flag].title);
    }
    await waitFor(`the ${opts.flag} series`, async () =>
      (await requests(labels)) === before + 1 ? true : undefined,
    );
    const span = await waitFor(
      `the ${opts.flag} span`,
      () => rx.spans.find((s) => s.traceId === traceId),
      15_000,
    );
    assert.equal(span.kind, opts.reporter === 'destination' ? 'server' : 'client');
    assert.equal(span.attributes['meshlet.response_flags'], opts.flag);
    assert.equal(span.attributes['http.response.status_code'], opts.status);
  }

  it('NR, a listed service whose routes do not match: 404', () =>
    expectFlag({ flag: 'NR', status: 404, host: 'app', path: '/other' }));
  it('NR, a host outside the registry under registryOnly: 502', () =>
    expectFlag({ flag: 'NR', status: 502, host: 'nowhere.example', path: '/' }));
  it('UF, a version nobody listens on: 503', () =>
    expectFlag({ flag: 'UF', status: 503, host: 'down', path: '/' }));
  it('UC, an upstream that resets before answering (not replayed: a POST): 503', () =>
    expectFlag({ flag: 'UC', status: 503, host: 'plain', path: '/reset', method: 'POST' }));
  it('UT, no answer within the route timeout: 504', () =>
    expectFlag({ flag: 'UT', status: 504, host: 'slow', path: '/slow' }));
  it("URX, retries exhausted on a retried status: the upstream's last 503 is served", () =>
    expectFlag({ flag: 'URX', status: 503, host: 'flaky', path: '/unavailable', reply: false }));
  it('DPE, a malformed authority: 400', () =>
    expectFlag({ flag: 'DPE', status: 400, host: 'a:99999', path: '/' }));
  it('RBAC, a caller the allow rules do not list: 403 on the inbound side', () =>
    expectFlag({
      flag: 'RBAC',
      status: 403,
      port: sidecar.inbound,
      host: 'tester',
      path: '/',
      reporter: 'destination',
    }));

  it('SI, an upload that stops sending after its headers: 408 after the stream idle timeout', async () => {
    const labels = { reporter: 'source', response_code: '408', response_flags: 'SI' };
    const before = await requests(labels);
    const traceId = randomBytes(16).toString('hex');
    const raw = await new Promise<string>((resolve, reject) => {
      let out = '';
      const socket = connect(sidecar.outbound, '127.0.0.1', () => {
        socket.write(
          `POST /upload HTTP/1.1\r\nHost: idle\r\nContent-Length: 1000\r\n` +
            `traceparent: 00-${traceId}-${randomBytes(8).toString('hex')}-01\r\n\r\nabc`,
        );
      });
      socket.on('data', (d) => (out += d));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
      setTimeout(() => socket.destroy(), 5000);
    });
    assert.match(raw, /^HTTP\/1\.1 408 /, raw);
    assert.match(raw, /x-meshlet-error: SI/i);
    assert.equal(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error, FLAGS.SI.title);
    await waitFor('the SI series', async () => ((await requests(labels)) === before + 1 ? true : undefined));
    const span = await waitFor('the SI span', () => rx.spans.find((s) => s.traceId === traceId), 15_000);
    assert.equal(span.attributes['meshlet.response_flags'], 'SI');
    assert.equal(span.attributes['http.response.status_code'], 408);
  });

  it('DC: 50 uploads aborted mid-body are 50 requests recorded 499 DC, and no phantom 400 DPE', async () => {
    const dc = { reporter: 'source', response_code: '499', response_flags: 'DC' };
    const before = await requests(dc);
    const dpeBefore = await requests({ response_flags: 'DPE' });
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(sidecar.outbound, '127.0.0.1', () => {
              socket.write(
                `POST /upload HTTP/1.1\r\nHost: plain\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`,
              );
              // Half close politely (FIN), half reset (RST): both are a caller that went away.
              setTimeout(() => {
                if (i % 2 === 0) socket.destroy();
                else socket.resetAndDestroy();
                resolve();
              }, 150);
            });
            socket.on('error', reject);
          }),
      ),
    );
    await waitFor('50 DC records', async () => ((await requests(dc)) >= before + 50 ? true : undefined));
    await sleep(300);
    assert.equal(await requests(dc), before + 50, 'once per aborted request');
    assert.equal(await requests({ response_flags: 'DPE' }), dpeBefore, 'no phantom DPE');
    const { body } = await sidecar.admin_('/metrics');
    const zero = parseMetrics(body).filter(
      (s) =>
        s.name === 'meshlet_requests_total' &&
        s.labels.response_flags === 'DC' &&
        s.labels.response_code !== '499',
    );
    assert.deepEqual(zero, [], 'DC is never recorded with another code');
  });
});
