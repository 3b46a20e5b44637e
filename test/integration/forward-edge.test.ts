// HTTP/1.1 edge cases on the forward path, through a real sidecar process:
// each one took the sidecar down or broke a connection before.
import assert from 'node:assert/strict';
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server,
  type Socket,
} from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningSidecar, startServer, startSidecar } from '../helpers/mesh.ts';
import { uploadThenNext } from '../helpers/raw-http.ts';

/** A raw TCP upstream that answers every request head with `answer` (bodies are not read). */
async function startRawUpstream(answer: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
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
  return { port: (server.address() as AddressInfo).port, server };
}

/** Sends raw bytes on one connection; resolves with what came back once `until` matches, it closes, or time runs out. */
function exchange(port: number, send: (s: Socket) => unknown, until: RegExp, timeoutMs = 5000) {
  return new Promise<{ text: string; closed: boolean }>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until.test(text)) done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => {});
    void send(s);
  });
}

describe('forward edge cases through a sidecar', () => {
  let sidecar: RunningSidecar;
  let app: Awaited<ReturnType<typeof startServer>>;
  let continuing: Awaited<ReturnType<typeof startRawUpstream>>;
  let refusing: Awaited<ReturnType<typeof startRawUpstream>>;
  let stalling: Awaited<ReturnType<typeof startServer>>;
  const seenHeaders: Record<string, string | string[] | undefined>[] = [];

  before(async () => {
    app = await startServer((req, res) => {
      seenHeaders.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { trailer: 'x-checksum' });
        res.write('app ok');
        res.addTrailers({ 'x-checksum': 'abc' });
        res.end();
      });
    });
    continuing = await startRawUpstream((s) =>
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\ncontinued'),
    );
    refusing = await startRawUpstream((s) => {
      s.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 7\r\n\r\ntoo big');
      s.pause();
    });
    stalling = await startServer((req) => {
      req.resume(); // reads what comes, never answers
    });
    sidecar = await startSidecar({
      configText: `mtls: disable
streamIdleTimeout: 1s
services:
  app:
    versions: { v1: { host: 127.0.0.1, port: ${app.port} } }
  continuing:
    versions: { v1: { host: 127.0.0.1, port: ${continuing.port} } }
  refusing:
    versions: { v1: { host: 127.0.0.1, port: ${refusing.port} } }
  stalling:
    versions: { v1: { host: 127.0.0.1, port: ${stalling.port} } }
`,
    });
  });
  after(async () => {
    await sidecar?.stop();
    await app?.close();
    await stalling?.close();
    continuing?.server.close();
    refusing?.server.close();
  });

  const alive = async () => {
    assert.equal(sidecar.proc.exitCode, null, `sidecar exited:\n${sidecar.output()}`);
    const r = await exchange(
      sidecar.outbound,
      (s) => s.write('GET / HTTP/1.1\r\nhost: app\r\n\r\n'),
      /app ok/,
    );
    assert.match(r.text, /^HTTP\/1\.1 200/);
  };

  it('a Host that is no valid address gets a flagged error and the sidecar lives on', async () => {
    for (const host of ['127.0.0.1:99999', 'svc:99999', '[', '%', 'a/b', '[::1', '127.0.0.1:0x50']) {
      const r = await exchange(
        sidecar.outbound,
        (s) => s.write(`GET / HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
        /\r\n\r\n[\s\S]*\}/,
      );
      assert.match(r.text, /^HTTP\/1\.1 [45]\d\d /, `Host ${host}: ${r.text}`);
      assert.match(r.text, /x-meshlet-error: [A-Z]+/i, `Host ${host} is answered with a flag`);
    }
    await alive();
  });

  it('a WebSocket upgrade to a Host that is no valid address gets a flagged error and the sidecar lives on', async () => {
    for (const host of ['127.0.0.1:99999', 'svc:99999']) {
      const r = await exchange(
        sidecar.outbound,
        (s) =>
          s.write(
            `GET /ws HTTP/1.1\r\nhost: ${host}\r\nconnection: upgrade\r\nupgrade: websocket\r\n` +
              'sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          ),
        /\r\n\r\n[\s\S]*\}/,
      );
      assert.match(r.text, /^HTTP\/1\.1 [45]\d\d /, `Host ${host}: ${r.text}`);
      assert.match(r.text, /x-meshlet-error: [A-Z]+/i);
    }
    await alive();
  });

  it('an unsolicited 100 Continue from the upstream is skipped and the 200 forwarded', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await exchange(
        sidecar.outbound,
        (s) => s.write('GET / HTTP/1.1\r\nhost: continuing\r\n\r\n'),
        /continued/,
      );
      assert.match(r.text, /^HTTP\/1\.1 200/, r.text);
      assert.doesNotMatch(r.text, /100 Continue/);
    }
  });

  it('an early 413 on a keep-alive connection does not leave the next request unanswered', async () => {
    const body = Buffer.alloc(200 * 1024, 'x');
    const started = performance.now();
    const r = await exchange(
      sidecar.outbound,
      (s) =>
        uploadThenNext(
          s,
          `POST /upload HTTP/1.1\r\nhost: refusing\r\ncontent-length: ${body.length}\r\n\r\n`,
          body,
          300,
          'GET / HTTP/1.1\r\nhost: app\r\n\r\n',
        ),
      /app ok/,
    );
    assert.match(r.text, /^HTTP\/1\.1 413/);
    if (!/app ok/.test(r.text)) {
      // The sidecar chose to close: it must say so and do it, not promise keep-alive and hang.
      assert.match(r.text, /connection: close/i);
      assert.ok(r.closed && performance.now() - started < 3000, 'closed at once');
    }
    await alive();
  });

  it('an upload that stops sending ends with 408 SI after streamIdleTimeout', async () => {
    const started = performance.now();
    const r = await exchange(
      sidecar.outbound,
      (s) => s.write('POST /upload HTTP/1.1\r\nhost: stalling\r\ncontent-length: 1000\r\n\r\nten bytes.'),
      /"flag":"SI"/,
    );
    const ms = performance.now() - started;
    assert.match(r.text, /^HTTP\/1\.1 408/, r.text);
    assert.match(r.text, /x-meshlet-error: SI/i);
    assert.ok(ms >= 900 && ms < 4000, `after ${Math.round(ms)} ms`);
    await alive();
  });

  it('a header named on a second Connection line is not forwarded', async () => {
    seenHeaders.length = 0;
    await exchange(
      sidecar.outbound,
      (s) =>
        s.write(
          'GET / HTTP/1.1\r\nhost: app\r\nconnection: keep-alive\r\nconnection: x-hop\r\nx-hop: secret\r\nx-end: kept\r\n\r\n',
        ),
      /app ok/,
    );
    assert.equal(seenHeaders.length, 1);
    assert.equal(seenHeaders[0]!['x-hop'], undefined);
    assert.equal(seenHeaders[0]!['x-end'], 'kept');
  });

  it('upstream trailers reach a client that sent TE: trailers', async () => {
    const r = await exchange(
      sidecar.outbound,
      (s) => s.write('GET / HTTP/1.1\r\nhost: app\r\nte: trailers\r\n\r\n'),
      /x-checksum: abc\r\n\r\n/i,
    );
    assert.match(r.text, /transfer-encoding: chunked/i);
    assert.match(r.text, /0\r\nx-checksum: abc\r\n\r\n/i);
  });
});
