import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, it } from 'node:test';
import { requestInProgress, serializePerConnection } from '../../../src/listener/serial.ts';

describe('serializePerConnection', () => {
  it('runs pipelined requests of one connection one at a time, in order', async () => {
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const server = createServer(
      serializePerConnection((req, res) => {
        active++;
        maxActive = Math.max(maxActive, active);
        order.push(req.url!);
        // The first answers last if they ran in parallel.
        setTimeout(
          () => {
            active--;
            res.end(req.url);
          },
          req.url === '/0' ? 100 : 5,
        );
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const out = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      let reqs = '';
      for (let i = 0; i < 5; i++)
        reqs += `GET /${i} HTTP/1.1\r\nHost: x\r\n${i === 4 ? 'Connection: close\r\n' : ''}\r\n`;
      s.write(reqs);
    });
    server.close();
    assert.deepEqual(order, ['/0', '/1', '/2', '/3', '/4']);
    assert.equal(maxActive, 1);
    assert.equal(out.match(/HTTP\/1\.1 200/g)?.length, 5);
  });

  it('runs requests of different connections in parallel', async () => {
    let active = 0;
    let maxActive = 0;
    const server = createServer(
      serializePerConnection((_req, res) => {
        active++;
        maxActive = Math.max(maxActive, active);
        setTimeout(() => {
          active--;
          res.end();
        }, 50);
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await Promise.all(
      [0, 1, 2].map(() =>
        fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.text()),
      ),
    );
    server.close();
    assert.equal(maxActive, 3);
  });

  it('knows when the current request stopped mid-body', async () => {
    const seen: boolean[] = [];
    const server = createServer(
      serializePerConnection((req) => {
        seen.push(requestInProgress(req.socket));
        req.on('data', () => {});
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const s = connect(port, '127.0.0.1');
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    server.close();
    assert.deepEqual(seen, [true]);
  });
});
