// Destinations the relay cannot dial (a bad port or address from the kernel or
// a CONNECT target, a refused connection) end the relay cleanly, never throw.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { passthroughTcp } from '../../../src/listener/tcp-passthrough.ts';

async function accepted(): Promise<{
  server: ReturnType<typeof createServer>;
  client: Socket;
  peer: Socket;
}> {
  let peer!: Socket;
  const server = createServer((s) => {
    s.pause();
    peer = s;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(server, 'connection');
  return { server, client, peer };
}

describe('passthroughTcp with destinations it cannot dial', () => {
  for (const dst of [
    { address: '127.0.0.1', port: 99999 },
    { address: '127.0.0.1', port: -1 },
    { address: '127.0.0.1', port: Number.NaN },
  ])
    it(`reports ${JSON.stringify(dst)} as a close with an error instead of throwing`, async () => {
      const { server, client, peer } = await accepted();
      const closed = new Promise<Error | undefined>((resolve) => {
        passthroughTcp(peer, null, dst, { onClose: (_i, _o, err) => resolve(err) });
      });
      assert.ok((await closed) instanceof Error);
      await once(client, 'close');
      server.close();
    });

  it('hands a refused connection to onConnectError, which may still answer the client', async () => {
    const { server, client, peer } = await accepted();
    let got = '';
    client.on('data', (d) => (got += d));
    passthroughTcp(
      peer,
      null,
      { address: '127.0.0.1', port: 1 },
      { onConnectError: () => peer.end('refused') },
    );
    await once(client, 'close');
    assert.equal(got, 'refused');
    server.close();
  });
});
