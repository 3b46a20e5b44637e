import 'reflect-metadata'; // before @peculiar/x509, whose tsyringe needs it
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { webcrypto } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { X509CertificateGenerator } from '@peculiar/x509';
import { appHealthStatus, probeApp } from '../../../src/inject/app-probe.ts';
import type { Container } from '../../../src/inject/k8s.ts';
import { type AppProber, parseAppProbers, rewriteAppProbes } from '../../../src/inject/probes.ts';
import { waitReadyCommand } from '../../../src/inject/sidecar.ts';

const NODE = process.execPath;

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('rewriteAppProbes → parseAppProbers', () => {
  it('round-trips an HTTP probe with a named port and headers', () => {
    const containers: Container[] = [
      {
        name: 'web',
        ports: [{ name: 'mgmt', containerPort: 9081 }],
        livenessProbe: {
          httpGet: {
            path: '/healthz?deep=1',
            port: 'mgmt',
            scheme: 'https',
            httpHeaders: [{ name: 'X-A', value: 'b' }],
          },
          timeoutSeconds: 4,
          periodSeconds: 7,
        },
      },
    ];
    const warnings: string[] = [];
    const json = rewriteAppProbes(containers, 15000, warnings);
    assert.deepEqual(warnings, []);
    assert.deepEqual(containers[0]?.livenessProbe, {
      httpGet: { path: '/app-health/web/livez', port: 15000, scheme: 'HTTP' },
      timeoutSeconds: 4,
      periodSeconds: 7,
    });
    const probers = parseAppProbers(JSON.stringify(json));
    assert.deepEqual(probers.get('/app-health/web/livez'), {
      port: 9081,
      path: '/healthz?deep=1',
      scheme: 'HTTPS',
      headers: [{ name: 'X-A', value: 'b' }],
      timeoutSeconds: 4,
    });
  });

  it('leaves probes on the admin port, with a host, or non-HTTP alone', () => {
    const containers: Container[] = [
      {
        name: 'a',
        livenessProbe: { httpGet: { path: '/', port: 15000 } },
        readinessProbe: { httpGet: { path: '/', port: 80, host: 'example.com' } },
        startupProbe: { tcpSocket: { port: 80 } },
      },
    ];
    const before = structuredClone(containers);
    assert.deepEqual(rewriteAppProbes(containers, 15000, []), {});
    assert.deepEqual(containers, before);
  });

  it('parses absent or empty input to no probers and rejects malformed input clearly', () => {
    assert.equal(parseAppProbers(undefined).size, 0);
    assert.equal(parseAppProbers('').size, 0);
    const bad: Array<[string, RegExp]> = [
      ['{', /not valid JSON/],
      ['[]', /JSON object/],
      ['{"/x":{"httpGet":{"port":80}}}', /must start with \/app-health\//],
      ['{"/app-health/a/livez":{}}', /missing httpGet/],
      ['{"/app-health/a/livez":{"httpGet":{"port":"http"}}}', /port number/],
      ['{"/app-health/a/livez":{"httpGet":{"port":80,"scheme":"GRPC"}}}', /scheme/],
      ['{"/app-health/a/livez":{"httpGet":{"port":80,"httpHeaders":[{"name":1}]}}}', /httpHeaders/],
      ['{"/app-health/a/livez":{"httpGet":{"port":80},"timeoutSeconds":0}}', /timeoutSeconds/],
    ];
    for (const [input, message] of bad) assert.throws(() => parseAppProbers(input), message, input);
    const defaults = parseAppProbers('{"/app-health/a/readyz":{"httpGet":{"port":80,"path":"ok"}}}');
    assert.deepEqual(defaults.get('/app-health/a/readyz'), {
      port: 80,
      path: '/ok',
      scheme: 'HTTP',
      headers: [],
      timeoutSeconds: 1,
    });
  });
});

describe('probeApp against a real app', () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/slow') return; // never answers: the probe must time out
    res.statusCode = req.url === '/ok' ? 204 : 500;
    res.end();
  });
  let port = 0;
  before(async () => {
    port = await listen(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const prober = (path: string, extra: Partial<AppProber> = {}): AppProber => ({
    port,
    path,
    scheme: 'HTTP',
    headers: [],
    timeoutSeconds: 1,
    ...extra,
  });

  it('returns the app status code and sends the probe headers', async () => {
    assert.equal(await probeApp(prober('/ok', { headers: [{ name: 'X-Probe', value: 'live' }] })), 204);
    assert.equal(seen.at(-1)?.['x-probe'], 'live');
    assert.match(String(seen.at(-1)?.['user-agent']), /kube-probe/);
    assert.equal(await probeApp(prober('/fail')), 500);
  });

  it('appHealthStatus passes the app status through, 503 for no answer, undefined for other paths', async () => {
    const probers = new Map([
      ['/app-health/web/livez', prober('/ok')],
      ['/app-health/web/readyz', prober('/fail')],
      ['/app-health/web/startupz', prober('/slow', { timeoutSeconds: 0.2 })],
    ]);
    assert.equal(await appHealthStatus(probers, '/app-health/web/livez'), 204);
    assert.equal(await appHealthStatus(probers, '/app-health/web/readyz'), 500);
    assert.equal(await appHealthStatus(probers, '/app-health/web/startupz'), 503);
    assert.equal(await appHealthStatus(probers, '/app-health/other/livez'), undefined);
  });

  it('returns 0 on timeout and on connection refused', async () => {
    assert.equal(await probeApp(prober('/slow', { timeoutSeconds: 0.2 })), 0);
    const closed = http.createServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    assert.equal(await probeApp({ ...prober('/'), port: closedPort }), 0);
  });

  it('probes HTTPS apps without verifying their certificate, as kubelet does', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=app',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
    const tls = https.createServer({ cert: cert.toString('pem'), key }, (_req, res) => res.end('ok'));
    const tlsPort = await listen(tls);
    try {
      assert.equal(await probeApp({ ...prober('/'), port: tlsPort, scheme: 'HTTPS' }), 200);
    } finally {
      tls.close();
    }
  });
});

describe('waitReadyCommand (legacy postStart hook)', () => {
  it('exits 0 once /ready answers 200, polling through 503s', async () => {
    let calls = 0;
    const admin = http.createServer((req, res) => {
      calls += 1;
      res.statusCode = req.url === '/ready' && calls >= 3 ? 200 : 503;
      res.end();
    });
    const port = await listen(admin);
    const [, ...args] = waitReadyCommand();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(NODE, args, {
        env: { ...process.env, MESHLET_ADMIN_PORT: String(port) },
        stdio: 'inherit',
      });
      child.on('exit', resolve);
    });
    admin.close();
    assert.equal(code, 0);
    assert.ok(calls >= 3, `polled ${calls} times`);
  });
});
