// The application under the proxies: answers every request with a fixed
// 100-byte body (Content-Length, keep-alive). Drains request bodies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, intArg } from './lifecycle.ts';

const BODY = Buffer.alloc(100, 'x');
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
}

function listen(port: number, host: string, then: (port: number) => void) {
  const server = createServer(answer);
  server.keepAliveTimeout = 65_000;
  server.listen(port, host, () => then((server.address() as AddressInfo).port));
  return server;
}

// `--hosts 127.0.0.2,127.0.0.3,127.0.0.4`: the same app on several loopback
// addresses and one port, in this one process (the balancing cells' endpoints),
// so one endpoint or three differ only in the proxy's balancing.
const hostsAt = process.argv.indexOf('--hosts');
const [first, ...rest] = hostsAt === -1 ? ['127.0.0.1'] : process.argv[hostsAt + 1]!.split(',');
const server = listen(intArg('port', 0), first!, (port) => {
  let waiting = rest.length;
  if (waiting === 0) announce(server);
  for (const host of rest)
    listen(port, host, () => {
      if (--waiting === 0) announce(server);
    });
});
