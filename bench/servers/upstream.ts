// The application under the proxies: answers every request with a fixed
// 100-byte body (Content-Length, keep-alive). Drains request bodies.
import { createServer } from 'node:http';
import { announce, intArg } from './lifecycle.ts';

const BODY = Buffer.alloc(100, 'x');
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
// `--host 127.0.0.3`: one of several endpoints on distinct loopback addresses (balancing cells).
const hostAt = process.argv.indexOf('--host');
const host = hostAt === -1 ? '127.0.0.1' : process.argv[hostAt + 1]!;
server.listen(intArg('port', 0), host, () => announce(server));
