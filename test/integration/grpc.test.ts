// Real gRPC (grpc-js) through two sidecars with mTLS: the caller's grpc-js
// client speaks h2c to its sidecar's outbound port, the sidecars talk HTTP/2
// over mTLS (ALPN h2), and the callee's sidecar speaks h2c to the echo
// server. Two callee sidecars serve versions v1 and v2 of `echo`.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type EchoServer,
  type EchoTestClient,
  echoClient,
  grpc,
  type Msg,
  startEchoServer,
} from '../helpers/grpc.ts';
import { tempDir } from '../helpers/mesh.ts';
import {
  fqdn,
  freePort,
  type MeshSidecar,
  metricSum,
  spiffe,
  startMeshSidecar,
  stopMesh,
  TestPki,
  waitFor,
} from '../helpers/mtls.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

const STREAM_MESSAGES = 100_000;
const BIDI_ROUND_TRIPS = 10_000;
const CLIENT_STREAM_MB = 200;
const SPLIT_CALLS = 2_000;

const ECHO = '/meshlet.test.v1.Echo';

/** Resident set size of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb === null ? 0 : Number(kb[1]) * 1024;
}

describe('gRPC through two sidecars with mTLS', () => {
  let pki: TestPki;
  let cmDir: string;
  const apps: Record<string, EchoServer> = {};
  const sidecars: Record<string, MeshSidecar> = {};
  let client: EchoTestClient;
  let collector: OtlpReceiver;

  before(async () => {
    pki = await TestPki.create();
    cmDir = tempDir('meshlet-grpc-');
    collector = await startOtlpReceiver();
    apps.v1 = await startEchoServer();
    apps.v2 = await startEchoServer();
    const inbound = { client: await freePort(), v1: await freePort(), v2: await freePort() };
    const down = await freePort();
    const configFile = join(cmDir, 'mesh.yaml');
    writeFileSync(
      configFile,
      `trustDomain: cluster.local
mtls: strict
tracing: { sampling: 0, otlpEndpoint: ${collector.url} }
services:
  client:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${inbound.client} } }
  echo:
    port: 50051
    protocol: grpc
    versions:
      v1: { host: 127.0.0.1, port: ${inbound.v1} }
      v2: { host: 127.0.0.1, port: ${inbound.v2} }
      down: { host: 127.0.0.1, port: ${down} }
    routes:
      - name: down
        match: { headers: { x-down: { exact: "1" } } }
        split: { down: 100 }
      - name: split
        split: { v1: 80, v2: 20 }
    allow:
      - from: [client]
        paths: [${ECHO}/Unary, ${ECHO}/ServerStream, ${ECHO}/ClientStream, ${ECHO}/Bidi, ${ECHO}/Hang, ${ECHO}/Fail]
`,
    );
    const clientTls = pki.mount('client', await pki.svid('client'));
    const echoTls = pki.mount('echo', await pki.svid('echo'));
    const [c, v1, v2] = await Promise.all([
      startMeshSidecar({
        service: 'client',
        inbound: inbound.client,
        configFile,
        tlsDir: clientTls.dir,
        appPort: await freePort(),
        env: { MESHLET_LOG_LEVEL: 'info', MESHLET_ACCESS_LOG: '0' },
      }),
      startMeshSidecar({
        service: 'echo',
        inbound: inbound.v1,
        configFile,
        tlsDir: echoTls.dir,
        appPort: apps.v1.port,
        env: { MESHLET_LOG_LEVEL: 'info', MESHLET_ACCESS_LOG: '0' },
      }),
      startMeshSidecar({
        service: 'echo',
        inbound: inbound.v2,
        configFile,
        tlsDir: echoTls.dir,
        appPort: apps.v2.port,
        env: { MESHLET_VERSION: 'v2', MESHLET_LOG_LEVEL: 'info', MESHLET_ACCESS_LOG: '0' },
      }),
    ]);
    Object.assign(sidecars, { client: c, v1, v2 });
    client = echoClient(`127.0.0.1:${c!.outbound}`, 'echo');
  });

  after(async () => {
    client?.close();
    await collector?.close();
    await stopMesh({ sidecars, apps, pki, configDir: cmDir });
  });

  it(`splits ${SPLIT_CALLS} unary calls 80/20 between v1 and v2 (chi-square), each echoed with its trailers`, async () => {
    const counts: Record<string, number> = {};
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < SPLIT_CALLS) {
        const seq = next++;
        const version = await new Promise<string>((resolve, reject) => {
          let header = '';
          const call = client.raw.Unary({ text: `hi ${seq}`, seq }, new grpc.Metadata(), {}, (err, value) => {
            if (err) return reject(err);
            assert.equal(value!.seq, seq);
            assert.equal(value!.text, `hi ${seq}`);
            resolve(header);
          });
          call.on('metadata', (md: grpc.Metadata) => {
            header = String(md.get('x-meshlet-upstream-version')[0] ?? '');
          });
        });
        counts[version] = (counts[version] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.deepEqual(Object.keys(counts).sort(), ['v1', 'v2'], JSON.stringify(counts));
    const expected = { v1: SPLIT_CALLS * 0.8, v2: SPLIT_CALLS * 0.2 };
    const chi2 =
      (counts.v1! - expected.v1) ** 2 / expected.v1 + (counts.v2! - expected.v2) ** 2 / expected.v2;
    // One degree of freedom, p = 0.001.
    assert.ok(chi2 < 10.83, `chi-square ${chi2.toFixed(2)} for ${JSON.stringify(counts)}`);
    // Trailing metadata from the app arrives through both sidecars.
    const one = await client.unary({ text: 't', seq: 1 });
    assert.equal(String(one.trailers.get('x-echo-trailer')[0]), 'seen');
  });

  it(`carries a server stream of ${STREAM_MESSAGES} messages intact and in order`, async () => {
    const got = await client.serverStream(STREAM_MESSAGES, 16);
    assert.equal(got.length, STREAM_MESSAGES);
    for (let i = 0; i < got.length; i++) {
      if (got[i]!.seq !== i) assert.fail(`message ${i} has seq ${got[i]!.seq}`);
    }
    assert.ok(got.every((m) => m.payload.length === 16));
  });

  it(`echoes ${BIDI_ROUND_TRIPS} bidi round trips in order`, async () => {
    const call = client.raw.Bidi();
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: Msg) => {
        if (m.seq !== received) reject(new Error(`round trip ${received} answered with ${m.seq}`));
        received++;
        if (received < BIDI_ROUND_TRIPS) call.write({ text: 'ping', seq: received });
        else call.end();
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    call.write({ text: 'ping', seq: 0 });
    await done;
    assert.equal(received, BIDI_ROUND_TRIPS);
  });

  it(`passes a client stream of ${CLIENT_STREAM_MB} MB with the sidecars' memory bounded`, async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const count = (CLIENT_STREAM_MB * 1024 * 1024) / chunk.length;
    const pids = [sidecars.client!.proc.pid!, sidecars.v1!.proc.pid!, sidecars.v2!.proc.pid!];
    const before = pids.map(rssOf);
    let peak = before.slice();
    const sampler = setInterval(() => {
      peak = pids.map((p, i) => Math.max(peak[i]!, rssOf(p)));
    }, 100);
    try {
      const summary = await client.clientStream(
        (function* () {
          for (let seq = 0; seq < count; seq++) yield { seq, payload: chunk };
        })(),
      );
      assert.equal(summary.count, count);
      assert.equal(Number(summary.bytes), count * chunk.length);
      assert.equal(summary.lastSeq, count - 1);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak.map((p, i) => p - before[i]!);
    console.log(
      `client stream ${CLIENT_STREAM_MB} MB: sidecar RSS growth ${growth.map((g) => (g / 1048576).toFixed(1)).join(' / ')} MB`,
    );
    for (const g of growth) assert.ok(g < 50 * 1024 * 1024, `RSS grew by ${(g / 1048576).toFixed(1)} MB`);
  });

  it('a 100 ms deadline on a slow method is DEADLINE_EXCEEDED at the client and a cancelled call at the server', async () => {
    const before = apps.v1!.cancelled.length + apps.v2!.cancelled.length;
    const started = performance.now();
    const err = await client.hang(100);
    const took = performance.now() - started;
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED, err.message);
    assert.ok(took < 2000, `took ${took} ms`);
    await waitFor('the server sees the call cancelled', async () =>
      apps.v1!.cancelled.length + apps.v2!.cancelled.length > before ? true : undefined,
    );
    assert.ok([...apps.v1!.cancelled, ...apps.v2!.cancelled].includes('Hang'));
  });

  it('the sidecars apply grpc-timeout themselves: DEADLINE_EXCEEDED with x-meshlet-error UT', async () => {
    // A raw h2 client sends grpc-timeout but does not enforce it: the answer must come from the sidecar.
    const { connect } = await import('node:http2');
    const session = connect(`http://127.0.0.1:${sidecars.client!.outbound}`);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': `${ECHO}/Hang`,
        ':authority': 'echo',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '150m',
      });
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      const [headers] = (await once(stream, 'response')) as [Record<string, string>];
      stream.resume();
      await once(stream, 'end');
      assert.equal(headers[':status'], 200);
      assert.equal(headers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED));
      assert.equal(headers['x-meshlet-error'], 'UT');
    } finally {
      session.close();
    }
  });

  it('a client cancel mid-stream reaches the server', async () => {
    const before =
      apps.v1!.cancelled.filter((m) => m === 'ServerStream').length +
      apps.v2!.cancelled.filter((m) => m === 'ServerStream').length;
    const call = client.raw.ServerStream({ count: 10_000_000, size: 1024 });
    let seen = 0;
    call.on('error', () => {});
    await new Promise<void>((resolve) => {
      call.on('data', () => {
        if (++seen === 100) {
          call.cancel();
          resolve();
        }
      });
    });
    await waitFor('the server sees the stream cancelled', async () => {
      const now =
        apps.v1!.cancelled.filter((m) => m === 'ServerStream').length +
        apps.v2!.cancelled.filter((m) => m === 'ServerStream').length;
      return now > before ? true : undefined;
    });
  });

  it('a version that is down is UNAVAILABLE with x-meshlet-error UF', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('x-down', '1');
      client.raw.Unary({ text: 'x' }, md, {}, (e) => (e ? resolve(e) : reject(new Error('answered'))));
    });
    assert.equal(err.code, grpc.status.UNAVAILABLE, err.message);
    assert.equal(String(err.metadata.get('x-meshlet-error')[0]), 'UF');
  });

  // Had it reached the app, grpc-js there would have said UNIMPLEMENTED.
  it('a method the allow rules do not list is PERMISSION_DENIED from the callee sidecar, flagged RBAC', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.raw.makeUnaryRequest(
        `${ECHO}/Secret`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new grpc.Metadata(),
        {},
        (e) => (e ? resolve(e) : reject(new Error('answered'))),
      ),
    );
    assert.equal(err.code, grpc.status.PERMISSION_DENIED, err.message);
    assert.equal(String(err.metadata.get('x-meshlet-error')[0]), 'RBAC');
  });

  it("the app's own status and message pass through both sidecars as sent", async () => {
    const err = await client.fail(grpc.status.NOT_FOUND, 'no such thing: ü');
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.equal(err.details, 'no such thing: ü');
    assert.equal(err.metadata.get('x-meshlet-error').length, 0, 'not a proxy error');
  });

  it('the trace of a call has a client and a server span with the rpc.* attributes and its status', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const md = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
    await client.unary({ text: 'traced' }, { metadata: md });
    const failed = 'a3ce929d0e0e47364bf92f3577b34da6';
    await new Promise<void>((resolve) => {
      const m = new grpc.Metadata();
      m.set('traceparent', `00-${failed}-00f067aa0ba902b7-01`);
      client.raw.Fail({ seq: grpc.status.NOT_FOUND, text: 'x' }, m, {}, () => resolve());
    });
    await collector.waitForSpans(4, 15_000);
    const spansOf = (id: string) => collector.spans.filter((x) => x.traceId === id);
    await waitFor('both traces whole', async () =>
      spansOf(traceId).length >= 2 && spansOf(failed).length >= 2 ? true : undefined,
    );
    const ok = spansOf(traceId);
    assert.deepEqual(ok.map((x) => x.kind).sort(), ['client', 'server']);
    for (const span of ok) {
      assert.equal(span.attributes['rpc.system'], 'grpc');
      assert.equal(span.attributes['rpc.service'], 'meshlet.test.v1.Echo');
      assert.equal(span.attributes['rpc.method'], 'Unary');
      assert.equal(span.attributes['rpc.grpc.status_code'], 0);
    }
    const server = ok.find((x) => x.kind === 'server')!;
    const clientSpan = ok.find((x) => x.kind === 'client')!;
    assert.equal(server.parentSpanId, clientSpan.spanId, 'one trace across both sidecars');
    for (const span of spansOf(failed)) {
      assert.equal(span.attributes['rpc.method'], 'Fail');
      assert.equal(span.attributes['rpc.grpc.status_code'], grpc.status.NOT_FOUND);
    }
  });

  it('metrics on both sides show the calls with request_protocol="grpc" and grpc_response_status', async () => {
    const source = {
      reporter: 'source',
      destination_service: fqdn('echo'),
      request_protocol: 'grpc',
    };
    await waitFor('source-side OK series', async () =>
      (await metricSum(sidecars.client!, 'meshlet_requests_total', {
        ...source,
        grpc_response_status: '0',
      })) >= SPLIT_CALLS
        ? true
        : undefined,
    );
    assert.ok(
      (await metricSum(sidecars.client!, 'meshlet_requests_total', {
        ...source,
        grpc_response_status: '14',
        response_flags: 'UF',
      })) >= 1,
    );
    assert.ok(
      (await metricSum(sidecars.client!, 'meshlet_requests_total', {
        ...source,
        grpc_response_status: '7',
      })) >= 1,
      'the denial as the caller saw it',
    );
    assert.ok(
      (await metricSum(sidecars.client!, 'meshlet_requests_total', {
        ...source,
        grpc_response_status: '5',
        response_code: '200',
      })) >= 1,
      "the app's NOT_FOUND, over an HTTP 200",
    );
    const destination = {
      reporter: 'destination',
      request_protocol: 'grpc',
      source_principal: spiffe('client'),
    };
    const served =
      (await metricSum(sidecars.v1!, 'meshlet_requests_total', {
        ...destination,
        grpc_response_status: '0',
      })) +
      (await metricSum(sidecars.v2!, 'meshlet_requests_total', {
        ...destination,
        grpc_response_status: '0',
      }));
    assert.ok(served >= SPLIT_CALLS, `destination side counted ${served} OK calls`);
    const denied =
      (await metricSum(sidecars.v1!, 'meshlet_requests_total', {
        ...destination,
        grpc_response_status: '7',
        response_flags: 'RBAC',
      })) +
      (await metricSum(sidecars.v2!, 'meshlet_requests_total', {
        ...destination,
        grpc_response_status: '7',
        response_flags: 'RBAC',
      }));
    assert.ok(denied >= 1, 'the denial on the destination side');
  });
});
