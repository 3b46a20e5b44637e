// Shared pieces of the fuzz tests (test/fuzz/): the seed and time budget, a
// runner that reports the seed and the shrunk counterexample, an app that
// marks its own replies, and a sidecar that is restarted when an input killed
// it (so shrinking keeps working). See docs/testing.md.
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { type RunningSidecar, type SidecarOptions, startServer, startSidecar } from './mesh.ts';

/**
 * In `npm test` a fixed seed and a short budget, so a failure is the same on
 * every machine; `npm run fuzz` sets FUZZ_RANDOM=1 for a fresh seed and a
 * longer budget. FUZZ_SEED replays one run; FUZZ_SECONDS sets the budget of
 * each property.
 */
export function fuzzSettings(defaultSeconds: number): { seed: number; seconds: number; random: boolean } {
  const random = process.env.FUZZ_RANDOM === '1';
  const seed =
    process.env.FUZZ_SEED !== undefined
      ? Number(process.env.FUZZ_SEED)
      : random
        ? Math.floor(Math.random() * 2 ** 31)
        : 20261202;
  const seconds =
    process.env.FUZZ_SECONDS !== undefined ? Number(process.env.FUZZ_SECONDS) : random ? 90 : defaultSeconds;
  return { seed, seconds, random };
}

/**
 * Runs `property` until the time budget is spent (the fixed examples first),
 * prints how many inputs ran, and fails with the seed, the replay path and the
 * shrunk counterexample.
 */
export async function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>,
  opts: { seconds: number; seed: number; examples: T[] },
): Promise<number> {
  let ran = 0;
  const started = Date.now();
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      ran++;
      await property(value);
    }),
    {
      seed: opts.seed,
      numRuns: 1_000_000,
      // FUZZ_EXAMPLES=0 explores past a corpus case that still fails (the corpus test reports it anyway)
      examples: process.env.FUZZ_EXAMPLES === '0' ? [] : opts.examples.map((e) => [e] as [T]),
      interruptAfterTimeLimit: opts.seconds * 1000,
      // the time limit also bounds shrinking, where each step re-runs an input against a live process
      markInterruptAsFailure: false,
    },
  );
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[fuzz] ${name}: ${ran} inputs in ${secs} s (seed ${opts.seed})`);
  if (details.failed) {
    const message = [
      `[fuzz] ${name} failed after ${details.numRuns} inputs (${details.numShrinks} shrinks)`,
      `  replay: FUZZ_SEED=${details.seed} (path ${details.counterexamplePath})`,
      `  counterexample: ${fc.stringify(details.counterexample)}`,
      `  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    ].join('\n');
    console.error(message);
    assert.fail(message);
  }
  return ran;
}

/** Header every reply of the fuzz app carries, to tell passed-through replies from the sidecar's own. */
export const APP_MARK = 'x-fuzz-app';

/**
 * The upstream app of the fuzz tests. `/early-413` answers before reading the
 * body, `/continue` sends an unsolicited 100 first, `/error` answers 500,
 * `/kv` keeps one value (PUT sets it, GET reads it, for pipelining order),
 * `/hop-resp` names a header on a second `Connection` line of its response;
 * anything else answers 200 with what the app saw.
 */
export async function startFuzzApp(): Promise<{ port: number; close(): Promise<void> }> {
  let kv = '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader(APP_MARK, '1');
    const path = (req.url ?? '').split('?')[0];
    if (path === '/early-413') {
      res.statusCode = 413;
      res.end('too large');
      return;
    }
    if (path === '/continue') res.writeContinue();
    if (path === '/hop-resp') {
      res.setHeader('Connection', ['keep-alive', 'x-resp-drop']);
      res.setHeader('x-resp-drop', '1');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= 1 << 20) chunks.push(d);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (path === '/error') {
        res.statusCode = 500;
        res.end('app error');
        return;
      }
      if (path === '/kv' && req.method === 'PUT') {
        // a write that takes a moment, so a GET forwarded beside it (not after it) reads the old value
        const value = Buffer.concat(chunks).toString('latin1');
        setTimeout(() => {
          kv = value;
          res.end(kv);
        }, 50);
        return;
      }
      if (path === '/kv') {
        res.end(kv);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, bodyLength: size }),
      );
    });
  };
  const app = await startServer(handler);
  // What the app's own parser refuses (a head the sidecar accepts can outgrow
  // node's 16 KiB limit with the forwarding headers added) is the app's reply
  // too, passed through as it is: it carries the mark like the others.
  app.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (!socket.writable) return void socket.destroy();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${APP_MARK}: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
  });
  return app;
}

/** A sidecar that comes back after an input killed it; `crashes` counts how often. */
export class LiveSidecar {
  #opts: () => SidecarOptions;
  #current: RunningSidecar | undefined;
  crashes = 0;

  constructor(opts: () => SidecarOptions) {
    this.#opts = opts;
  }

  async ensure(): Promise<RunningSidecar> {
    const cur = this.#current;
    if (cur !== undefined && cur.proc.exitCode === null && cur.proc.signalCode === null) return cur;
    if (cur !== undefined) this.crashes++;
    this.#current = await startSidecar(this.#opts());
    return this.#current;
  }

  /** Asserts the process is still running, with the end of its output when it is not. */
  assertAlive(sidecar: RunningSidecar, after: string): void {
    if (sidecar.proc.exitCode !== null || sidecar.proc.signalCode !== null) {
      const tail = sidecar.output().split('\n').slice(-25).join('\n');
      assert.fail(
        `the sidecar died (exit ${sidecar.proc.exitCode ?? sidecar.proc.signalCode}) after ${after}:\n${tail}`,
      );
    }
  }

  async stop(): Promise<void> {
    await this.#current?.stop();
  }
}
