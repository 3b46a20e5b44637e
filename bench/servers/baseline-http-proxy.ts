// Naive baseline 1: the classic http-proxy 1.18 with a keep-alive agent.
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { announce, intArg } from './lifecycle.ts';

const proxy = httpProxy.createProxyServer({
  target: `http://127.0.0.1:${intArg('target', 0)}`,
  agent: new Agent({ keepAlive: true, maxSockets: 128 }),
});
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});
const server = createServer((req, res) => proxy.web(req, res));
server.listen(intArg('port', 0), '127.0.0.1', () => announce(server));
