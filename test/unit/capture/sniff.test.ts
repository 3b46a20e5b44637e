import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, request } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import {
  handOffToHttpServer,
  looksLikeHttp,
  type SniffOptions,
  type SniffResult,
  sniffConnection,
  sniffProtocol,
} from '../../../src/capture/sniff.ts';

const b = (s: string | number[]): Buffer =>
  typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s);

describe('sniffProtocol', () => {
  const cases: [string, Buffer, string][] = [
    ['GET origin-form', b('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'http'],
    ['POST absolute-form', b('POST http://reviews:9080/api HTTP/1.1\r\n'), 'http'],
    ['HTTP/1.0 with bare LF', b('HEAD /x HTTP/1.0\n'), 'http'],
    ['extension method', b('PROPFIND /dav HTTP/1.1\r\n'), 'http'],
    ['CONNECT authority-form', b('CONNECT example.com:443 HTTP/1.1\r\n'), 'http'],
    ['TLS ClientHello', b([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 'tls'],
    ['TLS record type alone', b([0x16]), 'tls'],
    ['HTTP/2 prior knowledge', b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'h2'],
    ['HTTP/2 preface and a SETTINGS frame', b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00'), 'h2'],
    ['HTTP/2 preface cut after its first line', b('PRI * HTTP/2.0\r\n'), 'more'],
    ['PRI as an HTTP/1.1 method', b('PRI * HTTP/1.1\r\n'), 'http'],
    ['preface departing in its second part', b('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'), 'tcp'],
    ['Redis RESP', b('*1\r\n$4\r\nPING\r\n'), 'tcp'],
    ['memcached text command', b('get key\r\n'), 'tcp'],
    ['Redis inline command with a value', b('SET key value\r\n'), 'tcp'],
    ['PostgreSQL startup', b([0, 0, 0, 8, 4, 210, 22, 47]), 'tcp'],
    ['leading space', b(' GET / HTTP/1.1\r\n'), 'tcp'],
    ['double space', b('GET  / HTTP/1.1\r\n'), 'tcp'],
    ['HTTP/1.2', b('GET / HTTP/1.2\r\n'), 'tcp'],
    ['version without CRLF', b('GET / HTTP/1.1 x'), 'tcp'],
    ['CR not followed by LF', b('GET / HTTP/1.1\rX'), 'tcp'],
    ['control byte in target', b('GET /\x01 HTTP/1.1\r\n'), 'tcp'],
    ['overlong method', b(`${'A'.repeat(25)} / HTTP/1.1\r\n`), 'tcp'],
    ['empty', b(''), 'more'],
    ['method only', b('GET'), 'more'],
    ['method and space', b('GET '), 'more'],
    ['partial target', b('GET /reviews/1'), 'more'],
    ['partial version', b('GET / HTTP/1'), 'more'],
    ['version without line end yet', b('GET / HTTP/1.1'), 'more'],
    ['CR without LF yet', b('GET / HTTP/1.1\r'), 'more'],
  ];
  for (const [name, head, expected] of cases) {
    it(`${name} -> ${expected}`, () => assert.equal(sniffProtocol(head), expected));
  }

  it('looksLikeHttp is true only for a complete request line', () => {
    assert.equal(looksLikeHttp(b('GET / HTTP/1.1\r\n')), true);
    assert.equal(looksLikeHttp(b('GET / HTT')), false);
    assert.equal(looksLikeHttp(b([0x16, 0x03, 0x01])), false);
    assert.equal(looksLikeHttp(b('get key\r\n')), false);
  });
});

describe('sniffConnection', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  /** A listener that sniffs each connection and hands the result (and socket) to the test. */
  async function sniffer(
    options: SniffOptions = {},
  ): Promise<{ port: number; next: () => Promise<SniffResult & { socket: Socket }> }> {
    const queue: ((r: SniffResult & { socket: Socket }) => void)[] = [];
    const server = createServer(async (socket) => {
      const result = await sniffConnection(socket, options);
      queue.shift()?.({ ...result, socket });
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as AddressInfo).port,
      next: () => new Promise((resolve) => queue.push(resolve)),
    };
  }

  it('detects HTTP split over several writes and leaves the bytes for an HTTP server', async () => {
    const s = await sniffer();
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    client.setNoDelay(true);
    client.write('GET /rev');
    await sleep(30);
    client.write('iews HTTP/1.1\r\nHost: reviews\r\n');
    await sleep(30);
    client.write('\r\n');
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'http');
    assert.ok(head.toString().startsWith('GET /rev'));

    const http = createHttpServer((req, res) => res.end(`${req.method} ${req.url} ${req.headers.host}`));
    handOffToHttpServer(http, socket, head);
    const [data] = (await once(client, 'data')) as [Buffer];
    assert.match(data.toString(), /200 OK[\s\S]*GET \/reviews reviews$/);
    // Later requests on the same keep-alive connection reach the server too.
    client.write('GET /second HTTP/1.1\r\nHost: ratings\r\n\r\n');
    const [second] = (await once(client, 'data')) as [Buffer];
    assert.match(second.toString(), /200 OK[\s\S]*GET \/second ratings$/);
    client.destroy();
    http.close();
  });

  it('serves a real HTTP client after sniffing', async () => {
    const s = await sniffer();
    const http = createHttpServer((req, res) => res.end(`hello ${req.url}`));
    const result = s.next().then(({ protocol, head, socket }) => {
      assert.equal(protocol, 'http');
      handOffToHttpServer(http, socket, head);
    });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      request({ host: '127.0.0.1', port: s.port, path: '/ratings', agent: false }, resolve)
        .on('error', reject)
        .end();
    });
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk;
    assert.equal(body, 'hello /ratings');
    await result;
    http.close();
  });

  it('detects a TLS ClientHello', async () => {
    const s = await sniffer();
    const result = s.next();
    const client = tlsConnect({ port: s.port, host: '127.0.0.1', servername: 'example.com' });
    client.on('error', () => {});
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'tls');
    assert.equal(head[0], 0x16);
    socket.destroy();
    client.destroy();
  });

  it('classifies a binary client-first protocol as tcp', async () => {
    const s = await sniffer();
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    client.write(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]));
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'tcp');
    assert.deepEqual([...head], [0, 0, 0, 8, 4, 210, 22, 47]);
    socket.destroy();
    client.destroy();
  });

  it('treats a silent client as server-first after the timeout', async () => {
    const s = await sniffer({ timeoutMs: 50 });
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'server-first');
    assert.equal(head.length, 0);
    // The socket is still usable: a server-first greeting reaches the client.
    socket.write('220 smtp ready\r\n');
    const [greeting] = (await once(client, 'data')) as [Buffer];
    assert.equal(greeting.toString(), '220 smtp ready\r\n');
    socket.destroy();
    client.destroy();
  });

  it('does not wait at all for a well-known server-first port', async () => {
    // With a timeout this long the test would hang if the port were sniffed.
    const s = await sniffer({ dstPort: 3306, timeoutMs: 600_000 });
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    const { protocol, socket } = await result;
    assert.equal(protocol, 'server-first');
    socket.destroy();
    client.destroy();
  });

  it('decides tcp on a client that closes mid request line', async () => {
    const s = await sniffer({ timeoutMs: 600_000 });
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    client.end('GET /unfinished');
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'tcp');
    assert.equal(head.toString(), 'GET /unfinished');
    socket.destroy();
  });

  it('hands over a very long request line as http at the byte limit', async () => {
    const s = await sniffer({ maxBytes: 1024, timeoutMs: 600_000 });
    const result = s.next();
    const client = connect(s.port, '127.0.0.1');
    client.write(`GET /${'a'.repeat(4096)}`);
    const { protocol, head, socket } = await result;
    assert.equal(protocol, 'http');
    assert.ok(head.length >= 1024);
    socket.destroy();
    client.destroy();
  });
});
