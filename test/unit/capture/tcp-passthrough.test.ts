// passthroughTcp (src/listener/tcp-passthrough.ts) over real loopback
// sockets: client -> relay listener -> passthroughTcp -> destination server.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { passthroughTcp } from '../../../src/listener/tcp-passthrough.ts';

interface Closed {
  bytesIn: number;
  bytesOut: number;
  error?: Error;
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A relay listener that passes every connection through to `dstPort`. */
async function relay(
  dstPort: number,
  head: Buffer | null = null,
): Promise<{ port: number; closed: Promise<Closed>; opened: Promise<void>; accepted: Promise<Socket> }> {
  let onClosed!: (c: Closed) => void;
  let onOpened!: () => void;
  let onAccepted!: (s: Socket) => void;
  const closed = new Promise<Closed>((r) => (onClosed = r));
  const opened = new Promise<void>((r) => (onOpened = r));
  const accepted = new Promise<Socket>((r) => (onAccepted = r));
  const server = createServer((socket) => {
    onAccepted(socket);
    passthroughTcp(
      socket,
      head,
      { address: '127.0.0.1', port: dstPort },
      {
        onOpen: onOpened,
        onClose: (bytesIn, bytesOut, error) => onClosed({ bytesIn, bytesOut, ...(error ? { error } : {}) }),
      },
    );
  });
  return { port: await listen(server), closed, opened, accepted };
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('passthroughTcp', () => {
  it('relays 1 MB both ways byte-for-byte and reports the byte counts', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    const r = await relay(await listen(echo));
    const payload = randomBytes(1024 * 1024);
    const client = connect(r.port, '127.0.0.1');
    client.end(payload);
    const received = await readAll(client);
    assert.equal(sha256(received), sha256(payload));
    await r.opened;
    const closed = await r.closed;
    assert.equal(closed.bytesIn, payload.length);
    assert.equal(closed.bytesOut, payload.length);
    assert.equal(closed.error, undefined);
  });

  it('sends the sniffed head before the rest of the stream', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    const r = await relay(await listen(echo), Buffer.from('HEAD:'));
    const client = connect(r.port, '127.0.0.1');
    client.end('body');
    assert.equal((await readAll(client)).toString(), 'HEAD:body');
    assert.equal((await r.closed).bytesIn, 'HEAD:body'.length);
  });

  it('supports half-close: the client ends its side and still gets the reply', async () => {
    // Answers only after the request side is finished, like a one-shot protocol.
    const server = createServer({ allowHalfOpen: true }, async (s) => {
      const body = await readAll(s);
      s.end(`got ${body.length} bytes`);
    });
    const r = await relay(await listen(server));
    const client = connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
    client.end('0123456789');
    assert.equal((await readAll(client)).toString(), 'got 10 bytes');
    const closed = await r.closed;
    assert.deepEqual([closed.bytesIn, closed.bytesOut, closed.error], [10, 12, undefined]);
  });

  it('closes the client and reports ECONNREFUSED when the destination is down', async () => {
    const down = createServer();
    const port = await listen(down);
    down.close();
    await once(down, 'close');
    const r = await relay(port);
    const client = connect(r.port, '127.0.0.1');
    client.on('error', () => {});
    client.write('hello');
    await once(client, 'close');
    const closed = await r.closed;
    assert.equal((closed.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');
  });

  it('mirrors a destination reset to the client and reports it', async () => {
    const server = createServer((s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    const r = await relay(await listen(server));
    const client = connect(r.port, '127.0.0.1');
    const clientError = once(client, 'error');
    client.write('trigger');
    const [err] = (await clientError) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    const closed = await r.closed;
    assert.equal((closed.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET');
  });

  it('mirrors a client reset to the destination', async () => {
    let serverSide!: Socket;
    let serverError: NodeJS.ErrnoException | undefined;
    const accepted = new Promise<void>((resolve) => {
      const server = createServer((s) => {
        serverSide = s;
        s.on('error', (err) => (serverError = err));
        s.once('data', () => resolve());
      });
      void listen(server).then(async (port) => {
        const r = await relay(port);
        client = connect(r.port, '127.0.0.1');
        client.write('x');
      });
    });
    let client!: Socket;
    await accepted;
    client.resetAndDestroy();
    await new Promise((resolve) => serverSide.once('close', resolve));
    assert.equal(serverError?.code, 'ECONNRESET');
  });

  it('applies backpressure instead of buffering a slow destination in memory', async () => {
    let serverSide!: Socket;
    const server = createServer((s) => {
      serverSide = s;
      s.pause();
    });
    const r = await relay(await listen(server));
    const total = 64 * 1024 * 1024;
    const payload = randomBytes(1024 * 1024);
    const client = connect(r.port, '127.0.0.1');
    await once(client, 'connect');
    for (let i = 0; i < total / payload.length; i++) client.write(payload);
    const proxySide = await r.accepted;
    // Give the relay ample opportunity to (wrongly) drain the client into memory.
    await sleep(300);
    // Kernel socket buffers on the two hops hold a few MB each; without
    // backpressure the relay would have read everything the client wrote.
    assert.ok(proxySide.bytesRead < total - 16 * 1024 * 1024, `relay read ${proxySide.bytesRead} bytes`);
    const hash = createHash('sha256');
    let received = 0;
    serverSide.on('data', (c: Buffer) => {
      hash.update(c);
      received += c.length;
    });
    serverSide.resume();
    client.end();
    await once(serverSide, 'end');
    assert.equal(received, total);
    const expected = createHash('sha256');
    for (let i = 0; i < total / payload.length; i++) expected.update(payload);
    assert.equal(hash.digest('hex'), expected.digest('hex'));
    serverSide.end();
    await r.closed;
  });

  it('reports a client that closed before the relay started, without dialing', async () => {
    let dialed = false;
    const dst = createServer((s) => {
      dialed = true;
      s.destroy();
    });
    const dstPort = await listen(dst);
    const closed = new Promise<Closed>((resolve) => {
      const server = createServer((socket) => {
        socket.destroy();
        passthroughTcp(
          socket,
          Buffer.from('abc'),
          { address: '127.0.0.1', port: dstPort },
          {
            onClose: (bytesIn, bytesOut, error) =>
              resolve({ bytesIn, bytesOut, ...(error ? { error } : {}) }),
          },
        );
      });
      void listen(server).then((port) => connect(port, '127.0.0.1').on('error', () => {}));
    });
    assert.deepEqual(await closed, { bytesIn: 3, bytesOut: 0 });
    assert.equal(dialed, false);
  });

  it('does not throw when a hook throws', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    const dstPort = await listen(echo);
    let closedCalls = 0;
    const done = new Promise<void>((resolve) => {
      const server = createServer((socket) => {
        passthroughTcp(
          socket,
          null,
          { address: '127.0.0.1', port: dstPort },
          {
            onOpen: () => {
              throw new Error('metrics broke');
            },
            onClose: () => {
              closedCalls++;
              resolve();
              throw new Error('metrics broke again');
            },
          },
        );
      });
      void listen(server).then((port) => {
        const client = connect(port, '127.0.0.1');
        client.end('ping');
        client.resume();
      });
    });
    await done;
    await sleep(20);
    assert.equal(closedCalls, 1);
  });
});
