// The admin port of a real sidecar: health, readiness, metrics formats,
// /config, kubelet app probes replayed through /app-health, and the drain
// trigger for Jobs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { MAIN, NODE_FLAGS, type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';

describe('admin port', () => {
  let app: Awaited<ReturnType<typeof startServer>>;
  let sidecar: RunningSidecar;
  let appHealthy = true;

  before(async () => {
    app = await startServer((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(appHealthy ? 200 : 503).end();
        return;
      }
      res.end('ok');
    });
    const probers = {
      '/app-health/web/livez': {
        httpGet: { path: '/healthz', port: app.port, scheme: 'HTTP' },
        timeoutSeconds: 1,
      },
      '/app-health/web/readyz': { httpGet: { path: '/healthz', port: 1, scheme: 'HTTP' }, timeoutSeconds: 1 },
    };
    sidecar = await startSidecar({
      configText: `mtls: disable\nservices:\n  web:\n    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }\n`,
      env: { MESHLET_APP_PORT: String(app.port), MESHLET_APP_PROBERS: JSON.stringify(probers) },
    });
  });
  after(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  it('answers /healthz and /ready, and 404 for anything else', async () => {
    assert.equal((await sidecar.admin_('/healthz')).status, 200);
    assert.equal((await sidecar.admin_('/ready')).status, 200);
    assert.equal((await sidecar.admin_('/nope')).status, 404);
  });

  it('serves Prometheus text, or OpenMetrics when asked', async () => {
    await (await request(`http://127.0.0.1:${sidecar.outbound}/`, { headers: { host: 'web' } })).body.text();
    const text = await request(`http://127.0.0.1:${sidecar.admin}/metrics`);
    assert.match(String(text.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(await text.body.text(), /^meshlet_requests_total\{reporter="source",.*\} 1$/m);
    const om = await request(`http://127.0.0.1:${sidecar.admin}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    assert.match(String(om.headers['content-type']), /^application\/openmetrics-text/);
    assert.match(await om.body.text(), /# EOF\n$/);
  });

  it('shows the live config on /config', async () => {
    const config = JSON.parse((await sidecar.admin_('/config')).body);
    assert.match(config.hash, /^[0-9a-f]{16}$/);
    assert.equal(config.source, sidecar.configFile);
    assert.equal(config.lastReloadError, null);
    assert.deepEqual(config.services[0].routes[0].split, { v1: 1 });
  });

  it("replays the app's kubelet probes on /app-health, passing its status through", async () => {
    assert.equal((await sidecar.admin_('/app-health/web/livez')).status, 200);
    appHealthy = false;
    assert.equal((await sidecar.admin_('/app-health/web/livez')).status, 503);
    appHealthy = true;
    // A probe whose target does not answer is a failure, not a hang.
    assert.equal((await sidecar.admin_('/app-health/web/readyz')).status, 503);
    assert.equal((await sidecar.admin_('/app-health/other/livez')).status, 404);
  });

  it('POST /quitquitquit drains and exits 0; other methods are refused', async () => {
    const get = await request(`http://127.0.0.1:${sidecar.admin}/quitquitquit`);
    await get.body.dump();
    assert.equal(get.statusCode, 405);
    const post = await request(`http://127.0.0.1:${sidecar.admin}/quitquitquit`, { method: 'POST' });
    assert.equal(post.statusCode, 200);
    await post.body.dump();
    assert.equal(await sidecar.exited, 0);
  });
});

describe('admin port of a multi-worker sidecar', () => {
  it("replays the app's kubelet probes on the primary's admin port too", async () => {
    const app = await startServer((_req, res) => {
      res.writeHead(204).end();
    });
    const probers = {
      '/app-health/web/livez': { httpGet: { path: '/healthz', port: app.port, scheme: 'HTTP' } },
    };
    const sidecar = await startSidecar({
      configText: `mtls: disable\nservices:\n  web:\n    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }\n`,
      env: { MESHLET_WORKERS: '2', MESHLET_APP_PROBERS: JSON.stringify(probers) },
    });
    try {
      assert.equal((await sidecar.admin_('/app-health/web/livez')).status, 204);
      assert.equal((await sidecar.admin_('/app-health/other/livez')).status, 404);
    } finally {
      await sidecar.stop();
      await app.close();
    }
  });
});

describe('start-up errors', () => {
  it('a port already in use is a clear error and exit 1, not a hang', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'meshlet-admin-'));
    const config = join(dir, 'mesh.yaml');
    writeFileSync(config, 'services: {}\n');
    try {
      const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'run', '--config', config], {
        env: {
          ...process.env,
          MESHLET_OUTBOUND_PORT: String(port),
          MESHLET_INBOUND_PORT: '0',
          MESHLET_ADMIN_PORT: '0',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /cannot listen: listen EADDRINUSE/);
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad MESHLET_APP_PROBERS is a clear error, exit 1', async () => {
    await assert.rejects(
      startSidecar({ env: { MESHLET_APP_PROBERS: '{"/wrong": {}}' } }),
      /exited with 1[\s\S]*MESHLET_APP_PROBERS\["\/wrong"\]: path must start with \/app-health\//,
    );
  });
});
