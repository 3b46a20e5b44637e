import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, request } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { Listener } from '../../../src/listener/accept.ts';
import { createH2Server } from '../../../src/listener/server/http2.ts';
import { drainer } from '../../../src/runtime/drain.ts';
import { createLogger, type Logger } from '../../../src/telemetry/log.ts';

interface DrainState {
  draining: boolean;
  inFlight: number;
  log: Logger;
}

/** A real listener (TCP front-end handing connections to an HTTP server) that counts in-flight requests. */
async function startListener(
  state: DrainState,
  handler: (respond: () => void) => void,
): Promise<{ listener: Listener; port: number }> {
  const http = createHttpServer((req, res) => {
    state.inFlight++;
    res.on('close', () => state.inFlight--);
    req.resume();
    handler(() => res.end('done'));
  });
  // As listener/http.ts does: the HTTP server never listens itself, and
  // 'listening' starts its connection tracking (idle and all-connection closing).
  http.emit('listening');
  const server = createServer((socket) => http.emit('connection', socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    listener: { server, http, h2: createH2Server(() => {}) },
    port: (server.address() as AddressInfo).port,
  };
}

function get(port: number): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

function state(): DrainState {
  return { draining: false, inFlight: 0, log: createLogger('silent') };
}

describe('drain', () => {
  it('stops accepting, lets the in-flight request finish, then runs cleanup', async () => {
    const s = state();
    let release = (): void => {};
    const { listener, port } = await startListener(s, (respond) => {
      release = respond;
    });
    const inFlight = get(port);
    while (s.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    const events: string[] = [];
    const drained = drainer(s, [listener], {
      drainMs: 5000,
      cleanup: async () => {
        events.push('cleanup');
      },
    })().then(() => events.push('drained'));
    assert.equal(s.draining, true);
    // The port is closed to new connections at once.
    const refused = connect(port, '127.0.0.1');
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, [], 'waits while a request is in flight');
    release();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'done');
    await drained;
    assert.deepEqual(events, ['cleanup', 'drained']);
  });

  it('gives up when the drain time is over: the stuck request is cut, cleanup still runs', async () => {
    const s = state();
    const { listener, port } = await startListener(s, () => {});
    const stuck = get(port).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    while (s.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    let cleaned = false;
    const started = Date.now();
    await drainer(s, [listener], {
      drainMs: 200,
      cleanup: async () => {
        cleaned = true;
        throw new Error('a failing cleanup does not stop the drain');
      },
    })();
    const took = Date.now() - started;
    assert.ok(took >= 200 && took < 2000, `drain took ${took} ms`);
    assert.equal(cleaned, true);
    assert.equal(await stuck, 'ECONNRESET');
  });

  it('a second trigger (SIGTERM after /quitquitquit) joins the drain already running', async () => {
    const s = state();
    const { listener } = await startListener(s, (respond) => respond());
    let cleanups = 0;
    const drain = drainer(s, [listener], {
      drainMs: 100,
      cleanup: async () => {
        cleanups++;
      },
    });
    const first = drain();
    assert.equal(drain(), first);
    await first;
    await drain();
    assert.equal(cleanups, 1);
  });
});
