// HTTP/2 (h2c) upstream for the HTTP/2 bench cells: answers every request 200 with a small body.
import { createServer } from 'node:http2';

const body = Buffer.from('ok\n');
const server = createServer({ settings: { maxConcurrentStreams: 1000 } }, (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`LISTENING ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
});
