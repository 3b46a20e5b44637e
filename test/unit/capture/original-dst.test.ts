// The SO_ORIGINAL_DST addon outside a redirect: it loads (in Node 24, built
// against the system Node's headers) and answers null, never a wrong
// address. The redirected case needs iptables and runs in
// test/integration/netns-capture.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ADDON = fileURLToPath(
  new URL('../../../native/linux/build/Release/original_dst.node', import.meta.url),
);
const BUILD = fileURLToPath(new URL('../../../native/linux/build.mjs', import.meta.url));

describe('originalDst', {
  skip: process.platform === 'linux' ? false : 'SO_ORIGINAL_DST is Linux-only',
}, () => {
  before(() => {
    // `npm ci` builds it; a fresh checkout without install gets it here.
    if (!existsSync(ADDON)) spawnSync(process.execPath, [BUILD], { stdio: 'inherit' });
  });

  it('loads the addon', async () => {
    const { originalDstAvailable } = await import('../../../src/capture/original-dst.ts');
    assert.equal(originalDstAvailable(), true, `addon missing at ${ADDON}`);
  });

  it('returns null for a connection that was not redirected', async () => {
    const { originalDst, originalDstOf } = await import('../../../src/capture/original-dst.ts');
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [socket] = await accepted;
    assert.equal(originalDstOf(socket), null);
    // A non-socket descriptor (stdin may be a pipe or a tty) and a closed one.
    assert.equal(originalDst(0), null);
    assert.equal(originalDst(2 ** 30), null);
    socket.destroy();
    assert.equal(originalDstOf(socket), null);
    client.destroy();
    server.close();
  });

  it('rejects a descriptor that is not a non-negative integer', async () => {
    const { originalDst } = await import('../../../src/capture/original-dst.ts');
    assert.throws(() => originalDst(-1), TypeError);
    assert.throws(() => originalDst('3' as unknown as number), TypeError);
  });
});
