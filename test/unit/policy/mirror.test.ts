import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  compileMirror,
  MirrorGate,
  MirrorTee,
  mirrorRequestHeaders,
  shadowAuthority,
  shouldMirror,
  type TeeAbandonReason,
} from '../../../src/policy/mirror.ts';

const VERSIONS = new Set(['v1', 'v2']);

describe('compileMirror', () => {
  it('defaults to 100 %, compiles 0 % and absence to null', () => {
    assert.deepEqual(compileMirror({ version: 'v2' }, VERSIONS), {
      ok: true,
      value: { version: 'v2', threshold: 1 },
    });
    assert.deepEqual(compileMirror({ version: 'v2', percent: 0 }, VERSIONS), { ok: true, value: null });
    assert.deepEqual(compileMirror(undefined, VERSIONS), { ok: true, value: null });
  });

  it('names the service versions when the version is unknown, and checks the percentage', () => {
    const r = compileMirror({ version: 'v3', percent: 150 }, VERSIONS);
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [['percent'], ['version']],
    );
    assert.match(r.issues[1]!.message, /one of this service's versions \(v1, v2\), got "v3"/);
  });
});

describe('shouldMirror', () => {
  it('cuts the random range at the percentage, and draws nothing at 100 %', () => {
    const r = compileMirror({ version: 'v2', percent: 12.5 }, VERSIONS);
    assert.ok(r.ok && r.value !== null);
    assert.equal(
      shouldMirror(r.value, () => 0.1249),
      true,
    );
    assert.equal(
      shouldMirror(r.value, () => 0.125),
      false,
    );
    const all = compileMirror({ version: 'v2' }, VERSIONS);
    assert.ok(all.ok && all.value !== null);
    assert.equal(
      shouldMirror(all.value, () => assert.fail('drew a random number')),
      true,
    );
  });
});

describe('MirrorGate', () => {
  it('bounds the copies in flight and counts the ones dropped', () => {
    const gate = new MirrorGate(2);
    assert.equal(gate.tryAcquire(), true);
    assert.equal(gate.tryAcquire(), true);
    assert.equal(gate.tryAcquire(), false);
    assert.equal(gate.tryAcquire(), false);
    assert.deepEqual([gate.inFlight, gate.dropped], [2, 2]);
    gate.release();
    assert.equal(gate.tryAcquire(), true);
    gate.release();
    gate.release();
    gate.release();
    assert.equal(gate.inFlight, 0, 'an extra release never goes below zero');
  });
});

describe('shadowAuthority and mirrorRequestHeaders', () => {
  it('suffixes the host name, keeps the port, leaves IP literals alone', () => {
    assert.equal(shadowAuthority('reviews:9080'), 'reviews-shadow:9080');
    assert.equal(shadowAuthority('reviews'), 'reviews-shadow');
    assert.equal(
      shadowAuthority('reviews.default.svc.cluster.local'),
      'reviews.default.svc.cluster.local-shadow',
    );
    assert.equal(shadowAuthority('10.0.0.1:80'), '10.0.0.1:80');
    assert.equal(shadowAuthority('[::1]:80'), '[::1]:80');
  });

  it('shadows Host and :authority, replaces any incoming mark, adds x-meshlet-mirror: 1', () => {
    const out: string[] = [];
    mirrorRequestHeaders(['Host', 'reviews:9080', 'X-Meshlet-Mirror', '0', 'accept', '*/*'], out);
    assert.deepEqual(out, ['Host', 'reviews-shadow:9080', 'accept', '*/*', 'x-meshlet-mirror', '1']);
    const h2: string[] = [];
    mirrorRequestHeaders([':authority', 'reviews:9080'], h2);
    assert.deepEqual(h2, [':authority', 'reviews-shadow:9080', 'x-meshlet-mirror', '1']);
  });
});

function chunk(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

describe('MirrorTee', () => {
  it('copies every chunk in order to a sink that keeps up, then ends it', async () => {
    const sink = new PassThrough();
    const got: Buffer[] = [];
    sink.on('data', (c: Buffer) => got.push(c));
    const tee = new MirrorTee(sink, { maxBodyBytes: 1 << 20, maxQueuedBytes: 1 << 16 });
    const sent = [chunk(100, 1), chunk(50_000, 2), chunk(3, 3)];
    for (const c of sent) tee.write(c);
    tee.end();
    await once(sink, 'end');
    assert.equal(tee.state, 'ended');
    assert.deepEqual(Buffer.concat(got), Buffer.concat(sent));
  });

  it('queues for a sink that is briefly slow and delivers every byte in order once it catches up', async () => {
    const got: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1024,
      write(c: Buffer, _e, done) {
        got.push(c);
        setTimeout(done, 2);
      },
    });
    const tee = new MirrorTee(sink, { maxBodyBytes: 1 << 20, maxQueuedBytes: 1 << 20 });
    const sent = Array.from({ length: 20 }, (_, i) => chunk(4096, i));
    for (const c of sent) tee.write(c);
    tee.end();
    await once(sink, 'finish');
    assert.equal(tee.state, 'ended');
    assert.deepEqual(Buffer.concat(got), Buffer.concat(sent));
  });

  it('abandons a copy whose sink falls behind, without ever making the original wait', async () => {
    // A consumer that takes 50 ms per 16 KiB: far slower than the original.
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(_c, _e, done) {
        setTimeout(done, 50);
      },
    });
    const reasons: TeeAbandonReason[] = [];
    const tee = new MirrorTee(sink, { maxBodyBytes: 8 << 20, maxQueuedBytes: 128 * 1024 }, (r) =>
      reasons.push(r),
    );
    const started = performance.now();
    for (let i = 0; i < 64; i++) tee.write(chunk(64 * 1024, i)); // 4 MiB, as fast as the original goes
    tee.end();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 100, `feeding 4 MiB took ${elapsed.toFixed(1)} ms`);
    assert.equal(tee.state, 'abandoned');
    assert.deepEqual(reasons, ['slow']);
    assert.equal(sink.destroyed, true, 'the copy is torn down, its queue freed');
  });

  it('abandons a copy whose body outgrows the limit rather than send it truncated', () => {
    const sink = new PassThrough();
    sink.resume();
    const tee = new MirrorTee(sink, { maxBodyBytes: 1000, maxQueuedBytes: 1000 });
    tee.write(chunk(600, 1));
    tee.write(chunk(600, 2));
    tee.end();
    assert.equal(tee.state, 'abandoned');
    assert.equal(tee.abandonReason, 'too-large');
    assert.equal(sink.destroyed, true);
  });

  it('a failing sink abandons the copy; later writes are ignored and nothing throws', async () => {
    const sink = new Writable({
      write(_c, _e, done) {
        done(new Error('shadow reset'));
      },
    });
    const tee = new MirrorTee(sink);
    tee.write(chunk(10, 1));
    await new Promise((r) => setImmediate(r));
    assert.equal(tee.abandonReason, 'failed');
    tee.write(chunk(10, 2));
    tee.end();
    assert.equal(tee.state, 'abandoned');
  });

  it('an aborted original abandons its copy', () => {
    const sink = new PassThrough();
    const tee = new MirrorTee(sink);
    tee.write(chunk(10, 1));
    tee.abort();
    assert.equal(tee.abandonReason, 'original-aborted');
    assert.equal(sink.destroyed, true);
  });

  it('over real sockets: a shadow that never reads loses its copy; the original delivers all 8 MiB', async () => {
    let shadowReq: http.IncomingMessage | null = null;
    const shadow = http.createServer((req) => {
      shadowReq = req;
      req.pause(); // hangs: never reads, never answers
    });
    let originalBytes = 0;
    const primary = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => {
        originalBytes += c.length;
      });
      req.on('end', () => res.end('ok'));
    });
    shadow.listen(0, '127.0.0.1');
    primary.listen(0, '127.0.0.1');
    await Promise.all([once(shadow, 'listening'), once(primary, 'listening')]);
    try {
      const copy = http.request({
        host: '127.0.0.1',
        port: (shadow.address() as AddressInfo).port,
        method: 'POST',
        headers: { 'x-meshlet-mirror': '1' },
      });
      copy.on('error', () => {});
      const reasons: TeeAbandonReason[] = [];
      const tee = new MirrorTee(copy, { maxBodyBytes: 64 << 20, maxQueuedBytes: 256 * 1024 }, (r) =>
        reasons.push(r),
      );
      const original = http.request({
        host: '127.0.0.1',
        port: (primary.address() as AddressInfo).port,
        method: 'POST',
      });
      const response = once(original, 'response');
      const total = 8 << 20;
      const piece = 64 * 1024;
      const started = performance.now();
      for (let sent = 0; sent < total; sent += piece) {
        const c = chunk(piece, sent & 0xff);
        tee.write(c);
        if (!original.write(c)) await once(original, 'drain');
      }
      tee.end();
      original.end();
      const [res] = (await response) as [http.IncomingMessage];
      res.resume();
      await once(res, 'end');
      const elapsed = performance.now() - started;
      assert.equal(res.statusCode, 200);
      assert.equal(originalBytes, total);
      assert.deepEqual(reasons, ['slow']);
      assert.ok(elapsed < 5000, `original took ${elapsed.toFixed(0)} ms`);
      assert.ok(shadowReq !== null);
    } finally {
      shadow.closeAllConnections();
      primary.closeAllConnections();
      shadow.close();
      primary.close();
    }
  });
});
