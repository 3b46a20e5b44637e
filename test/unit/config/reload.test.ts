import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadMeshText } from '../../../src/config/load.ts';
import { type ConfigSource, type SourceEvents, startReload } from '../../../src/config/reload.ts';
import { ConfigStore } from '../../../src/config/store.ts';
import type { SidecarIdentity } from '../../../src/config/types.ts';
import type { Logger } from '../../../src/telemetry/log.ts';
import type { MeshMetrics } from '../../../src/telemetry/types.ts';
import { bigMesh } from '../../helpers/big-mesh.ts';

const self: SidecarIdentity = {
  service: 'svc-1',
  workload: 'svc-1',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'svc-1',
};

/** A source driven by the test: what a second source (a Kubernetes watch) plugs in as. */
class TestSource implements ConfigSource {
  readonly name = 'test-source';
  events: SourceEvents | null = null;
  stopped = false;
  start(events: SourceEvents): void {
    this.events = events;
  }
  stop(): void {
    this.stopped = true;
  }
}

function setup() {
  const first = loadMeshText('services: {}\n', 'test-source', self);
  assert.ok(first.ok);
  const store = new ConfigStore(first.mesh);
  const source = new TestSource();
  const lines: string[] = [];
  const log = {
    info: (_o: unknown, msg: string) => lines.push(`info ${msg}`),
    warn: (_o: unknown, msg: string) => lines.push(`warn ${msg}`),
    error: (_o: unknown, msg: string) => lines.push(`error ${msg}`),
  } as unknown as Logger;
  const reloads: string[] = [];
  const metrics = { configReload: (result: string) => reloads.push(result) } as unknown as MeshMetrics;
  const stop = startReload({ source, self, store, log, metrics });
  return { store, source, lines, reloads, stop };
}

async function settled(store: ConfigStore, ms = 20_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no publish or reject')), ms);
    const done = () => {
      clearTimeout(timer);
      store.off('change', done);
      store.off('rejected', done);
      resolve();
    };
    store.on('change', done);
    store.on('rejected', done);
  });
}

describe('compile-and-publish (any config source)', () => {
  it('publishes a valid text from a source, with the metric and the log line', async () => {
    const { store, source, lines, reloads, stop } = setup();
    const done = settled(store);
    source.events!.text('services:\n  ratings: {}\n');
    await done;
    assert.ok(store.current.services.has('ratings'));
    assert.equal(store.current.source, 'test-source');
    assert.deepEqual(reloads, ['success']);
    assert.deepEqual(lines, ['info config reloaded']);
    stop();
    assert.equal(source.stopped, true);
  });

  it('rejects an invalid or empty text and keeps the last good config', async () => {
    const { store, source, reloads } = setup();
    const before = store.current;
    for (const text of [
      '',
      '# only a comment\n',
      'services:\n  r:\n    versions: { v1: { host: "127.0.0.1:9081" } }\n',
    ]) {
      const done = settled(store);
      source.events!.text(text);
      await done;
      assert.equal(store.current, before);
      assert.ok(store.lastError!.issues[0]!.line >= 1);
    }
    assert.deepEqual(reloads, ['failure', 'failure', 'failure']);
  });

  it('loads only the newest of texts that arrive while one is loading', async () => {
    const { store, source } = setup();
    const published: number[] = [];
    store.on('change', (m) => published.push(m.services.size));
    source.events!.text(bigMesh(200));
    source.events!.text(bigMesh(300));
    source.events!.text(bigMesh(400));
    while (published.at(-1) !== 400) await sleep(20);
    await sleep(200);
    assert.deepEqual(published, [200, 400]);
  });

  it('checks a 2,000-service config off the event loop and compiles it in slices: no stall over 100 ms', async () => {
    const { store, source } = setup();
    let last = performance.now();
    let maxStall = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxStall = Math.max(maxStall, now - last);
      last = now;
    }, 1);
    // One reload, beside the same measure without a reload: what the machine's CPU contention
    // alone causes.
    const reload = async (services: number) => {
      maxStall = 0;
      await sleep(1000);
      const baseline = maxStall;
      maxStall = 0;
      const started = performance.now();
      const done = settled(store, 60_000);
      source.events!.text(bigMesh(services));
      await done;
      assert.equal(store.current.services.size, services);
      // Under 100 ms; on a machine so busy that the loop already waits 50 ms or more for a
      // core without any reload, the reload may add at most 100 ms to that.
      const bound = baseline < 50 ? 100 : baseline + 100;
      process.stdout.write(
        `# ${services} services: published after ${(performance.now() - started).toFixed(0)} ms, longest event-loop stall ${maxStall.toFixed(1)} ms (${baseline.toFixed(1)} ms in 1 s without a reload; bound ${bound.toFixed(0)} ms)\n`,
      );
      return { stall: maxStall, bound };
    };
    try {
      // A stall the reload causes shows in every reload; one the machine causes (another test
      // process taking both cores for a moment) does not, so a second reload decides.
      let attempt = await reload(2000);
      if (attempt.stall >= attempt.bound) attempt = await reload(2001);
      assert.ok(
        attempt.stall < attempt.bound,
        `the event loop stalled for ${attempt.stall.toFixed(1)} ms (bound ${attempt.bound.toFixed(0)} ms) in two reloads`,
      );
    } finally {
      clearInterval(tick);
    }
  });
});
