// The access log and the run-time log controls of a live sidecar: the line for
// an outbound 503 UF names the service, version, endpoint and request id (and
// so does the reply); `accessLog:` in mesh.yaml switches it and its format on
// reload; MESHLET_ACCESS_LOG=1 turns it on whatever the config says; the log
// level changes at run time and debug lines appear at the decisions.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { freePort, type RunningSidecar, startSidecar } from '../helpers/mesh.ts';

type Line = Record<string, unknown>;

function jsonLines(sidecar: RunningSidecar): Line[] {
  return sidecar
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function call(sidecar: RunningSidecar, path: string, id: string, host = 'reviews') {
  const res = await request(`http://127.0.0.1:${sidecar.outbound}${path}`, {
    headers: { host, 'x-request-id': id },
  });
  return { status: res.statusCode, flag: res.headers['x-meshlet-error'], body: await res.body.text() };
}

/** Rewrites the config file and waits until the sidecar serves it. */
async function reconfigure(sidecar: RunningSidecar, text: string): Promise<void> {
  const before = JSON.parse((await sidecar.admin_('/config')).body).hash as string;
  writeFileSync(sidecar.configFile, text);
  await until('the reload', async () =>
    JSON.parse((await sidecar.admin_('/config')).body).hash !== before ? true : undefined,
  );
}

describe('access log', () => {
  let sidecar: RunningSidecar;
  let closed: number;
  let closedToo: number;
  const mesh = (accessLog: string, extra = '') => `mtls: disable
${accessLog}
services:
  reviews:
    retries: { attempts: 2 }
    versions: { v1: { host: 127.0.0.1, port: ${closed} } }
    routes: [{ name: canary, split: { v1: 100 } }]
${extra}`;

  before(async () => {
    closed = await freePort();
    closedToo = await freePort();
    sidecar = await startSidecar({
      configText: mesh('accessLog: { enabled: true }'),
      // No app behind this pod: inbound calls fail to connect.
      env: { MESHLET_APP_PORT: String(closedToo) },
    });
  });
  after(async () => {
    await sidecar?.stop();
  });

  it('names service, version, endpoint and request id for an outbound 503 UF, in the line and the reply', async () => {
    const r = await call(sidecar, '/api/1?token=secret', 'req-uf-1');
    assert.equal(r.status, 503);
    assert.match(
      JSON.parse(r.body).message,
      new RegExp(`service reviews version v1 endpoint 127\\.0\\.0\\.1:${closed}`),
    );
    const line = await until('the access line', () =>
      jsonLines(sidecar).find((l) => l.msg === 'access' && l.requestId === 'req-uf-1'),
    );
    assert.equal(line.level, 'info');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(String(line.start), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(line.dir, 'outbound');
    assert.equal(line.method, 'GET');
    assert.equal(line.authority, 'reviews');
    assert.equal(line.path, '/api/1', 'the query (which may hold secrets) is not logged');
    assert.equal(line.protocol, 'HTTP/1.1');
    assert.equal(line.status, 503);
    assert.ok(line.flags === 'UF' || line.flags === 'URX', String(line.flags));
    assert.equal(line.route, 'canary');
    assert.equal(line.destination, 'reviews');
    assert.equal(line.version, 'v1');
    assert.match(String(line.endpoint), new RegExp(`127\\.0\\.0\\.1:${closed}$`));
    assert.equal(typeof line.bytesIn, 'number');
    assert.equal(typeof line.bytesOut, 'number');
    assert.ok(!/\.\d{4,}/.test(String(line.ms)), `ms ${line.ms} has at most 3 decimals`);
    // Also findable with grep, as an operator would.
    assert.ok(
      sidecar
        .output()
        .split('\n')
        .some((l) => l.includes('"requestId":"req-uf-1"') && l.includes('"version":"v1"')),
    );
  });

  it('names this pod, its version and the app endpoint for an inbound 503 UF', async () => {
    const res = await request(`http://127.0.0.1:${sidecar.inbound}/in`, {
      headers: { 'x-request-id': 'req-in-1' },
    });
    assert.equal(res.statusCode, 503);
    assert.match(
      JSON.parse(await res.body.text()).message,
      new RegExp(`service tester version v1 endpoint 127\\.0\\.0\\.1:${closedToo}`),
    );
    const line = await until('the inbound access line', () =>
      jsonLines(sidecar).find((l) => l.msg === 'access' && l.requestId === 'req-in-1'),
    );
    assert.deepEqual(
      [line.dir, line.status, line.flags, line.destination, line.version, line.endpoint, line.principal],
      ['inbound', 503, 'UF', 'tester', 'v1', `127.0.0.1:${closedToo}`, null],
    );
  });

  it('says nothing about tls material with mtls: disable', () => {
    assert.doesNotMatch(sidecar.output(), /tls material not usable yet/);
  });

  it('follows the config: text format on reload, then off; the reload line names what changed', async () => {
    await reconfigure(sidecar, mesh('accessLog: { enabled: true, format: text }'));
    await call(sidecar, '/two', 'req-text-2');
    const text = await until('the text line', () =>
      sidecar
        .output()
        .split('\n')
        .find((l) => l.includes('"req-text-2"')),
    );
    assert.match(
      text,
      new RegExp(
        `^\\[\\d{4}-[^\\]]+Z\\] "GET /two HTTP/1\\.1" 503 (UF|URX|UH) \\d+ \\d+ \\d+\\.\\d{3} "reviews" "127\\.0\\.0\\.1:${closed}" "req-text-2" outbound reviews v1 canary - -$`,
      ),
    );
    const reloaded = jsonLines(sidecar).filter((l) => l.msg === 'config reloaded');
    assert.deepEqual((reloaded.at(-1)!.change as { settings: string[] }).settings, ['accessLog']);

    await reconfigure(
      sidecar,
      mesh(
        'accessLog: { enabled: false }',
        // details: a fresh endpoint (no failure history) for the retry below.
        `  details:\n    retries: { attempts: 2 }\n    versions: { v1: { host: 127.0.0.1, port: ${closedToo} } }\n` +
          `    routes: [{ name: all, split: { v1: 1 } }]\n` +
          `  ratings:\n    versions: { v1: { host: 127.0.0.1, port: ${closed} } }\n    routes: [{ split: { v1: 1 } }]\n`,
      ),
    );
    const change = jsonLines(sidecar)
      .filter((l) => l.msg === 'config reloaded')
      .at(-1)!.change as Record<string, unknown>;
    assert.equal(change.added, 2);
    assert.deepEqual(change.addedNames, ['details', 'ratings']);
    await call(sidecar, '/three', 'req-off-3');
    await sleep(300);
    assert.ok(!sidecar.output().includes('req-off-3'), 'no access line while the config turns it off');
  });

  it('changes the log level at run time; debug lines show the route chosen, each retry and a refusal', async () => {
    assert.equal(JSON.parse((await sidecar.admin_('/logging')).body).level, 'info');
    const set = await fetch(`http://127.0.0.1:${sidecar.admin}/logging?level=debug`, { method: 'POST' });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { level: 'debug', previous: 'info' });
    assert.equal(JSON.parse((await sidecar.admin_('/logging')).body).level, 'debug');
    const bad = await fetch(`http://127.0.0.1:${sidecar.admin}/logging?level=verbose`, { method: 'POST' });
    assert.equal(bad.status, 400);

    await call(sidecar, '/four', 'req-debug-4', 'details');
    const chosen = await until('route chosen', () =>
      jsonLines(sidecar).find((l) => l.msg === 'route chosen' && l.requestId === 'req-debug-4'),
    );
    assert.equal(chosen.level, 'debug');
    assert.deepEqual([chosen.destination, chosen.route, chosen.version], ['details', 'all', 'v1']);
    const retry = await until('retrying', () =>
      jsonLines(sidecar).find((l) => l.msg === 'retrying' && l.requestId === 'req-debug-4'),
    );
    assert.equal(retry.why, 'connect-failure');

    // A refusal before any route: a request that already passed through a meshlet outbound.
    const looped = await request(`http://127.0.0.1:${sidecar.outbound}/`, {
      headers: { host: 'reviews', 'x-request-id': 'req-loop-6', 'x-meshlet-source': 'a;b;c' },
    });
    await looped.body.dump();
    const refused = await until('request refused', () =>
      jsonLines(sidecar).find((l) => l.msg === 'request refused' && l.requestId === 'req-loop-6'),
    );
    assert.equal(refused.flag, 'NR');
    assert.match(String(refused.reason), /request loop/);

    await fetch(`http://127.0.0.1:${sidecar.admin}/logging?level=info`, { method: 'POST' });
    await call(sidecar, '/five', 'req-info-5');
    await sleep(300);
    assert.ok(!sidecar.output().includes('req-info-5'), 'no debug lines back at info');
  });
});

describe('MESHLET_ACCESS_LOG=1', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    const closed = await freePort();
    sidecar = await startSidecar({
      env: { MESHLET_ACCESS_LOG: '1' },
      configText: `mtls: disable
accessLog: { enabled: false }
services:
  reviews:
    versions: { v1: { host: 127.0.0.1, port: ${closed} } }
    routes: [{ split: { v1: 1 } }]
`,
    });
  });
  after(async () => {
    await sidecar?.stop();
  });

  it('turns the access log on whatever the config says', async () => {
    await call(sidecar, '/', 'req-env-1');
    await until('the access line', () =>
      jsonLines(sidecar).find((l) => l.msg === 'access' && l.requestId === 'req-env-1'),
    );
  });
});

describe('a multi-worker sidecar', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    const closed = await freePort();
    sidecar = await startSidecar({
      env: { MESHLET_WORKERS: '2' },
      configText: `mtls: disable
services:
  reviews:
    versions: { v1: { host: 127.0.0.1, port: ${closed} } }
    routes: [{ name: only, split: { v1: 1 } }]
`,
    });
  });
  after(async () => {
    await sidecar?.stop();
  });

  it('passes a level set on the primary’s admin port on to the workers, which log the requests', async () => {
    const set = await fetch(`http://127.0.0.1:${sidecar.admin}/logging?level=debug`, { method: 'POST' });
    assert.equal(set.status, 200);
    await until('a worker’s debug line', async () => {
      await call(sidecar, '/', `req-worker-${Date.now()}`);
      return jsonLines(sidecar).find((l) => l.msg === 'route chosen' && l.route === 'only');
    });
  });
});
