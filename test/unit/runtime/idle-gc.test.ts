import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleGc, type IdleGcProbe, processProbe } from '../../../src/runtime/idle-gc.ts';

const MiB = 1024 * 1024;

/** A probe whose utilization and heap the test sets; `collect` shrinks the heap to `floor`. */
function fakeProbe(floor = 20 * MiB) {
  const state = { busy: 0, heap: floor, collections: 0, files: 50 * MiB, releases: 0 };
  const probe: IdleGcProbe = {
    utilization: () => state.busy,
    heapBytes: () => state.heap,
    collect: () => {
      state.collections++;
      state.heap = floor;
    },
    filePages: {
      residentBytes: () => state.files,
      release: () => {
        state.releases++;
        const released = state.files;
        state.files = 0;
        return released;
      },
    },
  };
  return { state, probe };
}

describe('IdleGc', () => {
  it('collects once after two idle ticks when the heap grew, not while busy', () => {
    const { state, probe } = fakeProbe();
    const idle = new IdleGc(probe);
    idle.tick(); // start-up: the first idle period collects once
    idle.tick();
    assert.equal(state.collections, 1);
    state.busy = 0.4;
    for (let i = 0; i < 10; i++) {
      state.heap += 10 * MiB;
      idle.tick();
    }
    assert.equal(state.collections, 1, 'never while the loop is busy');
    state.busy = 0.001;
    idle.tick();
    assert.equal(state.collections, 1, 'one idle tick is not yet idle');
    idle.tick();
    assert.equal(state.collections, 2);
    assert.equal(state.heap, 20 * MiB);
  });

  it('does not collect again while idle when the heap has not grown by the threshold', () => {
    const { state, probe } = fakeProbe();
    const idle = new IdleGc(probe, { minGrowthBytes: 4 * MiB });
    for (let i = 0; i < 5; i++) idle.tick();
    assert.equal(state.collections, 1);
    state.heap += 3 * MiB;
    for (let i = 0; i < 5; i++) idle.tick();
    assert.equal(state.collections, 1, '3 MiB of growth is below the 4 MiB threshold');
    state.heap += 2 * MiB;
    idle.tick();
    assert.equal(state.collections, 2);
  });

  it('a busy tick between idle ones restarts the count', () => {
    const { state, probe } = fakeProbe();
    const idle = new IdleGc(probe, { idleTicks: 3 });
    idle.tick();
    idle.tick();
    state.busy = 0.5;
    idle.tick();
    state.busy = 0;
    idle.tick();
    idle.tick();
    assert.equal(state.collections, 0);
    idle.tick();
    assert.equal(state.collections, 1);
  });

  it('tells onCollect the heap before and after', () => {
    const { state, probe } = fakeProbe(8 * MiB);
    state.heap = 50 * MiB;
    const seen: Array<[number, number]> = [];
    const idle = new IdleGc(probe, { onCollect: (b, a) => seen.push([b, a]) });
    idle.tick();
    idle.tick();
    assert.deepEqual(seen, [[50 * MiB, 8 * MiB]]);
  });

  it('releases file pages once per idle period, at most every releaseEveryTicks ticks', () => {
    const { state, probe } = fakeProbe();
    const seen: Array<[number, number]> = [];
    const idle = new IdleGc(probe, { releaseEveryTicks: 10, onRelease: (b, r) => seen.push([b, r]) });
    idle.tick();
    assert.equal(state.releases, 0, 'one idle tick is not yet idle');
    idle.tick();
    assert.equal(state.releases, 1, 'the first idle period after start releases');
    assert.deepEqual(seen, [[50 * MiB, 50 * MiB]]);
    // An idle sidecar maps what it runs again at once: no second release while it stays idle.
    for (let i = 0; i < 40; i++) {
      state.files += 2 * MiB;
      idle.tick();
    }
    assert.equal(state.releases, 1);
    // Traffic, then idle again: released again, since more than 10 ticks have passed.
    state.busy = 0.3;
    idle.tick();
    state.busy = 0;
    idle.tick();
    idle.tick();
    assert.equal(state.releases, 2);
    // Light traffic that comes and goes: not more often than every 10 ticks.
    for (let i = 0; i < 9; i++) {
      state.busy = i % 3 === 0 ? 0.3 : 0;
      idle.tick();
    }
    assert.equal(state.releases, 2);
  });

  it('without file pages to release (no addon), it only collects', () => {
    const { state, probe } = fakeProbe();
    const idle = new IdleGc({ ...probe, filePages: null });
    for (let i = 0; i < 5; i++) idle.tick();
    assert.equal(state.collections, 1);
    assert.equal(state.releases, 0);
  });

  it("with the process's own probe, a collection gives V8's freed pages back", () => {
    const probe = processProbe();
    // Garbage that survives scavenges long enough to reach the old generation.
    let keep: unknown[] = [];
    for (let i = 0; i < 400_000; i++) {
      keep.push({ i, s: `x${i}`, a: [i] });
      if (keep.length > 150_000) keep = [];
    }
    keep = [];
    const before = { heap: probe.heapBytes(), rss: process.memoryUsage().rss };
    probe.collect();
    const after = { heap: probe.heapBytes(), rss: process.memoryUsage().rss };
    // A regular full collection here leaves 75 of 124 MiB committed and RSS
    // about where it was: the freed pages stay pooled.
    assert.ok(after.heap < before.heap / 4, `committed heap ${before.heap} -> ${after.heap}`);
    assert.ok(after.rss < before.rss - 32 * MiB, `RSS ${before.rss} -> ${after.rss}`);
    const u = probe.utilization();
    assert.ok(u >= 0 && u <= 1, String(u));
  });
});
