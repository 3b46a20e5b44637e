// Upstream HTTP/2 transport choice, by measurement: N unary requests at a
// fixed concurrency through (a) src/forward/transport/h2.ts (node:http2
// sessions) and (b) undici's Client with allowH2, against one node:http2
// server in its own process. Same dispatch contract and handler for both.
//
// Usage: node bench/h2-transport.ts [--requests 20000] [--concurrency 32] [--rounds 3]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Client, type Dispatcher } from 'undici';
import { H2Client } from '../src/forward/transport/h2.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const SERVER = `
const http2 = require('node:http2');
const body = Buffer.alloc(128, 'x');
const s = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
s.on('stream', (stream) => {
  stream.on('data', () => {});
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  });
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

function once1(d: Pick<Dispatcher, 'dispatch'> | H2Client, origin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    d.dispatch(
      {
        origin,
        method: 'POST',
        path: '/bench.Svc/Unary',
        headers: ['content-type', 'application/grpc', 'te', 'trailers'],
        body: Buffer.alloc(64),
      },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd(_c, trailers) {
          if (trailers['grpc-status'] !== '0') reject(new Error('no trailers'));
          else resolve();
        },
        onResponseError(_c, err) {
          reject(err);
        },
      },
    );
  });
}

async function run(name: string, d: Pick<Dispatcher, 'dispatch'> | H2Client, origin: string) {
  const lat: number[] = new Array(REQUESTS);
  let next = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const t = performance.now();
        await once1(d, origin);
        lat[i] = performance.now() - t;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2);
  const row = {
    name,
    rps: Math.round(REQUESTS / secs),
    p50: q(0.5),
    p99: q(0.99),
    cpuMsPer1k: (((cpu.user + cpu.system) / 1000 / REQUESTS) * 1000).toFixed(1),
  };
  console.log(JSON.stringify(row));
  return row;
}

const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const origin = `http://127.0.0.1:${Number(line.toString().trim())}`;
try {
  const nodeH2 = new H2Client(origin);
  const undiciH2 = new Client(origin, {
    allowH2: true,
    pipelining: CONCURRENCY,
    h2Options: { useH2c: true, maxConcurrentStreams: 1000 },
  });
  // Warm-up both (JIT, sessions), then alternate rounds so drift hits both alike.
  await run('warmup node:http2', nodeH2, origin);
  await run('warmup undici allowH2', undiciH2, origin);
  for (let r = 0; r < ROUNDS; r++) {
    await run('node:http2 (transport/h2.ts)', nodeH2, origin);
    await run('undici Client allowH2', undiciH2, origin);
  }
  await nodeH2.close();
  await undiciH2.close();
} finally {
  child.kill();
}
