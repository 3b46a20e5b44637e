// Routing through a real sidecar process: weighted splits, header/path/method
// matches, sticky keys, registry policy, absolute-form requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import {
  type RunningSidecar,
  rawExchange,
  serviceYaml,
  startSidecar,
  startVersions,
} from '../helpers/mesh.ts';

const agent = new Agent({ connections: 16 });

async function call(
  port: number,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
  method = 'GET',
) {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent,
    method,
    headers: { host, ...headers },
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

describe('outbound routing', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;

  before(async () => {
    versions = await startVersions(['v1', 'v2', 'v3']);
    const routes = `      - match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - match: { headers: { x-canary: { present: true } }, method: [POST] }
        split: { v3: 1 }
      - match: { path: { prefix: /api/ } , method: GET }
        split: { v1: 1, v2: 1, v3: 1 }
        sticky: { header: x-session }
      - match: { path: { regex: "/items/[0-9]+" } }
        split: { v3: 5 }
      - match: { path: { exact: /cookie } }
        split: { v1: 50, v2: 50 }
        sticky: { cookie: session }
      - split: { v1: 70, v2: 20, v3: 10 }`;
    sidecar = await startSidecar({
      configText: `outboundTrafficPolicy: registryOnly\n${serviceYaml('reviews', versions.ports, routes).replace('mtls: disable\n', 'mtls: disable\n')}`,
    });
  });
  after(async () => {
    await sidecar?.stop();
    await versions?.close();
    await agent.close();
  });

  it('splits 70/20/10 by weight (chi-square p > 0.001 over 2,000 requests)', async () => {
    const counts: Record<string, number> = { v1: 0, v2: 0, v3: 0 };
    const total = 2000;
    for (let i = 0; i < total; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, () => call(sidecar.outbound, 'reviews:9080')),
      );
      for (const r of batch) {
        assert.equal(r.status, 200);
        const v = r.headers['x-meshlet-upstream-version'] as string;
        assert.equal(JSON.parse(r.body).version, v, 'the header names the version that served');
        counts[v]!++;
      }
    }
    const expected = { v1: 0.7 * total, v2: 0.2 * total, v3: 0.1 * total };
    const chi2 = Object.entries(expected).reduce((s, [v, e]) => s + (counts[v]! - e) ** 2 / e, 0);
    // df = 2: chi-square critical value for p = 0.001 is 13.816
    assert.ok(chi2 < 13.816, `chi2=${chi2.toFixed(2)} counts=${JSON.stringify(counts)}`);
  });

  it('header exact match sends every request to v2', async () => {
    for (let i = 0; i < 50; i++) {
      const r = await call(sidecar.outbound, 'reviews', '/', { 'x-user': 'jason' });
      assert.equal(r.headers['x-meshlet-upstream-version'], 'v2');
    }
    const other = await Promise.all(
      Array.from({ length: 60 }, () => call(sidecar.outbound, 'reviews', '/', { 'x-user': 'jasonx' })),
    );
    assert.ok(
      other.some((r) => r.headers['x-meshlet-upstream-version'] !== 'v2'),
      'prefix of the value does not match exact',
    );
  });

  it('header presence and method list combine', async () => {
    const post = await call(sidecar.outbound, 'reviews', '/', { 'x-canary': '' }, 'POST');
    assert.equal(post.headers['x-meshlet-upstream-version'], 'v3');
    const gets = await Promise.all(
      Array.from({ length: 40 }, () => call(sidecar.outbound, 'reviews', '/', { 'x-canary': '1' })),
    );
    assert.ok(
      gets.some((r) => r.headers['x-meshlet-upstream-version'] !== 'v3'),
      'GET does not match a POST-only route',
    );
  });

  it('path regex is a full match, and the query string is not part of the path', async () => {
    for (const path of ['/items/42', '/items/7?x=1']) {
      const r = await call(sidecar.outbound, 'reviews', path);
      assert.equal(r.headers['x-meshlet-upstream-version'], 'v3', path);
      assert.equal(JSON.parse(r.body).url, path, 'path and query reach the upstream unchanged');
    }
    const rs = await Promise.all(
      Array.from({ length: 40 }, () => call(sidecar.outbound, 'reviews', '/items/42/x')),
    );
    assert.ok(rs.some((r) => r.headers['x-meshlet-upstream-version'] !== 'v3'));
  });

  it('sticky header keeps one key on one version, and keys spread over versions', async () => {
    const seen = new Set<string>();
    for (let k = 0; k < 30; k++) {
      const key = `user-${k}`;
      const first = await call(sidecar.outbound, 'reviews', '/api/x', { 'x-session': key });
      const v = first.headers['x-meshlet-upstream-version'] as string;
      seen.add(v);
      for (let i = 0; i < 5; i++) {
        const again = await call(sidecar.outbound, 'reviews', `/api/y${i}`, { 'x-session': key });
        assert.equal(again.headers['x-meshlet-upstream-version'], v, `key ${key} moved`);
      }
    }
    assert.equal(seen.size, 3, 'different keys land on different versions');
  });

  it('sticky cookie keeps one session on one version', async () => {
    for (let k = 0; k < 10; k++) {
      const cookie = `theme=dark; session=s${k}`;
      const v = (await call(sidecar.outbound, 'reviews', '/cookie', { cookie })).headers[
        'x-meshlet-upstream-version'
      ];
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await call(sidecar.outbound, 'reviews', '/cookie', { cookie })).headers[
            'x-meshlet-upstream-version'
          ],
          v,
        );
      }
    }
  });

  it('accepts every host spelling of the service', async () => {
    for (const host of [
      'reviews',
      'reviews:9080',
      'reviews.default',
      'reviews.default.svc',
      'reviews.default.svc.cluster.local:9080',
    ]) {
      const r = await call(sidecar.outbound, host, '/', { 'x-user': 'jason' });
      assert.equal(r.status, 200, host);
      assert.equal(r.headers['x-meshlet-upstream-version'], 'v2', host);
    }
  });

  it('accepts absolute-form request targets (HTTP_PROXY style)', async () => {
    const raw = await rawExchange(
      sidecar.outbound,
      'GET http://reviews:9080/items/1 HTTP/1.1\r\nHost: reviews:9080\r\nConnection: close\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.match(raw, /x-meshlet-upstream-version: v3/i);
    assert.match(raw, /"url":"\/items\/1"/, 'the upstream sees origin-form');
  });

  it('registryOnly answers an unknown host with 502 NR', async () => {
    const r = await call(sidecar.outbound, 'unknown-service:80');
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-meshlet-error'], 'NR');
    assert.deepEqual(Object.keys(JSON.parse(r.body)).sort(), ['error', 'flag', 'message']);
    assert.equal(JSON.parse(r.body).flag, 'NR');
  });

  it('sets forwarding headers and strips hop-by-hop ones', async () => {
    const raw = await rawExchange(
      sidecar.outbound,
      'GET / HTTP/1.1\r\nHost: reviews\r\nx-user: jason\r\nConnection: close, x-secret-hop\r\n' +
        'x-secret-hop: must-not-pass\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nx-request-id: given-id\r\n\r\n',
    );
    const seen = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).headers as Record<string, string>;
    assert.equal(seen['proxy-connection'], undefined);
    assert.equal(seen['x-secret-hop'], undefined);
    assert.equal(seen['keep-alive'], undefined);
    assert.equal(seen['x-request-id'], 'given-id');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    const generated = JSON.parse(
      (await call(sidecar.outbound, 'reviews', '/', { 'x-user': 'jason' })).body,
    ).headers;
    assert.match(generated['x-request-id'], /^[0-9a-f-]{36}$/);
  });
});
