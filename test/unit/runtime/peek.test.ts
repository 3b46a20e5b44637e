// peekHead over real loopback sockets: the verdict, the bytes read, and the
// socket left paused with no 'data' listener for whoever takes it next.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { peekHead } from '../../../src/runtime/peek.ts';

const server = createServer();
const accepted: Socket[] = [];
server.on('connection', (s) => accepted.push(s));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
after(() => {
  for (const s of accepted) s.destroy();
  server.close();
});

/** A client connection and the server's side of it. */
async function pair(): Promise<{ client: Socket; socket: Socket }> {
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  const [socket] = (await once(server, 'connection')) as [Socket];
  return { client, socket };
}

/** Decides once `want` bytes arrived: their text. */
const upTo = (want: number) => (head: Buffer) => (head.length >= want ? head.toString() : undefined);

describe('peekHead', () => {
  it('decides across several reads and hands back every byte read, the socket paused', async () => {
    const { client, socket } = await pair();
    const peeked = peekHead(socket, upTo(6), () => 'ended', 5000);
    client.write('abc');
    await new Promise((r) => setTimeout(r, 50));
    client.write('defgh');
    const { verdict, head } = await peeked;
    assert.equal(verdict, 'abcdefgh');
    assert.equal(head.toString(), 'abcdefgh');
    assert.equal(socket.isPaused(), true);
    assert.equal(socket.listenerCount('data'), 0);
    client.destroy();
  });

  it('an end before a verdict decides with the bytes read so far', async () => {
    const { client, socket } = await pair();
    const peeked = peekHead(socket, upTo(100), (n) => `ended after ${n}`, 5000);
    client.end('xy');
    const { verdict, head } = await peeked;
    assert.equal(verdict, 'ended after 2');
    assert.equal(head.toString(), 'xy');
  });

  it('a silent client is decided by the timeout, with nothing read', async () => {
    const { client, socket } = await pair();
    const started = performance.now();
    const { verdict, head } = await peekHead(socket, upTo(1), (n) => `ended after ${n}`, 100);
    assert.equal(verdict, 'ended after 0');
    assert.equal(head.length, 0);
    assert.ok(performance.now() - started >= 90);
    client.destroy();
  });
});
