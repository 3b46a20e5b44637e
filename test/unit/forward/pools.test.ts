import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamPools } from '../../../src/forward/pools.ts';

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
