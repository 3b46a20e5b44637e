import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { BALANCE_DEFAULTS, EndpointSet } from '../../../src/balance/endpoint-set.ts';
import { endpointAddress } from '../../../src/discovery/address.ts';
import { ProxyError } from '../../../src/errors.ts';
import { BalancedUpstream, type VersionBalance } from '../../../src/forward/balanced-upstream.ts';
import { UpstreamCall } from '../../../src/forward/call.ts';
import { UpstreamPools } from '../../../src/forward/pools.ts';
import type { RetryOutcome } from '../../../src/telemetry/metrics/balance.ts';

/** A version over real loopback servers; counters recorded. */
function version(ports: number[], policy = BALANCE_DEFAULTS) {
  const set = new EndpointSet('reviews', 'v1', { policy });
  set.update(ports.map((p) => endpointAddress('127.0.0.1', p)));
  const retries: RetryOutcome[] = [];
  const overflows: string[] = [];
  const v: VersionBalance = {
    set,
    counters: { ejection() {}, overflow: (l) => overflows.push(l), retry: (o) => retries.push(o) },
  };
  return { v, set, retries, overflows };
}

describe('BalancedUpstream', () => {
  const servers: Server[] = [];
  const ports: number[] = [];
  const hits: number[] = [];
  let proxy: Server;
  let proxyPort = 0;
  const pools = new UpstreamPools({ idleTimeoutMs: 2000 });
  let current: () => BalancedUpstream;
  const client = new Agent();

  before(async () => {
    // Endpoint 0 answers 503, endpoint 1 answers 200.
    for (const status of [503, 200]) {
      const i = servers.length;
      hits.push(0);
      const s = createServer((req, res) => {
        hits[i]!++;
        req.resume();
        res.writeHead(status).end(String(i));
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      ports.push((s.address() as AddressInfo).port);
    }
    // A minimal proxy: one UpstreamCall per request over the Upstream under test.
    proxy = createServer((req, res) => {
      const upstream = current();
      new UpstreamCall(
        req,
        res,
        {
          upstream,
          method: req.method!,
          path: req.url!,
          headers: [],
          timeoutMs: 0,
          retry: {
            attempts: 2,
            onConnectFailure: true,
            onReset: true,
            statuses: new Set([503]),
            perTryTimeoutMs: 0,
          },
          responseHeaders: null,
          hasBody: false,
        },
        () => {},
        (r, err) => r.writeHead(err.status, { 'x-meshlet-error': err.flag }).end(),
      ).start();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as AddressInfo).port;
  });

  after(async () => {
    await client.close();
    await pools.close();
    for (const s of [...servers, proxy]) {
      s.closeAllConnections();
      s.close();
    }
  });

  async function get(): Promise<{ status: number; body: string; flag: string | undefined }> {
    const r = await request(`http://127.0.0.1:${proxyPort}/`, { dispatcher: client });
    return {
      status: r.statusCode,
      body: await r.body.text(),
      flag: r.headers['x-meshlet-error'] as string | undefined,
    };
  }

  it('a retry goes to the endpoint not yet tried, and counts as a successful retry', async () => {
    const { v, set, retries } = version(ports);
    current = () => new BalancedUpstream(v, pools, null, null);
    for (let i = 0; i < 20; i++) {
      const r = await get();
      assert.equal(r.status, 200);
      assert.equal(r.body, '1');
    }
    // Every request that tried the failing endpoint first was retried once, on the other one.
    assert.equal(retries.length, hits[0]);
    assert.ok(retries.every((o) => o === 'success'));
    assert.deepEqual(set.breaker.counts, { pending: 0, active: 0 }, 'every slot given back');
    assert.equal(
      set.snapshot().endpoints.reduce((n, e) => n + e.pending, 0),
      0,
    );
  });

  it('a spent retry budget: the 503 goes back as it came, counted budget_exhausted', async () => {
    const { v, retries } = version([ports[0]!], {
      ...BALANCE_DEFAULTS,
      outlier: null,
      budget: { ratio: 0, minRetriesPerSecond: 0, windowMs: 10_000 },
    });
    current = () => new BalancedUpstream(v, pools, null, null);
    const r = await get();
    assert.equal(r.status, 503);
    assert.equal(r.flag, undefined, "the upstream's own 503, not a proxy reply");
    assert.deepEqual(retries, ['budget_exhausted']);
  });

  it('the circuit breaker full: 503 UO at once, counted by limit; the slot comes back', async () => {
    const { v, set, overflows } = version([ports[1]!], {
      ...BALANCE_DEFAULTS,
      breaker: { maxConnections: 1, maxPendingRequests: 0, maxRequests: 10 },
    });
    const held = set.breaker.tryAcquire();
    assert.ok(typeof held === 'object');
    const up = new BalancedUpstream(v, pools, null, null);
    const e = up.pick(1, new Set());
    assert.ok(e instanceof ProxyError);
    assert.equal(e.flag, 'UO');
    assert.deepEqual(overflows, ['connections']);
    held.release();
    current = () => new BalancedUpstream(v, pools, null, null);
    assert.equal((await get()).status, 200);
  });

  it('names the endpoint it picked on the note (span and access log)', () => {
    const { v } = version([ports[1]!]);
    const note = { endpoint: null as string | null, span: null };
    const up = new BalancedUpstream(v, pools, null, note);
    up.pick(1, new Set());
    assert.equal(note.endpoint, `127.0.0.1:${ports[1]}`);
    up.finished();
  });
});
