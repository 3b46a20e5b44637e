import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, constants, createServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeGrpcMessage, sendGrpcError } from '../../../src/grpc/reply.ts';
import { GRPC_STATUS } from '../../../src/grpc/status.ts';

function decode(wire: string): string {
  return decodeURIComponent(wire);
}

describe('encodeGrpcMessage', () => {
  test('printable ASCII passes unchanged, % and non-ASCII are percent-encoded', () => {
    assert.equal(encodeGrpcMessage('no healthy upstream'), 'no healthy upstream');
    assert.equal(encodeGrpcMessage('100% down'), '100%25 down');
    assert.equal(encodeGrpcMessage('é\n'), '%C3%A9%0A');
  });
  test('any string encodes to printable ASCII that decodes back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const wire = encodeGrpcMessage(s);
        return /^[\x20-\x7e]*$/.test(wire) && decode(wire) === s;
      }),
    );
  });
});

describe('sendGrpcError over a real HTTP/2 stream', () => {
  async function call(
    handler: Parameters<typeof createServer>[1],
  ): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders | null; endStream: boolean }> {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const req = client.request({
      ':path': '/pkg.Svc/M',
      ':method': 'POST',
      'content-type': 'application/grpc',
    });
    req.end();
    let trailers: IncomingHttpHeaders | null = null;
    req.on('trailers', (t) => (trailers = t));
    const [headers, flags] = (await once(req, 'response')) as [IncomingHttpHeaders, number];
    req.resume();
    await once(req, 'end');
    client.close();
    server.close();
    return { headers, trailers, endStream: (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0 };
  }

  test('before the response started: a trailers-only response (one HEADERS frame with END_STREAM), HTTP 200, status, message and flag', async () => {
    const { headers, trailers, endStream } = await call((_req, res) =>
      sendGrpcError(res, GRPC_STATUS.unavailable, 'upstream connect failure', 'UF'),
    );
    assert.equal(endStream, true);
    assert.equal(headers[':status'], 200);
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers['grpc-status'], '14');
    assert.equal(headers['grpc-message'], 'upstream connect failure');
    assert.equal(headers['x-meshlet-error'], 'UF');
    assert.equal(trailers, null);
  });

  test('after the upstream started answering: grpc-status in trailers', async () => {
    const { headers, trailers } = await call((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.write(Buffer.from([0, 0, 0, 0, 0]));
      sendGrpcError(res, GRPC_STATUS['deadline-exceeded'], 'upstream timeout', 'UT');
    });
    assert.equal(headers['grpc-status'], undefined);
    assert.equal(trailers!['grpc-status'], '4');
    assert.equal(trailers!['grpc-message'], 'upstream timeout');
    assert.equal(trailers!['x-meshlet-error'], 'UT');
  });
});
