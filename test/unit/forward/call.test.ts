// UpstreamCall over real sockets: an in-process server forwards each request
// with a plan the test gives, to real (or raw, misbehaving) upstreams.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect as connectH2, createServer as createH2Server, type Http2ServerResponse } from 'node:http2';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyError, type ResponseFlags } from '../../../src/errors.ts';
import { type CallPlan, requestMalformed, UpstreamCall } from '../../../src/forward/call.ts';
import { UpstreamPools } from '../../../src/forward/pools.ts';
import type { AttemptOutcome } from '../../../src/forward/retry.ts';
import type { Upstream } from '../../../src/forward/upstream.ts';
import { uploadThenNext } from '../../helpers/raw-http.ts';

interface Done {
  status: number;
  flags: ResponseFlags;
}

const pools = new UpstreamPools({ idleTimeoutMs: 2000 });
const closers: (() => unknown)[] = [];
after(async () => {
  for (const c of closers) await c();
  await pools.close();
});

function reply(res: ServerResponse, err: ProxyError): void {
  const body = err.body();
  res.writeHead(err.status, { 'content-type': 'application/json', 'x-meshlet-error': err.flag });
  res.end(body);
}

/** A proxy whose every request is forwarded with `plan(req)`; `done` collects each call's outcome. */
async function startProxy(plan: (req: IncomingMessage) => Partial<CallPlan>) {
  const done: Done[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (name === 'connection' || name === 'transfer-encoding' || name === 'te') continue;
      headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    new UpstreamCall(
      req,
      res,
      {
        method: req.method!,
        path: req.url!,
        headers,
        timeoutMs: 0,
        retry: null,
        responseHeaders: null,
        hasBody:
          req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined,
        ...plan(req),
      },
      (status, flags) => {
        done.push({ status, flags });
        for (const w of waiters.splice(0)) w();
      },
      reply,
    ).start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const next = async (n = 1): Promise<Done[]> => {
    while (done.length < n) await new Promise<void>((r) => waiters.push(r));
    return done;
  };
  return { port, done, next, server };
}

async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw TCP upstream that answers every request head with `answer`. */
async function startRawUpstream(answer: (socket: Socket) => void) {
  const server = createNetServer((socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        answer(socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedOrigin(): Promise<string> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

function get(port: number, path = '/', headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: IncomingMessage['headers'];
    body: string;
    trailers: NodeJS.Dict<string>;
  }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, trailers: res.trailers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes on one connection and collects what comes back until `until` matches or it closes. */
function raw(port: number, send: (s: Socket) => void, until: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, timeoutMs);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (until.test(got)) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', () => {});
    send(s);
  });
}

describe('endpoint per attempt', () => {
  it('retries a GET on connect failure on another endpoint', async () => {
    const good = await startUpstream((_req, res) => res.end('from b'));
    const dead = await closedOrigin();
    const seen: string[][] = [];
    const reports: [string, AttemptOutcome][] = [];
    const upstream: Upstream = {
      pick: (_attempt, tried) => {
        seen.push([...tried]);
        const key = tried.has('a') ? 'b' : 'a';
        return { key, transport: pools.get(key === 'a' ? dead : good, null) };
      },
      report: (key, outcome) => reports.push([key, outcome]),
    };
    const proxy = await startProxy(() => ({
      upstream,
      retry: { attempts: 2, onConnectFailure: true, onReset: false, statuses: new Set(), perTryTimeoutMs: 0 },
    }));
    const res = await get(proxy.port);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'from b');
    assert.deepEqual(seen, [[], ['a']], 'the retry asked again, naming the endpoint already tried');
    assert.deepEqual(reports, [
      ['a', 'connect-failure'],
      ['b', 200],
    ]);
    assert.deepEqual(await proxy.next(), [{ status: 200, flags: '-' }]);
  });

  it('a picker with no endpoint answers with its flag', async () => {
    const proxy = await startProxy(() => ({
      upstream: { pick: () => new ProxyError('UH', 'every endpoint is ejected') },
    }));
    const res = await get(proxy.port);
    assert.equal(res.status, 503);
    assert.equal(res.headers['x-meshlet-error'], 'UH');
    assert.deepEqual(await proxy.next(), [{ status: 503, flags: 'UH' }]);
  });

  it('a synchronous throw from a picker or a transport becomes a flagged reply, not a crash', async () => {
    const proxy = await startProxy((req) =>
      req.url === '/pick'
        ? {
            upstream: {
              pick: () => {
                throw new TypeError('Invalid URL');
              },
            },
          }
        : req.url === '/pool'
          ? { upstream: pools.upstream('http://127.0.0.1:99999', null) }
          : {
              upstream: {
                pick: () => ({
                  key: 'x',
                  transport: {
                    dispatch: () => {
                      throw new RangeError('boom');
                    },
                  },
                }),
              },
            },
    );
    for (const path of ['/pick', '/pool', '/dispatch']) {
      const res = await get(proxy.port, path);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers['x-meshlet-error'], 'UF', path);
      assert.equal(JSON.parse(res.body).flag, 'UF');
    }
    assert.equal((await proxy.next(3)).length, 3);
  });
});

describe('HTTP/1.1 edge cases from the upstream', () => {
  it('skips an unsolicited 100 Continue and forwards the final response', async () => {
    const origin = await startRawUpstream((s) => {
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    for (let i = 0; i < 3; i++) {
      const res = await get(proxy.port);
      assert.equal(res.status, 200, `request ${i} on a reused upstream connection`);
      assert.equal(res.body, 'ok');
    }
  });

  it('skips 100 Continue heads split across reads, repeated, and before an early hint', async () => {
    const origin = await startRawUpstream((s) => {
      s.write('HTTP/1.1 100 Con');
      setTimeout(() => s.write('tinue\r\nx-a: 1\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'), 20);
      setTimeout(
        () =>
          s.write(
            'HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\ndone',
          ),
        40,
      );
    });
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    const res = await get(proxy.port);
    assert.equal(res.status, 201);
    assert.equal(res.body, 'done');
  });

  it('an early 413 on a keep-alive connection says connection: close instead of leaving the next request hanging', async () => {
    // The upstream refuses on the head, without reading the body, and keeps its connection.
    const origin = await startRawUpstream((s) => {
      s.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo big!');
      s.pause();
    });
    const okOrigin = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('second ok'));
    });
    const proxy = await startProxy((req) => ({
      dispatcher: pools.get(req.url === '/big' ? origin : okOrigin, null),
    }));
    const body = Buffer.alloc(200 * 1024, 'x');
    const started = performance.now();
    const got = await raw(
      proxy.port,
      // The rest comes after the 413 is out, as from a client on a slower link.
      (s) =>
        uploadThenNext(
          s,
          `POST /big HTTP/1.1\r\nhost: a\r\ncontent-length: ${body.length}\r\n\r\n`,
          body,
          200,
          'GET /second HTTP/1.1\r\nhost: a\r\n\r\n',
        ),
      /second ok/,
    );
    // Before: `connection: keep-alive`, and the next request never answered.
    assert.match(got, /^HTTP\/1\.1 413/);
    assert.match(got, /connection: close/i);
    assert.ok(performance.now() - started < 2000, 'the connection was closed, not left hanging');
    assert.equal((await get(proxy.port, '/second')).body, 'second ok');
  });
});

describe('an upstream that answers early and closes', () => {
  /** `rounds` requests with 100-300 KB bodies; the statuses the caller got and the calls' outcomes. */
  async function earlyAnswers(origin: string, method: string, rounds: number) {
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    const statuses = new Set<number>();
    for (let i = 0; i < rounds; i++) {
      const body = Buffer.alloc(100 * 1024 + ((i * 7919) % (200 * 1024)), 'x');
      statuses.add(
        await new Promise<number>((resolve, reject) => {
          const req = request(
            { port: proxy.port, host: '127.0.0.1', method, path: '/x', agent: false },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode!));
            },
          );
          // The proxy may answer and close before the whole body is written.
          req.on('error', (err) =>
            (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err),
          );
          req.setHeader('content-length', body.length);
          req.end(body);
        }),
      );
    }
    const done = await proxy.next(rounds);
    return { statuses, outcomes: new Set(done.map((d) => `${d.status} ${d.flags}`)) };
  }

  it('a HEAD with a 100-300 KB body answered 413 before the body was read forwards the 413, never UC (60 rounds)', async () => {
    // Node's server closes a HEAD connection whose body it did not read: the
    // next body write fails with EPIPE while the 413 waits to be read.
    const origin = await startUpstream((_req, res) => {
      res.statusCode = 413;
      res.end('too large');
    });
    const { statuses, outcomes } = await earlyAnswers(origin, 'HEAD', 60);
    assert.deepEqual(statuses, new Set([413]));
    assert.deepEqual(outcomes, new Set(['413 -']));
  });

  it('a POST or PUT answered 413 by an upstream that then closes its connection forwards the 413, never UC (50 rounds each)', async () => {
    // The write fails with ECONNRESET here (the upstream closed with our body unread).
    const origin = await startUpstream((req, res) => {
      res.statusCode = 413;
      res.end('too large', () => req.socket.destroy());
    });
    for (const method of ['POST', 'PUT']) {
      const { statuses, outcomes } = await earlyAnswers(origin, method, 50);
      assert.deepEqual(statuses, new Set([413]), method);
      assert.deepEqual(outcomes, new Set(['413 -']), method);
    }
  });
});

describe('stream idle timeout', () => {
  it('a request body that stops flowing ends both sides with 408 SI', async () => {
    let upstreamSawEnd = false;
    const origin = await startUpstream((req, res) => {
      req.resume();
      req.on('close', () => {
        upstreamSawEnd = true;
      });
      req.on('end', () => res.end('never'));
    });
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null), streamIdleTimeoutMs: 300 }));
    const started = performance.now();
    const got = await raw(
      proxy.port,
      (s) => s.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\nonly ten b'),
      /"flag":"SI"/,
    );
    const ms = performance.now() - started;
    assert.match(got, /^HTTP\/1\.1 408/);
    assert.match(got, /x-meshlet-error: SI/i);
    assert.ok(ms >= 250 && ms < 3000, `ended after ${Math.round(ms)} ms`);
    assert.deepEqual(await proxy.next(), [{ status: 408, flags: 'SI' }]);
    for (let i = 0; i < 50 && !upstreamSawEnd; i++) await sleep(20);
    assert.ok(upstreamSawEnd, 'the upstream request was ended too');
  });

  it('a response that stops mid-body is reset with SI', async () => {
    const origin = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('part');
    });
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null), streamIdleTimeoutMs: 300 }));
    await assert.rejects(get(proxy.port), /aborted|socket hang up|ECONNRESET/);
    assert.deepEqual(await proxy.next(), [{ status: 200, flags: 'SI' }]);
  });

  it('a slow but steady body is not cut', async () => {
    const origin = await startUpstream(async (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 6; i++) {
        res.write(`${i}`);
        await sleep(100);
      }
      res.end();
    });
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null), streamIdleTimeoutMs: 300 }));
    const res = await get(proxy.port);
    assert.equal(res.body, '012345');
    assert.deepEqual(await proxy.next(), [{ status: 200, flags: '-' }]);
  });
});

describe('a request body malformed mid-upload', () => {
  /** A proxy whose parser errors on a request being forwarded go to its call, as the listeners do. */
  async function startParsingProxy(origin: string) {
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    proxy.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const res = (socket as { _httpMessage?: object | null })._httpMessage;
      const malformed = new ProxyError('DPE', `malformed request: ${err.code}`, { status: 400 });
      if (res == null || !requestMalformed(res, malformed)) socket.destroy();
    });
    return proxy;
  }

  it('after the response started, the call is cut (connection reset) and recorded with DPE', async () => {
    const origin = await startUpstream((req, res) => {
      // Answers at once and keeps the response open while the body comes.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started');
      req.resume();
    });
    const proxy = await startParsingProxy(origin);
    const got = await raw(
      proxy.port,
      (s) => {
        s.write('POST /up HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
        s.once('data', () => s.write('zz\r\nnot a chunk\r\n'));
      },
      /never/,
      3000,
    );
    assert.match(got, /^HTTP\/1\.1 200/);
    assert.doesNotMatch(got, /x-meshlet-error/i);
    assert.deepEqual(await proxy.next(1), [{ status: 200, flags: 'DPE' }]);
  });
});

describe('trailers and the downstream', () => {
  const trailing = () =>
    startUpstream((_req, res) => {
      res.writeHead(200, { trailer: 'x-checksum' });
      res.write('body');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    });

  it('upstream trailers reach an HTTP/1.1 client that sent TE: trailers', async () => {
    const origin = await trailing();
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    const res = await get(proxy.port, '/', { te: 'trailers' });
    assert.equal(res.body, 'body');
    assert.equal(res.trailers['x-checksum'], 'abc');
  });

  it('a client that did not ask for trailers gets the body without them', async () => {
    const origin = await trailing();
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    const res = await get(proxy.port);
    assert.equal(res.body, 'body');
    assert.equal(res.trailers['x-checksum'], undefined);
  });

  it('a caller that leaves before the response is recorded as 499 DC', async () => {
    const origin = await startUpstream(() => {});
    const proxy = await startProxy(() => ({ dispatcher: pools.get(origin, null) }));
    const s = connect(proxy.port, '127.0.0.1');
    s.write('GET /hang HTTP/1.1\r\nhost: a\r\n\r\n');
    await sleep(100);
    s.destroy();
    assert.deepEqual(await proxy.next(), [{ status: 499, flags: 'DC' }]);
  });
});

describe('an HTTP/2 downstream through the same handler', () => {
  it('streams a request body up and the response with its trailers down to an h2 caller', async () => {
    const origin = await startUpstream((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`echo:${body}`);
        res.addTrailers({ 'grpc-status': '0' });
        res.end();
      });
    });
    const done: Done[] = [];
    const server = createH2Server((req, res) => {
      const headers: string[] = ['host', req.authority];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!req.rawHeaders[i]!.startsWith(':')) headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      new UpstreamCall<Http2ServerResponse>(
        req,
        res,
        {
          dispatcher: pools.get(origin, null),
          method: req.method,
          path: req.url,
          headers,
          timeoutMs: 0,
          retry: null,
          responseHeaders: null,
          hasBody: req.method === 'POST',
        },
        (status, flags) => done.push({ status, flags }),
        (r, err) => {
          r.writeHead(err.status, ['x-meshlet-error', err.flag]);
          r.end(err.body());
        },
      ).start();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const session = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo' });
      stream.end('hello h2');
      const [status, body, trailers] = await new Promise<[number, string, Record<string, unknown>]>(
        (resolve, reject) => {
          let st = 0;
          let text = '';
          let tr: Record<string, unknown> = {};
          stream.on('response', (h) => {
            st = Number(h[':status']);
          });
          stream.on('trailers', (t) => {
            tr = t;
          });
          stream.setEncoding('utf8');
          stream.on('data', (d) => {
            text += d;
          });
          stream.on('end', () => resolve([st, text, tr]));
          stream.on('error', reject);
        },
      );
      assert.equal(status, 200);
      assert.equal(body, 'echo:hello h2');
      assert.equal(trailers['grpc-status'], '0', 'trailers always reach an HTTP/2 caller');
      assert.deepEqual(done, [{ status: 200, flags: '-' }]);
    } finally {
      session.close();
    }
  });
});
