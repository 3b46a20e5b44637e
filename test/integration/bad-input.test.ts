// Bad input never crashes the sidecar or disturbs other requests: each case
// gets a flagged error reply, and a request already in flight completes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { type RunningSidecar, rawExchange, serviceYaml, startServer, startSidecar } from '../helpers/mesh.ts';

describe('bad input', () => {
  let upstream: Awaited<ReturnType<typeof startServer>>;
  let sidecar: RunningSidecar;

  before(async () => {
    upstream = await startServer((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('slow done'), 1500);
        return;
      }
      if (req.url === '/reset-mid-body') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('x'.repeat(100));
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      if (req.url === '/reset-before-headers') {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    sidecar = await startSidecar({
      configText: serviceYaml('reviews', { v1: upstream.port }, '      - split: { v1: 1 }'),
      env: { MESHLET_HEADERS_TIMEOUT: '400ms', MESHLET_MAX_HEADER_BYTES: String(16 * 1024) },
    });
  });
  after(async () => {
    await sidecar?.stop();
    await upstream?.close();
  });

  const normal = async () => {
    const res = await request(`http://127.0.0.1:${sidecar.outbound}/`, { headers: { host: 'reviews' } });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'ok');
  };

  const flagged = (raw: string, status: number) => {
    assert.match(raw, new RegExp(`^HTTP/1\\.1 ${status} `), raw.slice(0, 200));
    assert.match(raw, /x-meshlet-error: DPE/i);
    assert.match(raw, /connection: close/i);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    assert.equal(body.flag, 'DPE');
  };

  it('a request in flight survives every attack below', async () => {
    const slow = request(`http://127.0.0.1:${sidecar.outbound}/slow`, { headers: { host: 'reviews' } });
    const attacks = [
      rawExchange(
        sidecar.outbound,
        'POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: reviews\r\n\r\n',
      ),
      rawExchange(
        sidecar.outbound,
        `GET / HTTP/1.1\r\nHost: reviews\r\nx-big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      ),
      rawExchange(sidecar.outbound, 'GET / HTTP/1.1\r\nHost: rev', 1500),
      rawExchange(sidecar.outbound, 'GARBAGE\r\n\r\n'),
    ];
    const [res] = await Promise.all([slow, ...attacks]);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'slow done');
  });

  it('conflicting Content-Length and Transfer-Encoding: 400 DPE, connection closed, nothing smuggled', async () => {
    const raw = await rawExchange(
      sidecar.outbound,
      'POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: reviews\r\n\r\n',
    );
    flagged(raw, 400);
    assert.equal(
      raw.match(/HTTP\/1\.1/g)?.length,
      1,
      'exactly one response: the smuggled request was not served',
    );
    await normal();
  });

  it('two different Content-Length values: 400 DPE', async () => {
    flagged(
      await rawExchange(
        sidecar.outbound,
        'POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      ),
      400,
    );
    await normal();
  });

  it('invalid characters in a header: 400 DPE', async () => {
    flagged(
      await rawExchange(sidecar.outbound, 'GET / HTTP/1.1\r\nHost: reviews\r\nx-bad\x01: v\r\n\r\n'),
      400,
    );
    await normal();
  });

  it('oversized headers: 431 DPE', async () => {
    flagged(
      await rawExchange(
        sidecar.outbound,
        `GET / HTTP/1.1\r\nHost: reviews\r\nx-big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      ),
      431,
    );
    flagged(
      await rawExchange(
        sidecar.inbound,
        `GET / HTTP/1.1\r\nHost: reviews\r\nx-big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      ),
      431,
    );
    await normal();
  });

  it('a client that sends headers too slowly is cut off with 408 DPE', async () => {
    const raw = await rawExchange(sidecar.outbound, 'GET / HTTP/1.1\r\nHost: rev', 3000);
    flagged(raw, 408);
    await normal();
  });

  it('a request without Host: 400 DPE', async () => {
    const raw = await rawExchange(sidecar.outbound, 'GET / HTTP/1.1\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /x-meshlet-error: DPE/i);
    await normal();
  });

  it('an upstream that resets before answering gives 503 UC', async () => {
    const res = await request(`http://127.0.0.1:${sidecar.outbound}/reset-before-headers`, {
      method: 'POST',
      body: 'payload',
      headers: { host: 'reviews' },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['x-meshlet-error'], 'UC');
    assert.equal(((await res.body.json()) as { flag: string }).flag, 'UC');
    await normal();
  });

  it('an upstream that resets mid-response ends the client response with an error, not a hang or fake success', async () => {
    const res = await request(`http://127.0.0.1:${sidecar.outbound}/reset-mid-body`, {
      headers: { host: 'reviews' },
    });
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text(), (err: Error & { code?: string }) =>
      /terminated|other side closed|aborted|socket|premature/i.test(`${err.message} ${err.code}`),
    );
    await normal();
  });

  it('the sidecar process is still alive', async () => {
    assert.equal(sidecar.proc.exitCode, null);
    assert.equal((await sidecar.admin_('/healthz')).status, 200);
  });
});
