// The canary guard through a live sidecar: v2 answers half its requests with
// 500 at a 10 % split; the route's guard (maxErrorRate 0.1) trips it, after
// which v2 gets no new request (sticky keys included), the caller's errors
// stop, the gauge reads 1 and /config shows the trip; an edit of the weights
// resets it (docs/configuration.md, "Canary guard").
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';

function meshYaml(v1: number, v2: number, split: string): string {
  return `mtls: disable
services:
  reviews:
    port: 9080
    versions:
      v1: { endpoints: ["127.0.0.1:${v1}"] }
      v2: { endpoints: ["127.0.0.1:${v2}"] }
    routes:
      - name: canary
        sticky: { header: x-user }
        split: { ${split} }
        guard: { baseline: v1, maxErrorRate: 0.1, window: 5s, minRequests: 10 }
`;
}

interface Sent {
  status: number;
  version: string | null;
}

async function send(client: Pool, n: number, inFlight: number, user?: string): Promise<Sent[]> {
  const out: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await client.request({
        method: 'GET',
        path: '/',
        headers: user === undefined ? { host: 'reviews' } : { host: 'reviews', 'x-user': user },
      });
      await res.body.text();
      out.push({
        status: res.statusCode,
        version: (res.headers['x-served-by'] as string | undefined) ?? null,
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return out;
}

describe('canary guard', () => {
  let sidecar: RunningSidecar;
  let client: Pool;
  const servers: Array<{ close(): Promise<void> }> = [];
  const hits = { v1: 0, v2: 0 };
  let v2Odd = 0;
  let v1Port = 0;
  let v2Port = 0;

  before(async () => {
    const v1 = await startServer((req, res) => {
      hits.v1++;
      req.resume();
      res.writeHead(200, { 'x-served-by': 'v1' });
      res.end('v1');
    });
    const v2 = await startServer((req, res) => {
      hits.v2++;
      req.resume();
      // Every other request fails: 50 % errors.
      res.writeHead(v2Odd++ % 2 === 0 ? 500 : 200, { 'x-served-by': 'v2' });
      res.end('v2');
    });
    servers.push(v1, v2);
    v1Port = v1.port;
    v2Port = v2.port;
    sidecar = await startSidecar({ configText: meshYaml(v1Port, v2Port, 'v1: 90, v2: 10') });
    client = new Pool(`http://127.0.0.1:${sidecar.outbound}`, { connections: 8 });
  });

  after(async () => {
    await client?.close();
    await sidecar?.stop();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('trips v2 within its window; v2 then gets no new requests, errors stop, the gauge reads 1; a weight edit resets it', async () => {
    // A sticky key that hashes to v2 (found by asking): it must move to v1 once v2 trips.
    let stickyToV2: string | undefined;
    for (let i = 0; i < 200 && stickyToV2 === undefined; i++) {
      const [r] = await send(client, 1, 1, `user-${i}`);
      if (r!.version === 'v2') stickyToV2 = `user-${i}`;
    }
    assert.ok(stickyToV2 !== undefined, 'a sticky key on v2');

    const started = performance.now();
    let trippedAfterMs = -1;
    const first: Sent[] = [];
    while (performance.now() - started < 5000) {
      first.push(...(await send(client, 20, 4)));
      const metrics = (await sidecar.admin_('/metrics')).body;
      if (/meshlet_canary_guard_tripped\{[^}]*version="v2"\} 1/.test(metrics)) {
        trippedAfterMs = performance.now() - started;
        break;
      }
    }
    assert.ok(trippedAfterMs >= 0, 'the guard tripped within its 5 s window');
    console.log(
      `guard tripped after ${trippedAfterMs.toFixed(0)} ms, ${first.length} requests, ${first.filter((r) => r.status >= 500).length} errors`,
    );
    const metrics = (await sidecar.admin_('/metrics')).body;
    assert.match(
      metrics,
      /meshlet_canary_guard_tripped\{destination_service="reviews\.default\.svc\.cluster\.local",route="canary",version="v2"\} 1/,
    );
    const config = JSON.parse((await sidecar.admin_('/config')).body) as {
      canaryGuards: { route: string; baseline: string; tripped: { version: string; reason: string }[] }[];
    };
    assert.deepEqual(
      config.canaryGuards.map((g) => [g.route, g.baseline, g.tripped.map((t) => [t.version, t.reason])]),
      [['canary', 'v1', [['v2', 'error-rate']]]],
    );
    assert.match(sidecar.output(), /canary guard tripped/);

    const v2Before = hits.v2;
    const after = await send(client, 500, 8);
    assert.equal(hits.v2, v2Before, 'v2 got no new request');
    assert.equal(after.filter((r) => r.status !== 200).length, 0, 'the caller sees no errors');
    const [sticky] = await send(client, 1, 1, stickyToV2);
    assert.equal(sticky!.version, 'v1', 'the sticky key moved to the baseline');

    // A new split resets the guard: the gauge reads 0 and v2 gets traffic again.
    writeFileSync(sidecar.configFile, meshYaml(v1Port, v2Port, 'v1: 80, v2: 20'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = (await sidecar.admin_('/metrics')).body;
      if (/meshlet_canary_guard_tripped\{[^}]*version="v2"\} 0/.test(m)) break;
      assert.ok(Date.now() < deadline, 'the reload reset the guard');
      await sleep(100);
    }
    const v2AtReset = hits.v2;
    await send(client, 100, 4);
    assert.ok(hits.v2 > v2AtReset, 'v2 gets requests again');
  });
});
