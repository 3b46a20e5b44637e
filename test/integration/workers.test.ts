// MESHLET_WORKERS=2: two event loops share the ports (SO_REUSEPORT), one admin
// endpoint answers for both with aggregated metrics, and SIGTERM drains both.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { type RunningSidecar, startSidecar, startVersions } from '../helpers/mesh.ts';

describe('multiple workers', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;

  before(async () => {
    versions = await startVersions(['v1']);
    sidecar = await startSidecar({
      configText: `mtls: disable\nservices:\n  app:\n    versions: { v1: { host: 127.0.0.1, port: ${versions.ports.v1} } }\n`,
      env: { MESHLET_WORKERS: '2', MESHLET_ACCESS_LOG: '1' },
    });
  });
  after(async () => {
    await sidecar?.stop();
    await versions?.close();
  });

  it('serves on both workers, and /metrics adds up what both counted', async () => {
    const n = 200;
    for (let i = 0; i < n; i += 20) {
      // A fresh connection per request, so the kernel spreads them over the workers.
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const agent = new Agent({ pipelining: 0 });
          const res = await request(`http://127.0.0.1:${sidecar.outbound}/`, {
            dispatcher: agent,
            headers: { host: 'app' },
          });
          await res.body.dump();
          assert.equal(res.statusCode, 200);
          await agent.close();
        }),
      );
    }
    const pids = new Set(
      sidecar
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"access"'))
        .map((l) => JSON.parse(l).pid as number),
    );
    assert.equal(pids.size, 2, `requests were served by ${pids.size} process(es)`);
    const metrics = (await sidecar.admin_('/metrics')).body;
    const total = metrics
      .split('\n')
      .filter((l) => l.startsWith('meshlet_requests_total{') && l.includes('destination_service_name="app"'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    assert.equal(total, n);
    assert.match(
      metrics,
      /^meshlet_config_info\{hash="[0-9a-f]+"\} 1$/m,
      'gauges are not summed over workers',
    );
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    assert.equal(await sidecar.stop(), 0);
    assert.equal((sidecar.output().match(/"msg":"drained, exiting"/g) ?? []).length, 2);
    assert.match(sidecar.output(), /all workers drained, exiting/);
  });
});
