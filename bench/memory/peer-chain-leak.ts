// Native memory an mTLS server keeps per connection, without meshlet: the
// glibc main-arena heap (`[heap]` in /proc/self/smaps) after N client-
// authenticated connections and three full collections, one fresh process
// per case. Node 24.21's native getPeerX509Certificate() on a server socket
// whose client sent a certificate chain keeps that chain for good, and
// tls.Server calls it for every connection with `requestCert`: the callee
// sidecar's heap grew with every new inbound mTLS connection in the soak.
// BENCHMARKS.md ("Soak") has the figures; run it again on a new Node.
//
//   node bench/memory/peer-chain-leak.ts [--connections 3000]
import { spawnSync } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mallocHeapMiB } from '../../test/helpers/malloc-heap.ts';

const CASES = {
  'tls.Server, the client sends its certificate and the CA (as the mesh connector does)': 'server-chain',
  'tls.Server, the client sends its certificate only': 'server-leaf',
  'a server TLSSocket without tls.Server, nothing read': 'socket',
  'the same + getPeerX509Certificate() once per connection': 'socket-x509',
  'the same + getPeerCertificate() once per connection': 'socket-legacy',
} as const;
type Case = (typeof CASES)[keyof typeof CASES];

const { values: args } = parseArgs({
  options: { connections: { type: 'string', default: '3000' }, child: { type: 'string' } },
});
const connections = Number(args.connections);
const MiB = 2 ** 20;

async function child(which: Case): Promise<void> {
  const tls = await import('node:tls');
  const { createDevCa, issueLeaf } = await import('../../src/tls/dev-ca.ts');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ca = await createDevCa({ trustDomain: 'cluster.local' });
  const server = await issueLeaf(ca, { spiffeId: 'spiffe://cluster.local/ns/default/sa/server' });
  const client = await issueLeaf(ca, { spiffeId: 'spiffe://cluster.local/ns/default/sa/client' });
  const serverContext = tls.createSecureContext({ key: server.keyPem, cert: server.certPem, ca: ca.certPem });
  // With the CA in its context OpenSSL appends it to the certificate it sends.
  const clientContext = tls.createSecureContext(
    which === 'server-leaf'
      ? { key: client.keyPem, cert: client.certPem }
      : { key: client.keyPem, cert: client.certPem, ca: ca.certPem },
  );
  let authorized = 0;
  const serve = (socket: import('node:tls').TLSSocket): void => {
    socket.on('error', () => undefined);
    socket.resume();
  };
  const listener =
    which === 'server-chain' || which === 'server-leaf'
      ? // the options InboundTls gave its tls.Server until it terminated on its own TLSSocket
        tls.createServer(
          {
            key: server.keyPem,
            cert: server.certPem,
            ca: ca.certPem,
            requestCert: true,
            rejectUnauthorized: false,
          },
          (socket) => {
            if (socket.authorized) authorized++;
            serve(socket);
          },
        )
      : createNetServer((raw) => {
          const socket = new tls.TLSSocket(raw, {
            isServer: true,
            secureContext: serverContext,
            requestCert: true,
            rejectUnauthorized: false,
          });
          socket.once('secure', () => {
            if (socket.getPeerCertificate().raw !== undefined) authorized++;
            if (which === 'socket-x509')
              (
                socket as unknown as { _handle: { getPeerX509Certificate(): unknown } }
              )._handle.getPeerX509Certificate();
            else if (which === 'socket-legacy') socket.getPeerCertificate();
          });
          serve(socket);
        });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const one = () =>
    new Promise<void>((resolve) => {
      const socket = tls.connect({
        port,
        host: '127.0.0.1',
        secureContext: clientContext,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      socket.on('secureConnect', () => {
        socket.write('x'.repeat(3000));
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2);
      });
      socket.on('error', () => resolve());
    });
  const collect = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await one();
  await collect();
  const before = mallocHeapMiB();
  for (let i = 0; i < connections; i += 20) await Promise.all(Array.from({ length: 20 }, one));
  await collect();
  process.stdout.write(JSON.stringify({ before, after: mallocHeapMiB(), authorized }));
  process.exit(0);
}

if (args.child !== undefined) await child(args.child as Case);
else {
  const self = fileURLToPath(import.meta.url);
  console.log(
    `[heap] after ${connections} mTLS connections and full collections (MiB, one process per case)`,
  );
  for (const [name, which] of Object.entries(CASES)) {
    const run = spawnSync(process.execPath, [self, '--child', which, '--connections', String(connections)], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`${which} failed: ${run.stderr}`);
    const { before, after, authorized } = JSON.parse(run.stdout) as {
      before: number;
      after: number;
      authorized: number;
    };
    const perConnection = ((after - before) * MiB) / 1024 / connections;
    console.log(
      `${name}: ${before.toFixed(1)} -> ${after.toFixed(1)} (+${(after - before).toFixed(1)}, ${perConnection.toFixed(1)} KiB per connection; ${authorized} handshakes with a client certificate)`,
    );
  }
}
