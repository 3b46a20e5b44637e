import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyError } from '../../../src/errors.ts';
import { UpstreamPools } from '../../../src/forward/pools.ts';
import { H2Client } from '../../../src/forward/transport/h2.ts';

function get(pool: ReturnType<UpstreamPools['get']>): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      { method: 'GET', path: '/' },
      {
        onRequestStart() {},
        onResponseStart(_c, s) {
          status = s;
        },
        onResponseData() {},
        onResponseEnd: () => resolve(status),
        onResponseError: (_c, err) => reject(err),
      },
    );
  });
}

it('reuses a pool per origin and forgets it once its connections have idled out', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pools = new UpstreamPools({ idleTimeoutMs: 200 });
  try {
    const pool = pools.get(origin, null);
    assert.equal(await get(pool), 200);
    assert.equal(pools.get(origin, null), pool, 'same origin, same pool');
    assert.notEqual(
      pools.get(origin, 'spiffe://cluster.local/ns/default/sa/x'),
      pool,
      'identity is part of the key',
    );
    assert.equal(pools.size, 2);
    // The connection closes after the idle timeout, and the pool is dropped with it
    // (the never-connected identity pool has nothing to close and stays).
    for (let i = 0; i < 100 && pools.size === 2; i++) await sleep(50);
    assert.equal(pools.size, 1);
    const fresh = pools.get(origin, null);
    assert.notEqual(fresh, pool, 'an idle pool is dropped and a new one made on demand');
    assert.equal(await get(fresh), 200);
  } finally {
    await pools.close();
    server.close();
  }
});

/** A loopback port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

it('an origin undici cannot parse is a ProxyError, never another exception', () => {
  const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
  for (const origin of [
    'http://127.0.0.1:99999',
    'http://a b',
    'http://[',
    'http://%',
    'http://svc:99999',
    'http://::1:80',
    'nonsense',
  ]) {
    assert.throws(
      () => pools.get(origin, null),
      (err) => err instanceof ProxyError && err.flag === 'UF',
      origin,
    );
    const picked = pools.upstream(origin, null).pick(1, new Set());
    assert.ok(picked instanceof ProxyError, `upstream().pick returns the error for ${origin}`);
  }
  assert.equal(pools.size, 0);
});

it('an IPv6 origin works', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '::1', r));
  const pools = new UpstreamPools({ idleTimeoutMs: 1000 });
  try {
    const origin = `http://[::1]:${(server.address() as AddressInfo).port}`;
    assert.equal(await get(pools.get(origin, null)), 200);
  } finally {
    await pools.close();
    server.close();
  }
});

it('3,000 distinct refused origins leave no pool behind (dropped on connectionError)', async () => {
  const port = await closedPort();
  const pools = new UpstreamPools({ idleTimeoutMs: 60_000 });
  try {
    const failures: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      // Distinct loopback addresses: each its own origin, each refused at once.
      const origin = `http://127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255 || 1}:${port}`;
      failures.push(
        get(pools.get(origin, null)).then(
          () => assert.fail('nothing listens there'),
          (err: Error & { code?: string }) => assert.equal(err.code, 'ECONNREFUSED'),
        ),
      );
      if (failures.length === 200) await Promise.all(failures.splice(0));
    }
    await Promise.all(failures);
    for (let i = 0; i < 100 && pools.size > 0; i++) await sleep(20);
    assert.equal(pools.size, 0, 'every refused origin was forgotten');
  } finally {
    await pools.close();
  }
});

it('the number of pools is capped: the least recently used go first', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const pools = new UpstreamPools({ idleTimeoutMs: 60_000, maxPools: 10 });
  try {
    const first = pools.get(`http://127.0.0.1:${port}`, null);
    assert.equal(await get(first), 200);
    for (let i = 2; i < 40; i++) {
      // Keep the first one in use: it must survive the churn. The others are
      // made and never used, so nothing but the cap removes them.
      assert.equal(pools.get(`http://127.0.0.1:${port}`, null), first);
      pools.get(`http://127.0.0.${i}:${port}`, null);
      assert.ok(pools.size <= 10, `size ${pools.size} stays within the cap`);
    }
    assert.equal(pools.size, 10);
    assert.equal(pools.get(`http://127.0.0.1:${port}`, null), first, 'the recently used pool was kept');
  } finally {
    await pools.close();
    server.close();
  }
});

it('via(h2) hands out one HTTP/2 client per origin and identity from the same capped store; HTTP/1.1 and HTTP/2 never share', async () => {
  const server = createH2Server((_req, res) => res.end('h2'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pools = new UpstreamPools({ idleTimeoutMs: 60_000, maxPools: 3 });
  try {
    const h2 = pools.via('h2');
    assert.equal(pools.via('h2'), h2, 'one view per protocol');
    assert.equal(h2.via('http1'), pools);
    const client = h2.get(origin, null);
    assert.ok(client instanceof H2Client);
    assert.equal(h2.get(origin, null), client, 'same origin, same session client');
    assert.notEqual(
      h2.get(origin, 'spiffe://cluster.local/ns/default/sa/x'),
      client,
      'identity is part of the key',
    );
    assert.notEqual(pools.get(origin, null), client, 'HTTP/1.1 has its own pool');
    assert.equal(pools.size, 3);
    assert.equal(await get(client), 200);
    // The cap counts every protocol: a fourth origin evicts the least recently used.
    h2.get('http://127.0.0.2:1', null);
    assert.equal(pools.size, 3);
    assert.throws(
      () => h2.get('http://[zz]:1', null),
      ProxyError,
      'an origin no connection can be made to is UF',
    );
  } finally {
    await pools.close();
    server.close();
  }
});
