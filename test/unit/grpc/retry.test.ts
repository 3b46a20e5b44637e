import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer as createH2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  connect as h2connect,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { RetryPolicy } from '../../../src/config/types.ts';
import { UpstreamCall } from '../../../src/forward/call.ts';
import { H2Client } from '../../../src/forward/transport/h2.ts';
import { grpcRetryable, REPLAY_LIMIT_BYTES, ReplayBuffer } from '../../../src/grpc/retry.ts';

const policy = (attempts: number, grpc: number[]): RetryPolicy => ({
  attempts,
  onConnectFailure: false,
  onReset: false,
  statuses: new Set(),
  grpcStatuses: new Set(grpc),
  perTryTimeoutMs: 0,
});

describe('grpcRetryable', () => {
  it('retries a listed status while attempts are left, the body can be sent again and the deadline holds', () => {
    const p = policy(2, [14]);
    assert.equal(grpcRetryable(p, 14, 1, true, false), true);
    assert.equal(grpcRetryable(p, 14, 2, true, false), true);
    assert.equal(grpcRetryable(p, 14, 3, true, false), false, 'attempts spent');
    assert.equal(grpcRetryable(p, 0, 1, true, false), false, 'OK');
    assert.equal(grpcRetryable(p, 13, 1, true, false), false, 'not listed');
    assert.equal(grpcRetryable(p, null, 1, true, false), false, 'no status');
    assert.equal(grpcRetryable(p, 14, 1, false, false), false, 'a streamed request already sent');
    assert.equal(grpcRetryable(p, 14, 1, true, true), false, 'deadline passed');
    assert.equal(grpcRetryable(null, 14, 1, true, false), false);
  });

  it('keeps a whole body up to the limit, nothing beyond it or before the end', () => {
    const small = new ReplayBuffer();
    small.add(Buffer.from('ab'));
    small.add('cd');
    assert.equal(small.body ?? 'none', 'none', 'not ended');
    small.end();
    assert.equal(small.body?.toString(), 'abcd');
    const big = new ReplayBuffer();
    big.add(Buffer.alloc(REPLAY_LIMIT_BYTES));
    big.add(Buffer.alloc(1));
    big.end();
    assert.equal(big.body, null);
  });
});

/** A gRPC-ish upstream: the first `failures` calls answer UNAVAILABLE (trailers-only), then OK with the request echoed. */
async function flakyUpstream(failures: number) {
  let calls = 0;
  const bodies: string[] = [];
  const server = createH2Server();
  server.on('stream', (stream: ServerHttp2Stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      calls++;
      bodies.push(Buffer.concat(chunks).toString());
      if (calls <= failures) {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'busy' },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    calls: () => calls,
    bodies,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

/** The proxy: an h2 server whose handler forwards with UpstreamCall over H2Client, as the listeners do. */
async function proxy(origin: string, retry: RetryPolicy) {
  const client = new H2Client(origin);
  const note = { grpcStatus: null as number | null };
  const front = createH2Server((req: Http2ServerRequest, res: Http2ServerResponse) => {
    new UpstreamCall(
      req,
      res,
      {
        upstream: { pick: () => ({ key: 'x', transport: client }) },
        method: 'POST',
        path: req.url,
        headers: ['content-type', 'application/grpc', 'te', 'trailers'],
        timeoutMs: 0,
        retry,
        responseHeaders: null,
        hasBody: true,
        grpc: note,
      },
      () => {},
      (r, err) => {
        r.writeHead(503, []);
        r.end(err.message);
      },
    ).start();
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  return { front, client, note, port: (front.address() as AddressInfo).port };
}

async function call(port: number, body: string) {
  const session = h2connect(`http://127.0.0.1:${port}`);
  try {
    const s = session.request({ ':method': 'POST', ':path': '/pkg.S/M', 'content-type': 'application/grpc' });
    s.end(body);
    const [headers] = (await once(s, 'response')) as [Record<string, string>];
    let trailers: Record<string, string> = {};
    s.on('trailers', (t) => (trailers = t));
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (text += c));
    await once(s, 'end');
    return { status: headers['grpc-status'] ?? trailers['grpc-status'], text };
  } finally {
    session.close();
  }
}

describe('retries on gRPC statuses through UpstreamCall', () => {
  it('an UNAVAILABLE trailers-only answer is retried with the same body, and the caller sees only the OK', async () => {
    const up = await flakyUpstream(2);
    const p = await proxy(up.origin, policy(2, [14]));
    try {
      const r = await call(p.port, 'hello');
      assert.equal(r.status, '0');
      assert.equal(r.text, 'hello');
      assert.equal(up.calls(), 3);
      assert.deepEqual(up.bodies, ['hello', 'hello', 'hello']);
      assert.equal(p.note.grpcStatus, 0);
    } finally {
      p.client.destroy();
      p.front.close();
      up.server.close();
    }
  });

  it('once the attempts are spent the last status goes back as it came', async () => {
    const up = await flakyUpstream(5);
    const p = await proxy(up.origin, policy(1, [14]));
    try {
      const r = await call(p.port, 'x');
      assert.equal(r.status, '14');
      assert.equal(up.calls(), 2);
    } finally {
      p.client.destroy();
      p.front.close();
      up.server.close();
    }
  });

  it('a status not listed is not retried', async () => {
    const up = await flakyUpstream(5);
    const p = await proxy(up.origin, policy(3, [8]));
    try {
      assert.equal((await call(p.port, 'x')).status, '14');
      assert.equal(up.calls(), 1);
    } finally {
      p.client.destroy();
      p.front.close();
      up.server.close();
    }
  });
});
