// HTTP/2 protocol abuse against a live sidecar's outbound port (the limits of
// listener/server/http2.ts, in the running binary): a rapid-reset flood
// (CVE-2023-44487), a SETTINGS flood, an oversized header list, and a stream
// that never sends its body. Each time the sidecar keeps serving other
// clients and its memory stays bounded.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { constants, connect as h2connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningSidecar, startSidecar } from '../helpers/mesh.ts';
import { flood, h2Get, rapidReset, rawConnect, settingsFrame } from '../helpers/raw-h2.ts';

function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb === null ? 0 : Number(kb[1]) * 1024;
}

describe('HTTP/2 abuse against a live sidecar', () => {
  let sidecar: RunningSidecar;
  let appRequests = 0;
  const app = createServer((req, res) => {
    appRequests++;
    req.resume();
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 200);
    else res.end('ok');
  });

  /** Another, well-behaved client: an h2 GET through the sidecar. */
  const served = (): Promise<number> => h2Get(sidecar.outbound, '/', 'app');

  before(async () => {
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const port = (app.address() as AddressInfo).port;
    sidecar = await startSidecar({
      configText: `mtls: disable
streamIdleTimeout: 1s
services:
  app:
    versions: { v1: { host: 127.0.0.1, port: ${port} } }
`,
    });
  });

  after(async () => {
    await sidecar?.stop();
    app.close();
  });

  it('a rapid-reset flood ends the session (GOAWAY) with at most a few hundred streams reaching the app; others are served', async () => {
    const before = appRequests;
    const memBefore = rss(sidecar.proc.pid!);
    const attacker = await rawConnect(sidecar.outbound);
    await rapidReset(attacker, 'app');
    const code = await attacker.goaway;
    attacker.socket.destroy();
    // Our reset count ends it with ENHANCE_YOUR_CALM; when a busy machine delivers
    // the flood in larger reads, node:http2's refused-stream limit may end it
    // first (GOAWAY INTERNAL_ERROR). Either way the attacker's session is over.
    assert.ok(
      code === constants.NGHTTP2_ENHANCE_YOUR_CALM || code === constants.NGHTTP2_INTERNAL_ERROR,
      `GOAWAY ${code}`,
    );
    assert.equal(await served(), 200);
    const reached = appRequests - before - 1;
    assert.ok(reached <= 300, `${reached} of 2,000 reset streams reached the app`);
    assert.ok(rss(sidecar.proc.pid!) - memBefore < 64 * 1024 * 1024);
  });

  it('a SETTINGS flood from a client that never reads ends that session; others are served, memory bounded', async () => {
    const memBefore = rss(sidecar.proc.pid!);
    const attacker = await rawConnect(sidecar.outbound);
    attacker.socket.pause();
    await flood(attacker, settingsFrame());
    assert.equal(await served(), 200);
    attacker.socket.resume();
    const code = await attacker.goaway;
    assert.ok(code === null || code === constants.NGHTTP2_ENHANCE_YOUR_CALM, `GOAWAY code ${code}`);
    assert.ok(rss(sidecar.proc.pid!) - memBefore < 64 * 1024 * 1024);
  });

  it('an oversized header list never reaches the app (431 or RST_STREAM) and the session keeps serving', async () => {
    const before = appRequests;
    // Our own client must be allowed to send the block (node's default cap is 64 KiB).
    const client = h2connect(`http://127.0.0.1:${sidecar.outbound}`, { maxSendHeaderBlockLength: 1 << 20 });
    client.on('error', () => {});
    try {
      for (let i = 0; i < 2; i++) {
        const big = client.request({ ':path': '/', ':authority': 'app', 'x-big': 'a'.repeat(100 * 1024) });
        big.on('error', () => {});
        let status: unknown;
        big.on('response', (h) => (status = h[':status']));
        big.resume();
        big.end();
        await new Promise((r) => big.once('close', r));
        assert.ok(
          status === 431 || big.rstCode !== constants.NGHTTP2_NO_ERROR,
          `status ${status}, rst ${big.rstCode}`,
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(appRequests, before, 'no oversized request reached the app');
      const ok = client.request({ ':path': '/', ':authority': 'app' });
      ok.end();
      const [headers] = (await once(ok, 'response')) as [Record<string, unknown>];
      ok.resume();
      assert.equal(headers[':status'], 200);
    } finally {
      client.close();
    }
  });

  it('a stream that never sends its body is ended by the stream idle timeout; other streams and clients are served', async () => {
    const client = h2connect(`http://127.0.0.1:${sidecar.outbound}`);
    client.on('error', () => {});
    try {
      const started = performance.now();
      const stalled = client.request({
        ':method': 'POST',
        ':path': '/',
        ':authority': 'app',
        'content-length': '1000',
      });
      stalled.on('error', () => {});
      let status: unknown;
      stalled.on('response', (h) => (status = h[':status']));
      stalled.resume();
      // Meanwhile the same session and another client are served.
      const other = client.request({ ':path': '/', ':authority': 'app' });
      other.end();
      const [h] = (await once(other, 'response')) as [Record<string, unknown>];
      other.resume();
      assert.equal(h[':status'], 200);
      assert.equal(await served(), 200);
      // The sidecar answers 408 (SI) and stops reading; the client's half of the stream may stay open.
      await Promise.race([once(stalled, 'response'), once(stalled, 'close')]);
      const took = performance.now() - started;
      stalled.close(constants.NGHTTP2_CANCEL);
      assert.ok(took >= 900 && took < 5000, `ended after ${took} ms`);
      assert.ok(status === 408 || (stalled.rstCode ?? 0) !== constants.NGHTTP2_NO_ERROR, `status ${status}`);
    } finally {
      client.close();
    }
  });
});
