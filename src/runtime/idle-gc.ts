// Gives memory back once traffic stops. Under load V8 lets its old generation
// grow to a few times what survives a collection and keeps those pages after
// the load has gone: a sidecar that served a burst would hold 130-180 MiB
// for hours. When the event loop has been idle for a few seconds and the heap
// has grown since the last collection, one full collection returns it
// (about 115 MiB after the standard load instead of 135-180; figures in
// BENCHMARKS.md, "Footprint"). In the same idle moment, the node binary's
// pages the sidecar no longer runs are unmapped (runtime/file-pages.ts): once
// per idle period, at most every 30 s. Nothing runs per request: the check
// reads the event loop's utilization once a second. See docs/performance.md.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type FilePages, processFilePages } from './file-pages.ts';

const MiB = 1024 * 1024;

export interface IdleGcOptions {
  /** How often the loop's utilization is read (default 1 s). */
  readonly intervalMs?: number;
  /** Utilization under which a tick counts as idle (default 0.02: 20 ms busy per second). */
  readonly idleBelow?: number;
  /** Idle ticks in a row before collecting (default 2). */
  readonly idleTicks?: number;
  /** Heap growth since the last collection worth a collection (default 4 MiB). */
  readonly minGrowthBytes?: number;
  /** Told after each collection, with the committed heap before and after. */
  readonly onCollect?: (before: number, after: number) => void;
  /** Ticks between two releases of file pages at least (default 30). */
  readonly releaseEveryTicks?: number;
  /** Told after each release of file pages, with the resident file bytes before and the bytes released. */
  readonly onRelease?: (before: number, released: number) => void;
}

/** What the policy reads and does; the defaults are the process's own. */
export interface IdleGcProbe {
  /** The event loop's utilization since the previous call (0..1). */
  utilization(): number;
  /** V8's committed heap, bytes. */
  heapBytes(): number;
  /** A full, synchronous collection that also returns freed pages to the system. */
  collect(): void;
  /** The process's file pages, or null where they cannot be released. */
  readonly filePages: FilePages | null;
}

/**
 * The decision, one tick at a time: collect when the loop has been idle for
 * `idleTicks` ticks and the heap has grown by `minGrowthBytes` since the last
 * collection. The first idle period after start collects once (start-up and
 * config compilation leave garbage behind). In the same moment, file pages
 * are released once per idle period, if `releaseEveryTicks` have passed since
 * the last release: pages an idle sidecar still runs come back at once, so
 * releasing again while idle would only churn them.
 */
export class IdleGc {
  readonly #probe: IdleGcProbe;
  readonly #idleBelow: number;
  readonly #idleTicks: number;
  readonly #minGrowth: number;
  readonly #onCollect: ((before: number, after: number) => void) | undefined;
  readonly #releaseEvery: number;
  readonly #onRelease: ((before: number, released: number) => void) | undefined;
  #idleFor = 0;
  #afterLast = 0;
  #releasedThisIdle = false;
  #sinceRelease = Number.POSITIVE_INFINITY;

  constructor(probe: IdleGcProbe, options: IdleGcOptions = {}) {
    this.#probe = probe;
    this.#idleBelow = options.idleBelow ?? 0.02;
    this.#idleTicks = options.idleTicks ?? 2;
    this.#minGrowth = options.minGrowthBytes ?? 4 * MiB;
    this.#onCollect = options.onCollect;
    this.#releaseEvery = options.releaseEveryTicks ?? 30;
    this.#onRelease = options.onRelease;
  }

  tick(): void {
    this.#sinceRelease++;
    if (this.#probe.utilization() >= this.#idleBelow) {
      this.#idleFor = 0;
      this.#releasedThisIdle = false;
      return;
    }
    this.#idleFor++;
    if (this.#idleFor < this.#idleTicks) return;
    if (this.#probe.heapBytes() >= this.#afterLast + this.#minGrowth) this.#collect();
    if (!this.#releasedThisIdle && this.#sinceRelease >= this.#releaseEvery) this.#release();
  }

  #release(): void {
    const pages = this.#probe.filePages;
    if (pages === null) return;
    this.#releasedThisIdle = true;
    this.#sinceRelease = 0;
    const before = pages.residentBytes();
    const released = pages.release();
    this.#probe.utilization();
    this.#onRelease?.(before, released);
  }

  #collect(): void {
    const before = this.#probe.heapBytes();
    this.#probe.collect();
    this.#afterLast = this.#probe.heapBytes();
    // A collection is work of its own: the next tick must not read it as traffic.
    this.#probe.utilization();
    this.#onCollect?.(before, this.#afterLast);
  }
}

/** The process's own probe: event-loop utilization, V8's heap, V8's `gc`, and its file pages. */
export function processProbe(): IdleGcProbe {
  let last = performance.eventLoopUtilization();
  let gc: V8Gc | null = null;
  return {
    utilization() {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, last);
      last = now;
      return delta.utilization;
    },
    heapBytes: () => getHeapStatistics().total_heap_size,
    filePages: processFilePages(),
    collect() {
      gc ??= exposedGc();
      // 'last-resort' (V8's low-memory collection) unmaps the freed pages; a
      // regular one keeps them pooled for reuse and RSS stays where it was.
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    },
  };
}

/** Starts the once-a-second check; the timer never holds the process up. */
export function startIdleGc(options: IdleGcOptions = {}, probe = processProbe()): { stop(): void } {
  const idle = new IdleGc(probe, options);
  const timer = setInterval(() => idle.tick(), options.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * V8's `gc`: the global one under `--expose-gc`, otherwise the flag is set
 * now and a new context hands out its `gc` (taken once, on the first
 * collection, so an always-busy or always-idle sidecar never pays for it).
 */
function exposedGc(): V8Gc {
  const global = (globalThis as { gc?: V8Gc }).gc;
  if (typeof global === 'function') return global;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as V8Gc;
}

type V8Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
