// Timeouts, retries and connection failures through a real sidecar process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { freePort, type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';

describe('timeouts and retries', () => {
  let flaky: Awaited<ReturnType<typeof startServer>>;
  let sidecar: RunningSidecar;
  const hits = new Map<string, number>();

  before(async () => {
    flaky = await startServer((req, res) => {
      const key = `${req.headers['x-test']}`;
      const n = (hits.get(key) ?? 0) + 1;
      hits.set(key, n);
      req.resume();
      const url = req.url ?? '';
      if (url.startsWith('/fail-twice') && n <= 2) {
        res.writeHead(503).end('busy');
        return;
      }
      if (url.startsWith('/always-503')) {
        res.writeHead(503).end('busy');
        return;
      }
      if (url.startsWith('/hang')) return; // never answers
      if (url.startsWith('/slow-first') && n === 1) {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      req.on('end', () => res.end(`ok after ${n}`));
    });
    const dead = await freePort();
    sidecar = await startSidecar({
      configText: `mtls: disable
services:
  flaky:
    versions: { v1: { host: 127.0.0.1, port: ${flaky.port} } }
    timeout: 800ms
    retries: { attempts: 2, on: [connect-failure, 503], perTryTimeout: 300ms }
  noretry:
    versions: { v1: { host: 127.0.0.1, port: ${flaky.port} } }
    timeout: 500ms
  dead:
    versions: { v1: { host: 127.0.0.1, port: ${dead} } }
    retries: { attempts: 2, on: [connect-failure] }
  deadnoretry:
    versions: { v1: { host: 127.0.0.1, port: ${dead} } }
`,
    });
  });
  after(async () => {
    await sidecar?.stop();
    await flaky?.close();
  });

  const call = async (host: string, path: string, id: string, method = 'GET', body?: string) => {
    const res = await request(`http://127.0.0.1:${sidecar.outbound}${path}`, {
      method,
      body,
      headers: { host, 'x-test': id },
    });
    return { status: res.statusCode, flag: res.headers['x-meshlet-error'], body: await res.body.text() };
  };

  it('retries a 503 and returns the success', async () => {
    const r = await call('flaky', '/fail-twice', 'a');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok after 3');
  });

  it('passes the last 503 through when retries run out', async () => {
    const r = await call('flaky', '/always-503', 'b');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'busy');
    assert.equal(hits.get('b'), 3, 'one try and two retries');
  });

  it('does not replay a POST whose body the upstream already read: its 503 goes back after one attempt', async () => {
    const r = await call('flaky', '/fail-twice', 'c', 'POST', 'payload');
    // The upstream read the body before answering 503, so it cannot be replayed: the 503 goes back.
    assert.equal(r.status, 503);
    assert.equal(hits.get('c'), 1);
  });

  it('a per-try timeout is retried within the overall timeout', async () => {
    const r = await call('flaky', '/slow-first', 'd');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok after 2');
  });

  it('an upstream that never answers gives 504 UT at the route timeout', async () => {
    const r = await call('noretry', '/hang', 'e');
    assert.equal(r.status, 504);
    assert.equal(r.flag, 'UT');
    assert.equal(JSON.parse(r.body).flag, 'UT');
  });

  it('connect failure without retries: 503 UF', async () => {
    const r = await call('deadnoretry', '/', 'f');
    assert.equal(r.status, 503);
    assert.equal(r.flag, 'UF');
  });

  it('connect failure with retries exhausted: 503 URX', async () => {
    const r = await call('dead', '/', 'g');
    assert.equal(r.status, 503);
    assert.equal(r.flag, 'URX');
    assert.match(JSON.parse(r.body).message, /after 3 attempts/);
  });
});

describe('keep-alive races', () => {
  it('an upstream closing idle keep-alive connections never surfaces as 503 UC', async () => {
    // The upstream closes each idle connection after 50 ms, far below the pool's idle timeout;
    // requests spaced around that mark hit the race between reuse and close.
    const upstream = await startServer((_req, res) => res.end('ok'));
    upstream.server.keepAliveTimeout = 50;
    const sidecar = await startSidecar({
      configText: `mtls: disable\nupstreamIdleTimeout: 10s\nservices:\n  racy:\n    versions: { v1: { host: 127.0.0.1, port: ${upstream.port} } }\n`,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await request(`http://127.0.0.1:${sidecar.outbound}/`, { headers: { host: 'racy' } });
        await res.body.text();
        statuses.push(res.statusCode);
        await new Promise((r) => setTimeout(r, 45 + (i % 10)));
      }
      assert.deepEqual(new Set(statuses), new Set([200]));
    } finally {
      await sidecar.stop();
      await upstream.close();
    }
  });
});
