import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { describe, it } from 'node:test';
import { FLAGS, ProxyError } from '../../../src/errors.ts';
import { parserError, replyError, writeRawError } from '../../../src/listener/rescue.ts';

describe('parserError', () => {
  it('maps parser verdicts to DPE with the status the limit calls for', () => {
    assert.equal(parserError(Object.assign(new Error(), { code: 'HPE_HEADER_OVERFLOW' }))?.status, 431);
    assert.equal(parserError(Object.assign(new Error(), { code: 'HPE_HEADERS_TIMEOUT' }))?.status, 408);
    assert.equal(parserError(Object.assign(new Error(), { code: 'HPE_INVALID_METHOD' }))?.status, 400);
  });
  it('does not count socket errors as malformed requests', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])
      assert.equal(parserError(Object.assign(new Error(), { code })), null, code);
  });
});

describe('replies from the table', () => {
  it('replyError writes the status, the flag header and the JSON body', async () => {
    const server = createServer((_req, res) => replyError(res, new ProxyError('RL', 'slow down')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    server.close();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-meshlet-error'), 'RL');
    assert.deepEqual(await res.json(), { error: FLAGS.RL.title, flag: 'RL', message: 'slow down' });
  });
  it('writeRawError answers on the raw socket with the reason phrase and closes', async () => {
    const server = createNetServer((s) => writeRawError(s, new ProxyError('NR', 'no', { status: 502 })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const raw = await new Promise<string>((resolve) => {
      let out = '';
      const s = connect((server.address() as AddressInfo).port, '127.0.0.1');
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
    });
    server.close();
    assert.match(raw, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(raw, /x-meshlet-error: NR\r\nconnection: close/);
  });
});
