// Hot reload of the mounted ConfigMap: kubelet's atomic `..data` swap applies
// a new split within 2 s under load with no failed request; an invalid edit is
// rejected with line:col, shown on /config, and the old split keeps serving.
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  KubeletConfigDir,
  type RunningSidecar,
  serviceYaml,
  startSidecar,
  startVersions,
  tempDir,
} from '../helpers/mesh.ts';

const agent = new Agent({ connections: 8 });

async function version(port: number): Promise<{ status: number; version: string | undefined }> {
  const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent, headers: { host: 'reviews' } });
  await res.body.dump();
  return { status: res.statusCode, version: res.headers['x-meshlet-upstream-version'] as string | undefined };
}

describe('hot reload', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;
  const cm = new KubeletConfigDir();
  const mesh = (split: string) => serviceYaml('reviews', versions.ports, `      - split: ${split}`);

  before(async () => {
    versions = await startVersions(['v1', 'v2']);
    cm.write(mesh('{ v1: 100 }'));
    sidecar = await startSidecar({ configFile: cm.file });
  });
  after(async () => {
    await sidecar?.stop();
    await versions?.close();
    await agent.close();
  });

  it('applies a kubelet ..data swap within 2 s while a load loop runs, with zero failed requests', async () => {
    let failures = 0;
    let sent = 0;
    let stop = false;
    let firstV2At = 0;
    const loop = async () => {
      while (!stop && sent < 20_000) {
        sent++;
        const r = await version(sidecar.outbound).catch(() => ({ status: 0, version: undefined }));
        if (r.status !== 200) failures++;
        if (r.version === 'v2' && firstV2At === 0) firstV2At = performance.now();
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await sleep(300);
    const swappedAt = performance.now();
    cm.write(mesh('{ v2: 100 }'));
    while (firstV2At === 0 && performance.now() - swappedAt < 5000) await sleep(20);
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    assert.ok(firstV2At > 0, 'the new split was applied');
    assert.ok(firstV2At - swappedAt < 2000, `applied after ${(firstV2At - swappedAt).toFixed(0)} ms`);
    assert.equal(failures, 0, `${failures} of ${sent} requests failed`);
    for (let i = 0; i < 20; i++) assert.equal((await version(sidecar.outbound)).version, 'v2');
    const config = JSON.parse((await sidecar.admin_('/config')).body);
    assert.equal(config.services[0].routes[0].split.v2, 100);
    assert.equal(config.lastReloadError, null);
  });

  it('rejects an invalid edit with line:col on /config and keeps serving the last good split', async () => {
    const before = JSON.parse((await sidecar.admin_('/config')).body);
    // line 9 is the split line; version v9 does not exist
    cm.write(mesh('{ v9: 100 }'));
    let config = before;
    for (let i = 0; i < 60 && config.lastReloadError === null; i++) {
      await sleep(50);
      config = JSON.parse((await sidecar.admin_('/config')).body);
    }
    assert.notEqual(config.lastReloadError, null, 'the rejection is reported');
    assert.equal(config.hash, before.hash, 'the last good config is still active');
    const [issue] = config.lastReloadError.issues;
    assert.equal(issue.line, 9);
    assert.ok(issue.col > 0);
    assert.match(issue.message, /version 'v9'/);
    assert.match(config.lastReloadError.errors[0], /mesh\.yaml:9:\d+: /);
    for (let i = 0; i < 20; i++) assert.equal((await version(sidecar.outbound)).version, 'v2');
    assert.match(sidecar.output(), /config rejected/);

    // a YAML syntax error is rejected the same way
    cm.write(`${mesh('{ v1: 100 }')}  bad: [unclosed\n`);
    await sleep(1500);
    config = JSON.parse((await sidecar.admin_('/config')).body);
    assert.equal(config.hash, before.hash);
    assert.ok(config.lastReloadError.issues[0].line >= 10);
    assert.equal((await version(sidecar.outbound)).version, 'v2');
  });

  it('picks up an editor-style save (write temp file, rename over)', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, mesh('{ v1: 100 }'));
    const s = await startSidecar({ configFile: file });
    try {
      assert.equal((await version(s.outbound)).version, 'v1');
      await writeFile(join(dir, '.mesh.yaml.swp'), mesh('{ v2: 1 }'));
      await rename(join(dir, '.mesh.yaml.swp'), file);
      let v: string | undefined;
      for (let i = 0; i < 40 && v !== 'v2'; i++) {
        await sleep(50);
        v = (await version(s.outbound)).version;
      }
      assert.equal(v, 'v2');
    } finally {
      await s.stop();
    }
  });
});

describe('start-up with an invalid config', () => {
  it('exits 1 with file:line:col', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'mtls: sometimes\nservices: {}\n');
    await assert.rejects(
      startSidecar({ configFile: file }),
      /exited with 1[\s\S]*mesh\.yaml:1:7: mtls: must be one of "strict", "permissive", "disable"/,
    );
  });
});
