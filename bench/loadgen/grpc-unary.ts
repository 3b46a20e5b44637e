// gRPC unary load from a grpc-js client, in its own process (it must not share
// an event loop with what it loads). Closed loop (`--concurrency N`) or open
// loop at a fixed rate (`--rate R`), for `--seconds S`; prints one JSON line:
// {"requests","seconds","rps","p50","p90","p99","max","errors","firstError","answered"}
// (latencies in µs; `answered` counts the warm-up too).
import { parseArgs } from 'node:util';
import { echoClient, grpc } from '../../test/helpers/grpc.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    authority: { type: 'string' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
  },
});
const client = echoClient(values.target!, values.authority);
const seconds = Number(values.seconds);
const payload = { text: 'bench', seq: 1, payload: Buffer.alloc(64, 0x61) };
const latencies: number[] = [];
let errors = 0;
let firstError: string | null = null;
let measuring = false;
/** Every call answered, warm-up included: what the proxy's CPU time was spent on. */
let answered = 0;

function one(): Promise<void> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    client.raw.Unary(payload, new grpc.Metadata(), {}, (err) => {
      answered++;
      if (measuring) {
        if (err) {
          errors++;
          firstError ??= err.message;
        } else latencies.push(Number(process.hrtime.bigint() - started) / 1000);
      }
      resolve();
    });
  });
}

async function closedLoop(concurrency: number, until: number): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) await one();
    }),
  );
}

async function openLoop(rate: number, until: number): Promise<void> {
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let sent = 0;
  while (Date.now() < until) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      const p = one();
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
}

const run = (s: number) =>
  values.rate !== undefined
    ? openLoop(Number(values.rate), Date.now() + s * 1000)
    : closedLoop(Number(values.concurrency ?? 32), Date.now() + s * 1000);

await run(Number(values.warmup));
measuring = true;
const began = performance.now();
await run(seconds);
const elapsed = (performance.now() - began) / 1000;
client.close();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, seconds: elapsed, rps: latencies.length / elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) ?? 0, errors, firstError, answered })}\n`,
);
