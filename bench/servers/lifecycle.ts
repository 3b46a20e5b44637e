// Shared by the bench's helper servers: announce the bound port on stdout
// (`LISTENING <port>`) and exit when the harness goes away (stdin closes),
// so a killed harness never leaves servers behind.
import type { Server } from 'node:net';

export function announce(server: Server): void {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  process.stdout.write(`LISTENING ${address.port}\n`);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

/** `--port N` / `--target N` style integer arguments. */
export function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n)) throw new Error(`--${name} needs an integer`);
  return n;
}
