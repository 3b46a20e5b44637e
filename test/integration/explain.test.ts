// `meshlet explain --admin` against a live sidecar agrees with where that
// sidecar actually sends the same requests (x-meshlet-upstream-version), and
// the admin port's /explain follows a config reload. Splits that need a draw
// are made deterministic with sticky keys and a 100/0 split.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Explanation } from '../../src/route/explain.ts';
import {
  freePort,
  MAIN,
  type RunningSidecar,
  serviceYaml,
  startSidecar,
  startVersions,
} from '../helpers/mesh.ts';

const agent = new Agent({ connections: 8 });

async function call(
  port: number,
  host: string,
  path: string,
  headers: Record<string, string>,
  method: string,
) {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent,
    method,
    headers: { host, ...headers },
  });
  await res.body.text();
  return {
    status: res.statusCode,
    version: (res.headers['x-meshlet-upstream-version'] as string | undefined) ?? null,
  };
}

/** `meshlet explain --admin ... -o json`, run as a user runs it. */
async function explain(
  admin: number,
  args: string[],
): Promise<{ code: number | null; json: Explanation; stderr: string }> {
  const proc = spawn(process.execPath, [
    MAIN,
    'explain',
    '--admin',
    `http://127.0.0.1:${admin}`,
    '-o',
    'json',
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  return { code, json: stdout === '' ? ({} as Explanation) : JSON.parse(stdout), stderr };
}

const ROUTES = `      - name: jason
        match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - name: api
        match: { path: { prefix: /api/ }, method: GET }
        split: { v1: 1, v2: 1, v3: 1 }
        sticky: { header: x-session }
      - name: three
        match: { path: { exact: /three } }
        split: { v3: 7 }
      - name: default
        split: { v1: 100, v2: 0 }`;

describe('meshlet explain against a live sidecar', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;

  before(async () => {
    versions = await startVersions(['v1', 'v2', 'v3']);
    sidecar = await startSidecar({
      configText: `outboundTrafficPolicy: registryOnly\n${serviceYaml('reviews', versions.ports, ROUTES)}`,
    });
  });
  after(async () => {
    await sidecar?.stop();
    await versions?.close();
    await agent.close();
  });

  it('predicts the version the sidecar picks, request by request', async () => {
    const cases: Array<{ method: string; path: string; headers: Record<string, string>; route: string }> = [
      { method: 'GET', path: '/api/1', headers: { 'x-user': 'jason' }, route: 'jason' },
      { method: 'POST', path: '/api/1', headers: {}, route: 'default' },
      { method: 'GET', path: '/three?x=1', headers: {}, route: 'three' },
      ...['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'].map((key) => ({
        method: 'GET',
        path: `/api/${key}`,
        headers: { 'x-session': key },
        route: 'api',
      })),
    ];
    const seen = new Set<string>();
    for (const c of cases) {
      const flags = Object.entries(c.headers).flatMap(([n, v]) => ['-H', `${n}: ${v}`]);
      const e = await explain(sidecar.admin, ['--host', 'reviews:9080', ...flags, c.method, c.path]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(e.json.route, c.route);
      const actual = await call(sidecar.outbound, 'reviews:9080', c.path, c.headers, c.method);
      assert.equal(actual.status, 200);
      assert.equal(e.json.version, actual.version, `${c.method} ${c.path} ${JSON.stringify(c.headers)}`);
      assert.equal(e.json.config.hash.length, 16);
      seen.add(actual.version!);
    }
    // The sticky keys land on more than one version, so the agreement is not one version's.
    assert.ok(seen.size >= 2, [...seen].join());
  });

  it('reports the live endpoints and why earlier routes missed', async () => {
    const e = await explain(sidecar.admin, ['--host', 'reviews', 'POST', '/api/1']);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(
      e.json.routes.map((r) => `${r.name}:${r.matched}`),
      ['jason:false', 'api:false', 'three:false', 'default:true'],
    );
    assert.deepEqual(
      e.json.routes[1].conditions.find((c: { ok: boolean }) => !c.ok),
      {
        kind: 'method',
        expected: 'GET',
        actual: 'POST',
        ok: false,
      },
    );
    // From the sidecar's balancing registry, not the config.
    const v1 = e.json.endpoints[0]!;
    assert.deepEqual([v1.version, v1.live], ['v1', true]);
    assert.equal(v1.endpoints[0]!.address, `127.0.0.1:${versions.ports.v1}`);
    assert.equal(v1.endpoints[0]!.state, 'healthy');
  });

  it('agrees on a host outside the registry: NR 502', async () => {
    const e = await explain(sidecar.admin, ['--host', 'example.invalid', '/']);
    const d = e.json.destination;
    assert.ok(d.kind === 'refused');
    assert.equal(d.flag, 'NR');
    const actual = await call(sidecar.outbound, 'example.invalid', '/', {}, 'GET');
    assert.equal(actual.status, d.status);
  });

  it('answers /explain with JSON for the current config, and 400 for a bad question', async () => {
    const bad = await sidecar.admin_('/explain?path=/x');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /host is required/);
    const badRandom = await sidecar.admin_('/explain?host=reviews&random=2');
    assert.equal(badRandom.status, 400);

    writeFileSync(
      sidecar.configFile,
      `outboundTrafficPolicy: registryOnly\n${serviceYaml('reviews', versions.ports, '      - name: all-v3\n        split: { v3: 1 }')}`,
    );
    let hash = '';
    for (let i = 0; i < 50; i++) {
      const config = JSON.parse((await sidecar.admin_('/config')).body);
      const e = JSON.parse(
        (await sidecar.admin_('/explain?host=reviews&method=GET&path=/api/1&header=x-user:jason')).body,
      );
      if (e.route === 'all-v3') {
        assert.equal(e.config.hash, config.hash);
        hash = e.config.hash;
        break;
      }
      await sleep(100);
    }
    assert.notEqual(hash, '', 'the reload reached /explain');
    const actual = await call(sidecar.outbound, 'reviews:9080', '/api/1', { 'x-user': 'jason' }, 'GET');
    assert.equal(actual.version, 'v3');
  });

  it('fails with exit 1 and the address when no sidecar answers', async () => {
    const port = await freePort();
    const e = await explain(port, ['--host', 'reviews', '/']);
    assert.equal(e.code, 1);
    assert.equal(e.stderr, `meshlet explain: http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });
});
