import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { appProbeRoute } from '../../../src/admin/app-probes.ts';
import { parseAppProbers } from '../../../src/inject/probes.ts';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listening<T extends { listen(port: number, host: string): unknown; address(): unknown }>(
  server: T,
): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server as never, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('app probe route', () => {
  const app = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 204 : 500).end();
  });
  // Accepts and never answers: a probe that times out.
  const hung = createTcpServer(() => {});
  const admin = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404).end('not an app probe\n');
  });
  let route: ReturnType<typeof appProbeRoute>;
  let adminPort: number;

  before(async () => {
    const appPort = await listening(app);
    const hungPort = await listening(hung);
    route = appProbeRoute(
      parseAppProbers(
        JSON.stringify({
          '/app-health/web/livez': { httpGet: { path: '/healthz', port: appPort, scheme: 'HTTP' } },
          '/app-health/web/readyz': { httpGet: { path: '/fails', port: appPort, scheme: 'HTTP' } },
          '/app-health/web/startupz': {
            httpGet: { path: '/', port: hungPort, scheme: 'HTTP' },
            timeoutSeconds: 0.2,
          },
        }),
      ),
    );
    adminPort = await listening(admin);
  });
  after(() => {
    app.close();
    hung.close();
    admin.close();
  });

  it("passes the app's own status through", async () => {
    assert.deepEqual(await get(adminPort, '/app-health/web/livez'), { status: 204, body: '' });
    assert.equal((await get(adminPort, '/app-health/web/readyz?x=1')).status, 500);
  });

  it('answers 503 when the app does not answer within the probe timeout', async () => {
    assert.deepEqual(await get(adminPort, '/app-health/web/startupz'), { status: 503, body: '503\n' });
  });

  it('answers 404 for an unknown probe and leaves other paths to the next route', async () => {
    assert.deepEqual(await get(adminPort, '/app-health/other/livez'), {
      status: 404,
      body: 'no such app probe\n',
    });
    assert.deepEqual(await get(adminPort, '/metrics'), { status: 404, body: 'not an app probe\n' });
  });
});
