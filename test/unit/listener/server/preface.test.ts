import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect as netConnect, createServer as netServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { H2_PREFACE, peekH2Preface, sniffH2Preface } from '../../../../src/listener/server/preface.ts';

/** A loopback connection: the listening server, the client end and the accepted socket. */
async function connectedPair() {
  const server = netServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
  const [socket] = await accepted;
  return { server, client, socket };
}

describe('sniffH2Preface', () => {
  test('every strict prefix of the preface is `more`, the whole preface (and anything after) is `h2`', () => {
    assert.equal(sniffH2Preface(Buffer.alloc(0)), 'more');
    for (let n = 1; n < H2_PREFACE.length; n++)
      assert.equal(sniffH2Preface(H2_PREFACE.subarray(0, n)), 'more', `${n} bytes`);
    fc.assert(
      fc.property(fc.uint8Array(), (rest) => sniffH2Preface(Buffer.concat([H2_PREFACE, rest])) === 'h2'),
    );
  });
  test('HTTP/1.x request lines, TLS records and look-alikes are `no`', () => {
    for (const head of [
      'GET / HTTP/1.1\r\n',
      'PRI * HTTP/1.1\r\n',
      'PRI * HTTP/2.0\r\n\r\nXX',
      'pri * HTTP/2.0',
      '\x16\x03\x01',
    ])
      assert.equal(sniffH2Preface(Buffer.from(head, 'latin1')), 'no', JSON.stringify(head));
  });
  test('any bytes: `more` exactly for strict prefixes, `h2` exactly for preface-led input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const b = Buffer.from(bytes);
        const n = Math.min(b.length, H2_PREFACE.length);
        const agrees = b.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        const expected = !agrees ? 'no' : b.length >= H2_PREFACE.length ? 'h2' : 'more';
        return sniffH2Preface(b) === expected;
      }),
    );
  });
});

describe('peekH2Preface on a real socket', () => {
  test('a preface split across reads is recognised and given back whole', async () => {
    const { server, client, socket } = await connectedPair();
    const peek = peekH2Preface(socket, 2000);
    for (const piece of [H2_PREFACE.subarray(0, 3), H2_PREFACE.subarray(3, 17), H2_PREFACE.subarray(17)]) {
      client.write(piece);
      await new Promise((r) => setTimeout(r, 20));
    }
    const { h2, head } = await peek;
    assert.equal(h2, true);
    assert.deepEqual(head, H2_PREFACE);
    assert.equal(socket.isPaused(), true);
    client.destroy();
    socket.destroy();
    server.close();
  });

  test('an HTTP/1.1 request line decides at its first differing byte, and the bytes are kept', async () => {
    const { server, client, socket } = await connectedPair();
    const peek = peekH2Preface(socket, 5000);
    client.write('PUT / HTTP/1.1\r\n');
    const started = Date.now();
    const { h2, head } = await peek;
    assert.equal(h2, false);
    assert.equal(head.toString(), 'PUT / HTTP/1.1\r\n');
    assert.ok(Date.now() - started < 1000);
    client.destroy();
    socket.destroy();
    server.close();
  });

  test('a client that closes mid-preface is not h2, and what it sent is kept', async () => {
    const { server, client, socket } = await connectedPair();
    const peek = peekH2Preface(socket, 5000);
    client.end(H2_PREFACE.subarray(0, 10));
    const { h2, head } = await peek;
    assert.equal(h2, false);
    assert.deepEqual(head, H2_PREFACE.subarray(0, 10));
    socket.destroy();
    server.close();
  });
});
