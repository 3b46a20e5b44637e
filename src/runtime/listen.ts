// Binding a listener's port, as a promise that rejects on EADDRINUSE & co.
import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';

/** `reusePort`: a worker of a multi-worker sidecar shares the port with the others (SO_REUSEPORT). */
export function listen(
  server: Server | NetServer,
  port: number,
  host: string,
  reusePort: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: reusePort, reusePort }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
