// Bodies stream through both listeners: 200 MB each way without the sidecar
// holding them; WebSocket upgrades pass through; SIGTERM drains in-flight work.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';

const MB = 1024 * 1024;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Deterministic pseudo-random chunks, generated as they are read. */
function source(totalBytes: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  return new Readable({
    read() {
      if (sent >= totalBytes) return this.push(null);
      const n = Math.min(chunk.length, totalBytes - sent);
      sent += n;
      chunk[0] = sent & 0xff;
      this.push(Buffer.from(chunk.subarray(0, n)));
    },
  });
}

describe('streaming', () => {
  let app: Awaited<ReturnType<typeof startServer>>;
  let sidecar: RunningSidecar;

  before(async () => {
    app = await startServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (d: Buffer) => {
          bytes += d.length;
          hash.update(d);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha: hash.digest('hex') })));
        return;
      }
      if (req.url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        source(200 * MB).pipe(res);
        return;
      }
      if (req.url === '/slow') {
        setTimeout(() => res.end('finished'), 800);
        return;
      }
      res.end('ok');
    });
    sidecar = await startSidecar({
      configText: `mtls: disable\nservices:\n  app:\n    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }\n`,
      env: { MESHLET_APP_PORT: String(app.port), MESHLET_DRAIN_SECONDS: '3' },
    });
  });
  after(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  it('streams a 200 MB upload and a 200 MB download, RSS growing < 50 MB for each', async (t) => {
    const pid = sidecar.proc.pid!;
    /** Peak RSS growth of the sidecar while `transfer` runs, from the RSS just before it. */
    const growthDuring = async (transfer: () => Promise<void>): Promise<number> => {
      const baseline = rssOf(pid);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
      try {
        await transfer();
      } finally {
        clearInterval(sampler);
      }
      return (Math.max(peak, rssOf(pid)) - baseline) / MB;
    };
    const sha256Of = (stream: Readable) =>
      new Promise<string>((resolve) => {
        const hash = createHash('sha256');
        stream.on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex')));
      });
    const want = await sha256Of(source(200 * MB));
    // warm up pools and code paths before the first baseline
    await (await request(`http://127.0.0.1:${sidecar.outbound}/`, { headers: { host: 'app' } })).body.text();

    const upload = await growthDuring(async () => {
      const up = await request(`http://127.0.0.1:${sidecar.outbound}/upload`, {
        method: 'POST',
        headers: { host: 'app' },
        body: source(200 * MB),
      });
      const result = (await up.body.json()) as { bytes: number; sha: string };
      assert.equal(result.bytes, 200 * MB);
      assert.equal(result.sha, want);
    });
    const download = await growthDuring(async () => {
      const down = await request(`http://127.0.0.1:${sidecar.inbound}/download`);
      const got = createHash('sha256');
      let bytes = 0;
      for await (const d of down.body) {
        bytes += d.length;
        got.update(d);
      }
      assert.equal(bytes, 200 * MB);
      assert.equal(got.digest('hex'), want);
    });
    t.diagnostic(`RSS growth: upload ${upload.toFixed(1)} MB, download ${download.toFixed(1)} MB`);
    assert.ok(upload < 50, `RSS grew ${upload.toFixed(1)} MB while streaming the 200 MB upload`);
    assert.ok(download < 50, `RSS grew ${download.toFixed(1)} MB while streaming the 200 MB download`);
  });

  it('passes a WebSocket upgrade through the outbound and the inbound listener', async () => {
    const echo = await startServer(() => {});
    const upgraded = new Set<import('node:stream').Duplex>();
    echo.server.on('upgrade', (req, socket) => {
      upgraded.add(socket);
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `x-path: ${req.url}\r\n\r\n`,
      );
      socket.on('data', (d) => socket.write(d));
    });
    const s = await startSidecar({
      configText: `mtls: disable\nservices:\n  ws:\n    versions: { v1: { host: 127.0.0.1, port: ${echo.port} } }\n`,
      env: { MESHLET_APP_PORT: String(echo.port) },
    });
    try {
      for (const [port, host] of [
        [s.outbound, 'ws'],
        [s.inbound, 'anything'],
      ] as const) {
        const reply = await new Promise<string>((resolve, reject) => {
          const sock = connect(port, '127.0.0.1');
          let buf = '';
          sock.on('data', (d) => {
            buf += d;
            if (buf.includes('\r\n\r\n') && !buf.includes('ping')) sock.write('ping-frame');
            if (buf.includes('ping-frame')) {
              sock.destroy();
              resolve(buf);
            }
          });
          sock.on('error', reject);
          setTimeout(() => reject(new Error(`no echo on port ${port}: ${JSON.stringify(buf)}`)), 3000);
          sock.write(
            `GET /chat HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          );
        });
        assert.match(reply, /^HTTP\/1\.1 101 /);
        assert.match(reply, /x-path: \/chat/);
        assert.match(reply, /ping-frame$/);
      }
    } finally {
      await s.stop();
      for (const sock of upgraded) sock.destroy();
      await echo.close();
    }
  });

  it('SIGTERM: /ready turns 503, the in-flight request finishes, the process exits 0', async () => {
    const s = await startSidecar({
      configText: `mtls: disable\nservices:\n  app:\n    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }\n`,
      env: { MESHLET_DRAIN_SECONDS: '5' },
    });
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ port: s.outbound, path: '/slow', headers: { host: 'app' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    await sleep(150);
    s.proc.kill('SIGTERM');
    await sleep(100);
    const ready = await s.admin_('/ready').catch(() => ({ status: 0, body: '' }));
    assert.equal(ready.status, 503);
    assert.deepEqual(await inflight, { status: 200, body: 'finished' });
    assert.equal(await s.exited, 0);
    assert.match(s.output(), /drained, exiting/);
  });
});
