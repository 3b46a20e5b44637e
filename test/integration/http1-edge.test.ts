// HTTP/1.1 proxy conformance at the request edge (RFC 9110/9112), on a live
// sidecar: every network value that becomes a URL or port is checked first
// (a bad Host is 400 DPE, never a crash), two Hosts are refused locally, an
// absolute-form target replaces the Host, pipelined requests keep their
// order and semantics, CONNECT tunnels egress, and an h2c offer is served
// over HTTP/1.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import { type RunningSidecar, rawExchange, startServer, startSidecar } from '../helpers/mesh.ts';
import { metricSum } from '../helpers/mtls.ts';

const run = promisify(execFile);

/** Writes `data` on one connection and collects until `responses` HTTP responses (by status line) or `ms`. */
function pipelined(port: number, data: string, responses: number, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if ((out.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0) >= responses && out.includes('\r\n\r\n')) {
        // Let the last body arrive.
        setTimeout(done, 100);
      }
    });
    socket.on('error', reject);
    socket.write(data);
  });
}

describe('HTTP/1.1 edge cases', () => {
  let app: Awaited<ReturnType<typeof startServer>>;
  let echo: ReturnType<typeof createNetServer>;
  let echoPort: number;
  let sidecar: RunningSidecar;
  let strict: RunningSidecar;
  const seen: Array<{ method: string; url: string; host: string | undefined }> = [];
  let store = 'old';
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;

  before(async () => {
    app = await startServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        // A slow write: a GET forwarded before it finished would read the old value.
        const delay = req.method === 'PUT' ? 200 : 5;
        setTimeout(() => {
          if (req.method === 'PUT') store = Buffer.concat(chunks).toString();
          inFlight--;
          res.end(req.method === 'GET' ? store : 'ok');
        }, delay);
      });
    });
    app.server.on('connection', () => connections++);
    echo = createNetServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
    const yaml = (policy: string) => `mtls: disable
outboundTrafficPolicy: ${policy}
services:
  app:
    port: 80
    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }
    routes:
      - match: { path: { prefix: / } }
        split: { v1: 1 }
`;
    sidecar = await startSidecar({
      configText: yaml('allowAny'),
      env: { MESHLET_APP_PORT: String(app.port) },
    });
    strict = await startSidecar({ configText: yaml('registryOnly') });
  });
  after(async () => {
    await sidecar?.stop();
    await strict?.stop();
    await app?.close();
    echo?.close();
  });

  const normal = async (s = sidecar) => {
    const res = await request(`http://127.0.0.1:${s.outbound}/k`, { headers: { host: 'app' } });
    assert.equal(res.statusCode, 200);
    await res.body.text();
  };
  const assertDpe = (raw: string, what: string) => {
    assert.match(raw, /^HTTP\/1\.1 400 /, `${what}: ${raw.slice(0, 200)}`);
    assert.match(raw, /x-meshlet-error: DPE/i, what);
  };

  it('a Host outside the authority grammar is 400 DPE, and the sidecar lives on', async () => {
    for (const host of [
      '127.0.0.1:99999',
      'a b',
      '[',
      '%',
      'a/b',
      'svc:99999',
      '[::1',
      'svc:0',
      '1.2.3.999',
    ]) {
      assertDpe(
        await rawExchange(
          sidecar.outbound,
          `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          3000,
        ),
        `Host ${host}`,
      );
      if (!host.includes('/') && host !== 'a b')
        assertDpe(
          await rawExchange(
            sidecar.outbound,
            `GET http://${host}/x HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n`,
            3000,
          ),
          `absolute-form ${host}`,
        );
      assert.equal(sidecar.proc.exitCode, null, `the sidecar died on Host ${host}:\n${sidecar.output()}`);
    }
    await normal();
  });

  it('a WebSocket upgrade with a bad Host is 400 DPE through the same resolve step', async () => {
    for (const host of ['a:99999', '[', '%']) {
      const raw = await rawExchange(
        sidecar.outbound,
        `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        3000,
      );
      assertDpe(raw, `upgrade Host ${host}`);
    }
    assert.equal(sidecar.proc.exitCode, null);
    await normal();
  });

  it('two Host headers are 400 DPE answered locally: no upstream attempt', async () => {
    const before = seen.length;
    const raw = await rawExchange(
      sidecar.outbound,
      'GET /k HTTP/1.1\r\nHost: app\r\nHost: app\r\nConnection: close\r\n\r\n',
      3000,
    );
    assertDpe(raw, 'two Hosts');
    assert.equal(seen.length, before, 'the upstream saw nothing');
    await normal();
  });

  it('an absolute-form target replaces the Host header with its authority', async () => {
    const raw = await rawExchange(
      sidecar.outbound,
      'GET http://app/k HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1\.1 200 /, raw.slice(0, 200));
    assert.equal(seen.at(-1)!.host, 'app');
    assert.equal(seen.at(-1)!.url, '/k');
  });

  it('a pipelined PUT then GET returns the new value (the PUT completes first)', async () => {
    store = 'old';
    const body = 'new-value';
    const raw = await pipelined(
      sidecar.outbound,
      `PUT /k HTTP/1.1\r\nHost: app\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        'GET /k HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n',
      2,
    );
    const bodies = raw
      .split(/HTTP\/1\.1 \d{3} [^\r]*\r\n/)
      .slice(1)
      .map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
    assert.equal(bodies.length, 2, raw);
    assert.equal(bodies[0], 'ok');
    assert.equal(bodies[1], 'new-value');
  });

  it('100 pipelined GETs are answered in order, one upstream request at a time', async () => {
    maxInFlight = 0;
    const connectionsBefore = connections;
    let data = '';
    for (let i = 0; i < 100; i++)
      data += `GET /k?i=${i} HTTP/1.1\r\nHost: app\r\n${i === 99 ? 'Connection: close\r\n' : ''}\r\n`;
    const raw = await pipelined(sidecar.outbound, data, 100, 20_000);
    assert.equal(raw.match(/HTTP\/1\.1 200 /g)?.length, 100);
    const order = seen.slice(-100).map((s) => Number(new URL(s.url, 'http://x').searchParams.get('i')));
    assert.deepEqual(order, [...Array(100).keys()]);
    assert.equal(maxInFlight, 1, 'never two upstream requests at once for one client connection');
    assert.ok(
      connections - connectionsBefore <= 1,
      `opened ${connections - connectionsBefore} upstream connections`,
    );
  });

  it('CONNECT to a host outside the registry is a TCP tunnel under allowAny, counted like passthrough', async () => {
    const before = await metricSum(sidecar, 'meshlet_tcp_connections_total', { direction: 'outbound' });
    const raw = await rawExchange(
      sidecar.outbound,
      `CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: 127.0.0.1:${echoPort}\r\n\r\nping`,
      1000,
    );
    assert.match(raw, /^HTTP\/1\.1 200 Connection Established\r\n\r\nping$/, raw);
    assert.equal(
      await metricSum(sidecar, 'meshlet_tcp_connections_total', { direction: 'outbound' }),
      before + 1,
    );
  });

  it('CONNECT under registryOnly to an unlisted host is 502 NR, counted under BlackHoleCluster', async () => {
    const series = {
      request_method: 'CONNECT',
      response_code: '502',
      response_flags: 'NR',
      destination_service: 'BlackHoleCluster',
    };
    const before = await metricSum(strict, 'meshlet_requests_total', series);
    const raw = await rawExchange(
      strict.outbound,
      `CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(raw, /^HTTP\/1\.1 502 /, raw);
    assert.match(raw, /x-meshlet-error: NR/i);
    assert.equal(await metricSum(strict, 'meshlet_requests_total', series), before + 1);
  });

  it('CONNECT to a listed mesh service is refused with 404 NR (send plain HTTP instead)', async () => {
    const raw = await rawExchange(sidecar.outbound, 'CONNECT app:80 HTTP/1.1\r\nHost: app:80\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 404 /, raw);
    assert.match(raw, /x-meshlet-error: NR/i);
  });

  it('CONNECT to a closed port is 503 UF, CONNECT to a bad target 400 DPE', async () => {
    const closed = await rawExchange(sidecar.outbound, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(closed, /^HTTP\/1\.1 503 /, closed);
    assert.match(closed, /x-meshlet-error: UF/i);
    assertDpe(
      await rawExchange(sidecar.outbound, 'CONNECT 127.0.0.1:99999 HTTP/1.1\r\nHost: x\r\n\r\n'),
      'CONNECT port',
    );
    await normal();
  });

  it('an h2c upgrade offer (curl --http2) is ignored and served over HTTP/1.1 on both listeners', async () => {
    for (const [port, host] of [
      [sidecar.outbound, 'app'],
      [sidecar.inbound, 'app'],
    ] as const) {
      const { stdout } = await run('curl', [
        '-sS',
        '--http2',
        '-H',
        `Host: ${host}`,
        '-o',
        '-',
        '-w',
        '\n%{http_code} %{http_version}',
        `http://127.0.0.1:${port}/k`,
      ]);
      const [bodyLine, status] = stdout.trim().split('\n');
      assert.equal(status, '200 1.1', stdout);
      assert.ok(bodyLine!.length > 0);
    }
    assert.equal(sidecar.proc.exitCode, null);
  });

  // Found by the request-head fuzzer (test/fuzz/request-heads.test.ts); each is in its seed corpus.
  const listeners = () =>
    [
      ['outbound', sidecar.outbound],
      ['inbound', sidecar.inbound],
    ] as const;
  const statusLines = (raw: string) => raw.match(/HTTP\/1\.1 \d{3} /g) ?? [];
  /** rawExchange, plus whether the sidecar closed the connection itself (before `waitMs`). */
  const exchangeClosing = async (port: number, data: string, waitMs = 4000) => {
    const started = performance.now();
    const raw = await rawExchange(port, data, waitMs);
    return { raw, closed: performance.now() - started < waitMs - 500 };
  };
  const dpeCount = () =>
    metricSum(sidecar, 'meshlet_requests_total', { response_flags: 'DPE', response_code: '400' });

  it('a Transfer-Encoding without chunked last is 400 DPE, counted, closed, never forwarded (both listeners)', async () => {
    for (const [name, port] of listeners()) {
      for (const te of ['gzip', 'identity', 'chunked, gzip']) {
        const before = seen.length;
        const counted = await dpeCount();
        const { raw, closed } = await exchangeClosing(
          port,
          `GET /k HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: ${te}\r\n\r\n`,
        );
        assertDpe(raw, `${name} Transfer-Encoding: ${te}`);
        assert.match(raw, /\r\nconnection: close\r\n/i, raw);
        assert.ok(closed, `${name}: the connection was left open`);
        assert.equal(seen.length, before, `${name} Transfer-Encoding: ${te} reached the app`);
        assert.equal(await dpeCount(), counted + 1, `${name}: the refusal is counted once`);
      }
    }
    await normal();
  });

  it('a malformed chunk mid-upload, before any response, is 400 DPE, counted once, closed (both listeners)', async () => {
    // A bad size, a size past any integer, chunk data not followed by CRLF.
    const tails = ['zz\r\nnot a chunk\r\n', 'fffffffffffffffffffff\r\n', '3\r\nabcXY\r\n'];
    for (const [listener, port] of listeners())
      for (const tail of tails) {
        const name = `${listener} ${JSON.stringify(tail)}`;
        const counted = await dpeCount();
        const dc = await metricSum(sidecar, 'meshlet_requests_total', { response_flags: 'DC' });
        const started = performance.now();
        const raw = await new Promise<string>((resolve) => {
          const s = connect(port, '127.0.0.1');
          let out = '';
          s.on('data', (d) => {
            out += d.toString('latin1');
          });
          s.on('error', () => undefined);
          s.on('close', () => resolve(out));
          s.write('POST /k HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
          // The request is being forwarded (the app waits for the end) when the bad chunk comes.
          setTimeout(() => s.write(tail), 300);
          setTimeout(() => s.destroy(), 5000);
        });
        assertDpe(raw, name);
        assert.match(raw, /\r\nconnection: close\r\n/i, raw);
        assert.ok(performance.now() - started < 4000, `${name}: the connection was left open`);
        assert.equal(await dpeCount(), counted + 1, `${name}: counted once as DPE`);
        assert.equal(
          await metricSum(sidecar, 'meshlet_requests_total', { response_flags: 'DC' }),
          dc,
          `${name}: not recorded as DC`,
        );
      }
    await normal();
  });

  it('CONNECT on the inbound listener is 404 NR (it opens no tunnels), a malformed one 400 DPE, counted', async () => {
    const nr = { response_flags: 'NR', response_code: '404' };
    for (const target of [`127.0.0.1:${app.port}`, `127.0.0.1:${echoPort}`]) {
      const before = await metricSum(sidecar, 'meshlet_requests_total', nr);
      const { raw, closed } = await exchangeClosing(
        sidecar.inbound,
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\nping`,
      );
      assert.match(raw, /^HTTP\/1\.1 404 /, raw);
      assert.match(raw, /x-meshlet-error: NR/i);
      assert.ok(!raw.includes('ping'), 'nothing was relayed');
      assert.ok(closed);
      assert.equal(await metricSum(sidecar, 'meshlet_requests_total', nr), before + 1);
    }
    for (const [target, host] of [
      ['*', 'app'],
      ['/', 'app'],
      ['127.0.0.1', 'app'],
      [`127.0.0.1:${app.port}`, 'app\r\nHost: app'],
    ]) {
      const counted = await dpeCount();
      assertDpe(
        await rawExchange(sidecar.inbound, `CONNECT ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
        `inbound CONNECT ${target}`,
      );
      assert.equal(await dpeCount(), counted + 1);
    }
    await normal();
  });

  it('an expectation other than 100-continue is 417 DPE and counted; 100-continue still works (both listeners)', async () => {
    const expectation = { response_flags: 'DPE', response_code: '417' };
    for (const [name, port] of listeners()) {
      const before = seen.length;
      const counted = await metricSum(sidecar, 'meshlet_requests_total', expectation);
      const { raw, closed } = await exchangeClosing(
        port,
        'POST /k HTTP/1.1\r\nHost: app\r\nExpect: something-else\r\nContent-Length: 3\r\n\r\n',
      );
      assert.match(raw, /^HTTP\/1\.1 417 /, `${name}: ${raw}`);
      assert.match(raw, /x-meshlet-error: DPE/i);
      assert.ok(closed, `${name}: the connection was left open`);
      assert.equal(seen.length, before, `${name}: the request reached the app`);
      assert.equal(await metricSum(sidecar, 'meshlet_requests_total', expectation), counted + 1);

      // 100-continue: the interim answer, then the body goes through to the app.
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.write(
        'PUT /k HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n',
      );
      await waitFor(() => out.includes('\r\n\r\n'), `${name}: no 100 Continue`);
      assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\n$/, out);
      socket.write('cont');
      await new Promise((r) => socket.once('close', r));
      assert.match(out, /HTTP\/1\.1 200 [\s\S]*\r\n\r\nok$/, out);
      assert.equal(store, 'cont', `${name}: the body after 100 Continue reached the app`);
    }
  });

  it('an h2c offer with a request pipelined behind it: the offer is answered with connection: close, never left hanging (both listeners)', async () => {
    for (const [name, port] of listeners()) {
      const { raw, closed } = await exchangeClosing(
        port,
        'GET /k HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
          'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\nGET /k HTTP/1.1\r\nHost: app\r\n\r\n',
      );
      assert.match(raw, /^HTTP\/1\.1 200 /, `${name}: ${raw}`);
      // The parser reads nothing after an upgrade offer: the client is told to send the rest again.
      assert.match(raw, /\r\nconnection: close\r\n/i, `${name}: ${raw}`);
      assert.ok(closed, `${name}: the connection hung after the first response`);
    }
  });

  it('an upgrade offer the WebSocket proxy cannot take (a list, two lines, not GET) is served over HTTP/1.1, never dropped (both listeners)', async () => {
    for (const [name, port] of listeners()) {
      for (const offer of [
        'GET /k HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n',
        'GET /k HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n',
        'POST /k HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n',
      ]) {
        const { raw, closed } = await exchangeClosing(port, offer);
        assert.match(raw, /^HTTP\/1\.1 200 /, `${name} ${JSON.stringify(offer)}: ${raw}`);
        assert.match(raw, /\r\nconnection: close\r\n/i, raw);
        assert.ok(closed);
      }
    }
  });

  it('Connection: close with a request pipelined behind it: the first is answered, the rest discarded (both listeners)', async () => {
    for (const [name, port] of listeners()) {
      const before = seen.length;
      const { raw, closed } = await exchangeClosing(
        port,
        'GET /k?first HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n' +
          'GET /k?second HTTP/1.1\r\nHost: app\r\n\r\n',
      );
      assert.match(raw, /^HTTP\/1\.1 200 /, `${name}: ${raw}`);
      assert.deepEqual(statusLines(raw), ['HTTP/1.1 200 '], `${name}: ${raw}`);
      assert.ok(closed);
      assert.deepEqual(
        seen.slice(before).map((s) => s.url),
        ['/k?first'],
        `${name}: what reached the app`,
      );
    }
  });

  it('every DPE reply closes the connection; a request pipelined behind it is never forwarded (both listeners)', async () => {
    store = 'old';
    const both = ['GET /k HTTP/1.1\r\nHost: app\r\nHost: app\r\n\r\n', 'GET k HTTP/1.1\r\nHost: app\r\n\r\n'];
    // The inbound listener routes by the port the caller dialled: only the outbound reads the authority.
    const outboundOnly = [
      'GET /k HTTP/1.1\r\nHost: a b\r\n\r\n',
      'GET http://[/k HTTP/1.1\r\nHost: app\r\n\r\n',
    ];
    for (const [name, port] of listeners()) {
      for (const bad of name === 'outbound' ? [...both, ...outboundOnly] : both) {
        const before = seen.length;
        const { raw, closed } = await exchangeClosing(
          port,
          `${bad}PUT /k HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n\r\nnever`,
        );
        assertDpe(raw, `${name} ${JSON.stringify(bad)}`);
        assert.match(raw, /\r\nconnection: close\r\n/i, raw);
        assert.deepEqual(statusLines(raw), ['HTTP/1.1 400 '], raw);
        assert.ok(closed, `${name}: the connection stayed open after a DPE`);
        assert.equal(seen.length, before, `${name}: a request behind a DPE reached the app`);
      }
    }
    assert.equal(store, 'old');
    await normal();
  });
});

async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) assert.fail(what);
    await new Promise((r) => setTimeout(r, 10));
  }
}
