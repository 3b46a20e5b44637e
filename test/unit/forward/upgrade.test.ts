import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { it } from 'node:test';
import { ProxyError } from '../../../src/errors.ts';
import { createUpgradeProxy } from '../../../src/forward/upgrade.ts';

it('an upgrade to a target node cannot dial is a UF error for the callback, never a throw', () => {
  const proxy = createUpgradeProxy();
  for (const target of ['http://127.0.0.1:99999', 'http://[', 'http://svc:99999']) {
    const socket = new Socket();
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/';
    req.headers = { host: 'x', upgrade: 'websocket', connection: 'upgrade' };
    const errors: Error[] = [];
    assert.doesNotThrow(() => proxy.ws(req, socket, Buffer.alloc(0), { target }, (err) => errors.push(err)));
    assert.equal(errors.length, 1, target);
    assert.ok(errors[0] instanceof ProxyError && errors[0].flag === 'UF', target);
    socket.destroy();
  }
});
