import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ProxyError } from '../../../src/errors.ts';
import { createH1Pool, type H1Pool } from '../../../src/forward/transport/h1.ts';
import { singleEndpoint } from '../../../src/forward/upstream.ts';
import { MirrorGate, MirrorTee, mirrorRequestHeaders } from '../../../src/policy/mirror.ts';
import { type MirrorOutcome, sendMirror } from '../../../src/policy/mirror-call.ts';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A shadow server; `behave` decides what it does with each copy. */
async function shadowServer(
  behave: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen[]) => void,
) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => behave(req, res, seen));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const pool = createH1Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    idleTimeoutMs: 1000,
  });
  return {
    seen,
    upstream: singleEndpoint(pool),
    async close() {
      server.closeAllConnections();
      server.close();
      await (pool as H1Pool).destroy();
    },
  };
}

function done(): {
  promise: Promise<[MirrorOutcome, number | null]>;
  cb: (o: MirrorOutcome, s: number | null) => void;
} {
  let cb!: (o: MirrorOutcome, s: number | null) => void;
  const promise = new Promise<[MirrorOutcome, number | null]>((resolve) => {
    cb = (o, s) => resolve([o, s]);
  });
  return { promise, cb };
}

describe('sendMirror over loopback', () => {
  let answering: Awaited<ReturnType<typeof shadowServer>>;
  let hanging: Awaited<ReturnType<typeof shadowServer>>;
  let failing: Awaited<ReturnType<typeof shadowServer>>;
  before(async () => {
    answering = await shadowServer((req, res, seen) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end('discarded');
      });
    });
    hanging = await shadowServer((req) => req.pause());
    failing = await shadowServer((req, res) => {
      req.resume();
      res.statusCode = 500;
      res.end('boom');
    });
  });
  after(async () => {
    await Promise.all([answering.close(), hanging.close(), failing.close()]);
  });

  it('delivers the copy with its teed body and marks, then gives the slot back', async () => {
    const gate = new MirrorGate(1);
    assert.ok(gate.tryAcquire());
    const sink = new PassThrough();
    const tee = new MirrorTee(sink);
    const headers: string[] = [];
    mirrorRequestHeaders(['host', 'reviews:9080', 'content-type', 'text/plain'], headers);
    const d = done();
    sendMirror(
      answering.upstream,
      { method: 'POST', path: '/r?x=1', headers, body: sink, timeoutMs: 2000 },
      gate,
      d.cb,
    );
    tee.write(Buffer.from('hello '));
    tee.write(Buffer.from('shadow'));
    tee.end();
    assert.deepEqual(await d.promise, ['answered', 200]);
    assert.equal(gate.inFlight, 0);
    const [copy] = answering.seen;
    assert.equal(copy!.body.toString(), 'hello shadow');
    assert.equal(copy!.headers.host, 'reviews-shadow:9080');
    assert.equal(copy!.headers['x-meshlet-mirror'], '1');
  });

  it('a shadow that answers 500 is just an answered copy', async () => {
    const gate = new MirrorGate(1);
    assert.ok(gate.tryAcquire());
    const d = done();
    sendMirror(
      failing.upstream,
      { method: 'GET', path: '/', headers: [], body: null, timeoutMs: 2000 },
      gate,
      d.cb,
    );
    assert.deepEqual(await d.promise, ['answered', 500]);
    assert.equal(gate.inFlight, 0);
  });

  it('a shadow that hangs is cut at the deadline; the slot comes back and its tee is stopped', async () => {
    const gate = new MirrorGate(1);
    assert.ok(gate.tryAcquire());
    const sink = new PassThrough();
    const tee = new MirrorTee(sink);
    const d = done();
    const started = performance.now();
    sendMirror(
      hanging.upstream,
      { method: 'POST', path: '/', headers: [], body: sink, timeoutMs: 150 },
      gate,
      d.cb,
    );
    tee.write(Buffer.alloc(1000));
    const [outcome] = await d.promise;
    const elapsed = performance.now() - started;
    assert.equal(outcome, 'timeout');
    assert.ok(elapsed >= 140 && elapsed < 1000, `${elapsed} ms`);
    assert.equal(gate.inFlight, 0);
    tee.write(Buffer.alloc(1000));
    await new Promise((r) => setImmediate(r));
    assert.equal(tee.state, 'abandoned');
  });

  it('no endpoint, or a refused connection, is a failed copy, never an exception', async () => {
    const gate = new MirrorGate(2);
    assert.ok(gate.tryAcquire());
    const none = done();
    sendMirror(
      { pick: () => new ProxyError('UH', 'no healthy upstream') },
      { method: 'GET', path: '/', headers: [], body: null, timeoutMs: 1000 },
      gate,
      none.cb,
    );
    assert.deepEqual(await none.promise, ['failed', null]);
    // A port nothing listens on: bind one, close it, dial it.
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    const pool = createH1Pool(`http://127.0.0.1:${port}`, { idleTimeoutMs: 1000 });
    assert.ok(gate.tryAcquire());
    const refused = done();
    sendMirror(
      singleEndpoint(pool),
      { method: 'GET', path: '/', headers: [], body: null, timeoutMs: 2000 },
      gate,
      refused.cb,
    );
    assert.deepEqual(await refused.promise, ['failed', null]);
    assert.equal(gate.inFlight, 0);
    await pool.destroy();
  });
});
