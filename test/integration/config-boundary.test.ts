// The config boundary on a live sidecar: every value that becomes a URL is
// checked before it can reach the request path, an IPv6 version host works end
// to end, an empty or half-written file is never published, a route regex
// cannot stall the event loop, and a 2,000-service reload does not block
// requests. See docs/configuration.md.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { bigMesh } from '../helpers/big-mesh.ts';
import {
  KubeletConfigDir,
  type RunningSidecar,
  serviceYaml,
  startServer,
  startSidecar,
  startVersions,
  tempDir,
} from '../helpers/mesh.ts';

const agent = new Agent({ connections: 8 });
after(() => agent.close());

async function call(
  port: number,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; version: string | undefined; body: string }> {
  const res = await request(`http://127.0.0.1:${port}/`, {
    dispatcher: agent,
    headers: { host, ...headers },
  });
  return {
    status: res.statusCode,
    version: res.headers['x-meshlet-upstream-version'] as string | undefined,
    body: await res.body.text(),
  };
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Waits until the sidecar's log shows one more line matching `pattern` than it had. */
async function nextLog(sidecar: RunningSidecar, pattern: RegExp, seen: number, ms = 10_000): Promise<void> {
  const count = () =>
    sidecar
      .output()
      .split('\n')
      .filter((l) => pattern.test(l)).length;
  const deadline = performance.now() + ms;
  while (count() <= seen && performance.now() < deadline) await sleep(20);
  assert.ok(count() > seen, `no new log line matching ${pattern}:\n${sidecar.output().slice(-2000)}`);
}

const logCount = (sidecar: RunningSidecar, pattern: RegExp) =>
  sidecar
    .output()
    .split('\n')
    .filter((l) => pattern.test(l)).length;

describe('version hosts on a live sidecar', () => {
  it('routes to an app listening on the IPv6 loopback, with the host written as ::1 or [::1]', async () => {
    const app = await startServer((_req, res) => res.end('hello from ::1'), '::1');
    try {
      for (const host of ['::1', '[::1]']) {
        const sidecar = await startSidecar({
          configText: `mtls: disable\nservices:\n  reviews:\n    port: 9080\n    versions:\n      v6: { host: "${host}", port: ${app.port} }\n`,
        });
        try {
          const r = await call(sidecar.outbound, 'reviews');
          assert.equal(r.status, 200, r.body);
          assert.equal(r.body, 'hello from ::1');
          assert.equal(r.version, 'v6');
        } finally {
          await sidecar.stop();
        }
      }
    } finally {
      await app.close();
    }
  });

  it('refuses every malformed host on hot reload and stays up serving the last good config', async () => {
    const versions = await startVersions(['v1']);
    const cm = new KubeletConfigDir();
    cm.write(serviceYaml('reviews', versions.ports, '      - split: { v1: 1 }'));
    const sidecar = await startSidecar({ configFile: cm.file });
    try {
      for (const host of ['127.0.0.1:9081', 'http://127.0.0.1', 'reviews v1', '127.0.0.1/v1']) {
        const seen = logCount(sidecar, /config rejected/);
        cm.write(
          `mtls: disable\nservices:\n  reviews:\n    versions:\n      v1: { host: "${host}", port: 9081 }\n`,
        );
        await nextLog(sidecar, /config rejected/, seen);
        const config = JSON.parse((await sidecar.admin_('/config')).body);
        assert.match(
          config.lastReloadError.errors[0],
          /mesh\.yaml:5:\d+: .*expected a host name or IP address/,
        );
        assert.equal((await call(sidecar.outbound, 'reviews')).status, 200);
      }
      assert.equal(sidecar.proc.exitCode, null, 'still running');
    } finally {
      await sidecar.stop();
      await versions.close();
    }
  });
});

describe('an empty config is never published', () => {
  it('start-up with an empty or comment-only file exits 1 with the reason', async () => {
    for (const text of ['', '# mesh config goes here\n']) {
      const file = join(tempDir(), 'mesh.yaml');
      await writeFile(file, text);
      await assert.rejects(
        startSidecar({ configFile: file }),
        /exited with 1[\s\S]*mesh\.yaml:1:1: the config is empty/,
      );
    }
  });

  it('hot reload refuses an empty file and keeps routing', async () => {
    const versions = await startVersions(['v1']);
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, serviceYaml('reviews', versions.ports, '      - split: { v1: 1 }'));
    const sidecar = await startSidecar({ configFile: file });
    try {
      const seen = logCount(sidecar, /config rejected/);
      await writeFile(join(dir, '.swap'), '# emptied by mistake\n');
      await rename(join(dir, '.swap'), file);
      await nextLog(sidecar, /config rejected/, seen);
      assert.match(sidecar.output(), /the config is empty/);
      assert.equal((await call(sidecar.outbound, 'reviews')).version, 'v1');
    } finally {
      await sidecar.stop();
      await versions.close();
    }
  });

  it('an in-place write (truncate, pause, write in chunks) under a request loop: no failed request, only the complete text published', async () => {
    const versions = await startVersions(['v1', 'v2']);
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, serviceYaml('reviews', versions.ports, '      - split: { v1: 1 }'));
    const sidecar = await startSidecar({ configFile: file });
    let sent = 0;
    let failed = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        sent++;
        const r = await call(sidecar.outbound, 'reviews').catch(() => ({ status: 0 }));
        if (r.status !== 200) failed++;
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    try {
      await sleep(200);
      const next = serviceYaml('reviews', versions.ports, '      - split: { v2: 1 }');
      // As `cat > mesh.yaml` does: truncate, then write, here slowly and in 24-byte chunks.
      const fh = await open(file, 'w');
      await sleep(400);
      for (let i = 0; i < next.length; i += 24) {
        await fh.write(next.slice(i, i + 24));
        await sleep(15);
      }
      await fh.close();
      assert.equal(await readFile(file, 'utf8'), next);
      const deadline = performance.now() + 5000;
      while ((await call(sidecar.outbound, 'reviews')).version !== 'v2' && performance.now() < deadline)
        await sleep(20);
      await sleep(200);
      stop = true;
      await Promise.all(loops);
      assert.equal((await call(sidecar.outbound, 'reviews')).version, 'v2');
      assert.equal(failed, 0, `${failed} of ${sent} requests failed`);
      const reloaded = sidecar
        .output()
        .split('\n')
        .filter((l) => l.includes('config reloaded'));
      assert.equal(reloaded.length, 1, reloaded.join('\n'));
      assert.ok(reloaded[0]!.includes(hashOf(next)), 'the one published text is the complete one');
      assert.doesNotMatch(sidecar.output(), /config rejected/);
    } finally {
      stop = true;
      await Promise.all(loops);
      await sidecar.stop();
      await versions.close();
    }
  });
});

describe('route regexes cannot stall the sidecar', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;
  before(async () => {
    versions = await startVersions(['v1', 'v2']);
    sidecar = await startSidecar({
      configText: serviceYaml(
        'reviews',
        versions.ports,
        '      - match: { headers: { x-k: { regex: "(a+)+b" } } }\n        split: { v2: 1 }\n      - split: { v1: 1 }',
      ),
    });
  });
  after(async () => {
    await sidecar?.stop();
    await versions?.close();
  });

  it('matches (a+)+b against a 30-character header in linear time; /healthz answers within a few ms meanwhile', async () => {
    let stop = false;
    let matched = 0;
    const loop = async () => {
      while (!stop) {
        const r = await call(sidecar.outbound, 'reviews', { 'x-k': 'a'.repeat(30) });
        assert.equal(r.version, 'v1');
        matched++;
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    let slowest = 0;
    try {
      await sidecar.admin_('/healthz');
      await sleep(100);
      for (let i = 0; i < 50; i++) {
        const started = performance.now();
        assert.equal((await sidecar.admin_('/healthz')).status, 200);
        slowest = Math.max(slowest, performance.now() - started);
        await sleep(10);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    process.stdout.write(
      `# ${matched} requests matched against (a+)+b; slowest /healthz ${slowest.toFixed(1)} ms\n`,
    );
    assert.ok(matched > 50);
    assert.ok(slowest < 50, `/healthz took ${slowest.toFixed(1)} ms`);
    assert.equal((await call(sidecar.outbound, 'reviews', { 'x-k': `${'a'.repeat(30)}b` })).version, 'v2');
  });
});

describe('a 2,000-service config', () => {
  it('hot-loads while a request loop runs: the event loop never stalls more than 100 ms', async () => {
    const versions = await startVersions(['v1']);
    const cm = new KubeletConfigDir();
    cm.write(serviceYaml('svc-0', versions.ports, '      - split: { v1: 1 }'));
    const sidecar = await startSidecar({ configFile: cm.file });
    const rss = async () =>
      Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${sidecar.proc.pid}/status`, 'utf8'))![1]) / 1024;
    let stop = false;
    let slowest = 0;
    let sent = 0;
    let failed = 0;
    const loop = async () => {
      while (!stop) {
        const started = performance.now();
        const r = await call(sidecar.outbound, 'svc-0').catch(() => ({ status: 0 }));
        slowest = Math.max(slowest, performance.now() - started);
        sent++;
        if (r.status !== 200) failed++;
      }
    };
    try {
      await sleep(300);
      const rssBefore = await rss();
      const loops = [loop(), loop()];
      await sleep(300);
      slowest = 0;
      // The sidecar's own event-loop delay monitor; each scrape starts a new window.
      const maxLagMs = async () =>
        1000 *
        Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec((await sidecar.admin_('/metrics')).body)![1]);
      // One reload of a 2,000-service text, beside the same window without a reload: what the
      // machine's CPU contention alone causes.
      const reload = async (services: number) => {
        await maxLagMs();
        await sleep(2000);
        const baselineMs = await maxLagMs();
        const seen = logCount(sidecar, /config reloaded/);
        const started = performance.now();
        cm.write(bigMesh(services, versions.ports.v1));
        await nextLog(sidecar, /config reloaded/, seen, 60_000);
        const loadedMs = performance.now() - started;
        await sleep(300);
        const stallMs = await maxLagMs();
        // Under 100 ms; on a machine so busy that the sidecar already waits 50 ms or more for
        // a core without any reload, the reload may add at most 100 ms to that.
        const bound = baselineMs < 50 ? 100 : baselineMs + 100;
        process.stdout.write(
          `# ${services}-service reload: applied after ${loadedMs.toFixed(0)} ms; longest event-loop stall ${stallMs.toFixed(1)} ms (${baselineMs.toFixed(1)} ms in 2 s without a reload; bound ${bound.toFixed(0)} ms)\n`,
        );
        return { stallMs, bound };
      };
      // A stall the reload causes shows in every reload; one the machine causes (another test
      // process taking both cores for a moment) does not, so a second reload decides.
      let attempt = await reload(2000);
      if (attempt.stallMs >= attempt.bound) attempt = await reload(2001);
      stop = true;
      await Promise.all(loops);
      await sleep(2000);
      const rssAfter = await rss();
      process.stdout.write(
        `# ${sent} requests, slowest ${slowest.toFixed(1)} ms; RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB\n`,
      );
      assert.equal(failed, 0, `${failed} of ${sent} failed`);
      assert.ok(
        attempt.stallMs < attempt.bound,
        `the event loop stalled for ${attempt.stallMs.toFixed(1)} ms (bound ${attempt.bound.toFixed(0)} ms) in two reloads`,
      );
      // Requests also see the machine's CPU contention (two cores shared with the test and its
      // apps): bounded well below the 1.1 s a blocking reload cost.
      assert.ok(slowest < 500, `a request took ${slowest.toFixed(1)} ms`);
      assert.match(sidecar.output(), /"services":200[01]/);
    } finally {
      stop = true;
      await sidecar.stop();
      await versions.close();
    }
  });
});
