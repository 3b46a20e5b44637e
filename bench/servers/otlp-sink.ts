// A stand-in OTLP/HTTP collector: reads each POST to the end and answers 200
// with an empty ExportTraceServiceResponse, so span export costs are real.
// GET /stats tells the harness how many exports arrived.
import { createServer } from 'node:http';
import { announce, intArg } from './lifecycle.ts';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, bytes }));
    return;
  }
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
    res.end();
  });
});
server.listen(intArg('port', 0), '127.0.0.1', () => announce(server));
