import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { type AdminView, createAdminServer } from '../../../src/admin/server.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import { ConfigStore } from '../../../src/config/store.ts';

const self = { service: 'web', workload: 'web', namespace: 'default', version: 'v1', serviceAccount: 'web' };
const MESH = `mtls: disable
services:
  reviews:
    versions: { v1: { host: 127.0.0.1, port: 9081 }, v2: { host: 127.0.0.1, port: 9082 } }
    routes:
      - match: { headers: { x-canary: { exact: "1" } } }
        split: { v2: 100 }
      - split: { v1: 80, v2: 20 }
`;

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

function call(port: number, path: string, opts: { method?: string; accept?: string; host?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: opts.host ?? '127.0.0.1',
        localAddress: opts.host,
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.accept === undefined ? {} : { accept: opts.accept },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A non-loopback address of this machine, to call the admin port as a pod-IP client would. */
function podAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('admin server', () => {
  let server: Server;
  let port: number;
  let ready = false;
  let quits = 0;
  let renderFails = false;
  const accepts: (string | undefined)[] = [];
  const loaded = loadMeshText(MESH, 'mesh.yaml', self);
  assert.ok(loaded.ok);
  const view: AdminView & { draining: boolean } = {
    config: new ConfigStore(loaded.mesh),
    draining: false,
    metrics: {
      async render(accept) {
        accepts.push(accept);
        if (renderFails) throw new Error('registry broke');
        return { contentType: 'text/plain; version=0.0.4', body: 'meshlet_up 1\n' };
      },
    },
  };

  before(async () => {
    server = createAdminServer(view, {
      ready: () => ready,
      quit: () => quits++,
      extra: (req, res) => {
        if (req.url !== '/extra') return false;
        res.end('extra\n');
        return true;
      },
    });
    server.listen(0, '0.0.0.0');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('/healthz is always 200; /ready follows the readiness hook, and draining wins', async () => {
    assert.equal((await call(port, '/healthz')).status, 200);
    ready = false;
    assert.deepEqual(await call(port, '/ready'), {
      status: 503,
      type: 'text/plain; charset=utf-8',
      body: 'not ready\n',
    });
    ready = true;
    assert.equal((await call(port, '/ready?verbose')).status, 200, 'the query string is ignored');
    view.draining = true;
    assert.equal((await call(port, '/ready')).body, 'draining\n');
    assert.equal((await call(port, '/ready')).status, 503);
    view.draining = false;
  });

  it('/metrics passes the Accept header to the renderer and answers 500 when it fails', async () => {
    const om = 'application/openmetrics-text; version=1.0.0';
    const ok = await call(port, '/metrics', { accept: om });
    assert.deepEqual(ok, { status: 200, type: 'text/plain; version=0.0.4', body: 'meshlet_up 1\n' });
    assert.equal(accepts.at(-1), om);
    renderFails = true;
    const failed = await call(port, '/metrics');
    renderFails = false;
    assert.equal(failed.status, 500);
    assert.equal(failed.body, 'registry broke\n');
  });

  it('/config shows the serving config: hash, routes with their split, no reload error', async () => {
    const r = await call(port, '/config');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    const doc = JSON.parse(r.body);
    assert.equal(doc.hash, loaded.mesh.hash);
    assert.equal(doc.lastReloadError, null);
    assert.equal(doc.mtls, 'disable');
    const reviews = doc.services.find((s: { name: string }) => s.name === 'reviews');
    assert.deepEqual(
      reviews.routes.map((r: { split: unknown; match: unknown }) => ({ split: r.split, match: r.match })),
      [
        { split: { v2: 100 }, match: { headers: { 'x-canary': { exact: '1' } } } },
        { split: { v1: 80, v2: 20 }, match: {} },
      ],
    );
    assert.deepEqual(reviews.versions.v2, { host: '127.0.0.1', port: 9082 });
  });

  it('/quitquitquit drains only on a POST from the pod itself', async () => {
    assert.equal((await call(port, '/quitquitquit')).status, 405);
    assert.equal(quits, 0);
    const pod = podAddress();
    if (pod !== undefined) {
      const r = await call(port, '/quitquitquit', { method: 'POST', host: pod });
      assert.equal(r.status, 403, `from ${pod}`);
      assert.equal(quits, 0);
    }
    const r = await call(port, '/quitquitquit', { method: 'POST' });
    assert.deepEqual([r.status, r.body], [200, 'draining\n']);
    assert.equal(quits, 1);
  });

  it('hands unknown paths to the extra routes, then answers 404', async () => {
    assert.equal((await call(port, '/extra')).body, 'extra\n');
    assert.equal((await call(port, '/nope')).status, 404);
  });
});
