// The floor: a featureless Node proxy doing only what any proxy must —
// node:http in, undici Pool.dispatch out, bodies streamed both ways with
// backpressure (pause undici while the client socket is full).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import { announce, intArg } from './lifecycle.ts';

const pool = new Pool(`http://127.0.0.1:${intArg('target', 0)}`, { connections: 128, pipelining: 1 });
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
];

function stripHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  for (const name of HOP_BY_HOP) delete headers[name];
  return headers;
}

const server = createServer((req, res) => {
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.dispatch(
    {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: stripHopByHop(req.headers),
      body: hasBody ? req : null,
    },
    {
      onRequestStart() {},
      onResponseStart(controller, statusCode, headers) {
        res.writeHead(statusCode, stripHopByHop(headers));
        res.on('drain', () => controller.resume());
      },
      onResponseData(controller, chunk) {
        if (!res.write(chunk)) controller.pause();
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_controller, err) {
        if (res.headersSent) res.destroy(err);
        else res.writeHead(502).end();
      },
    },
  );
});
server.listen(intArg('port', 0), '127.0.0.1', () => announce(server));
