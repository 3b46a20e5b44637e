// Naive baseline 2: undici's convenience API, Pool.request + pipe. Same pool
// as the tuned floor, but a Readable per response and a promise per request.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { announce, intArg } from './lifecycle.ts';

const pool = new Pool(`http://127.0.0.1:${intArg('target', 0)}`, { connections: 128 });

function stripHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['transfer-encoding'];
  return headers;
}

const server = createServer(async (req, res) => {
  try {
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const upstream = await pool.request({
      method: (req.method ?? 'GET') as 'GET',
      path: req.url ?? '/',
      headers: stripHopByHop(req.headers),
      body: hasBody ? req : null,
    });
    res.writeHead(upstream.statusCode, stripHopByHop(upstream.headers));
    pipeline(upstream.body, res, () => {});
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
});
server.listen(intArg('port', 0), '127.0.0.1', () => announce(server));
