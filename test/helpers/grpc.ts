// Real gRPC (grpc-js + proto-loader) on test/fixtures/grpc/echo.proto: a server
// for the four call kinds that records what it saw (cancellations above all),
// and a client with promise helpers.
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO = join(import.meta.dirname, '..', 'fixtures', 'grpc', 'echo.proto');

export interface Msg {
  text: string;
  seq: number;
  payload: Buffer;
}
export interface StreamRequest {
  count: number;
  size: number;
}
export interface Summary {
  count: number;
  bytes: string;
  lastSeq: number;
}

type EchoClient = grpc.Client & {
  Unary(
    req: Partial<Msg>,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<Msg>,
  ): grpc.ClientUnaryCall;
  Hang(
    req: Partial<Msg>,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<Msg>,
  ): grpc.ClientUnaryCall;
  Fail(
    req: Partial<Msg>,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<Msg>,
  ): grpc.ClientUnaryCall;
  ServerStream(
    req: Partial<StreamRequest>,
    md?: grpc.Metadata,
    opts?: grpc.CallOptions,
  ): grpc.ClientReadableStream<Msg>;
  ClientStream(
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<Summary>,
  ): grpc.ClientWritableStream<Partial<Msg>>;
  Bidi(md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<Partial<Msg>, Msg>;
};

function loadEcho(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(PROTO, { longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    meshlet: { test: { v1: { Echo: grpc.ServiceClientConstructor } } };
  };
  return pkg.meshlet.test.v1.Echo;
}

export interface EchoServer {
  readonly port: number;
  readonly address: string;
  /** 'cancelled' (method name) whenever a call ends by cancellation or deadline on the server side. */
  readonly events: EventEmitter;
  /** Method names of calls that were cancelled, in order. */
  readonly cancelled: string[];
  close(): Promise<void>;
}

/** Starts the echo server on 127.0.0.1 (plaintext h2c). Unary replies carry trailing metadata `x-echo-trailer: seen`. */
export async function startEchoServer(): Promise<EchoServer> {
  const Echo = loadEcho();
  const server = new grpc.Server();
  const events = new EventEmitter();
  const cancelled: string[] = [];
  const onCancel = (method: string, call: { on(e: 'cancelled', l: () => void): unknown }): void => {
    call.on('cancelled', () => {
      cancelled.push(method);
      events.emit('cancelled', method);
    });
  };
  server.addService(Echo.service, {
    Unary(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      const trailer = new grpc.Metadata();
      trailer.set('x-echo-trailer', 'seen');
      const seen = call.metadata.get('x-test');
      cb(
        null,
        { ...call.request, text: `${call.request.text}${seen.length > 0 ? `|${String(seen[0])}` : ''}` },
        trailer,
      );
    },
    Hang(call: grpc.ServerUnaryCall<Msg, Msg>) {
      onCancel('Hang', call);
    },
    Fail(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      cb({ code: call.request.seq, details: call.request.text });
    },
    ServerStream(call: grpc.ServerWritableStream<StreamRequest, Msg>) {
      onCancel('ServerStream', call);
      const { count, size } = call.request;
      const payload = Buffer.alloc(size, 0x61);
      let seq = 0;
      const pump = (): void => {
        while (seq < count && !call.cancelled) {
          if (!call.write({ text: '', seq: seq++, payload })) {
            call.once('drain', pump);
            return;
          }
        }
        if (!call.cancelled) call.end();
      };
      pump();
    },
    ClientStream(call: grpc.ServerReadableStream<Msg, Summary>, cb: grpc.sendUnaryData<Summary>) {
      onCancel('ClientStream', call);
      let count = 0;
      let bytes = 0;
      let lastSeq = -1;
      call.on('data', (m: Msg) => {
        count++;
        bytes += m.payload.length;
        lastSeq = m.seq;
      });
      call.on('end', () => cb(null, { count, bytes: String(bytes), lastSeq }));
    },
    Bidi(call: grpc.ServerDuplexStream<Msg, Msg>) {
      onCancel('Bidi', call);
      call.on('data', (m: Msg) => call.write(m));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    events,
    cancelled,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

export interface CallResult<T> {
  value: T;
  trailers: grpc.Metadata;
}

export interface EchoTestClient {
  readonly raw: EchoClient;
  unary(
    req: Partial<Msg>,
    opts?: { deadlineMs?: number; metadata?: Record<string, string> },
  ): Promise<CallResult<Msg>>;
  hang(deadlineMs: number): Promise<grpc.ServiceError>;
  fail(code: number, text: string): Promise<grpc.ServiceError>;
  serverStream(count: number, size?: number): Promise<Msg[]>;
  clientStream(messages: Iterable<Partial<Msg>>): Promise<Summary>;
  close(): void;
}

/**
 * A plaintext grpc-js client for the echo service at `address` (host:port).
 * `authority` sets `:authority` (a sidecar's outbound port routes by it).
 */
export function echoClient(address: string, authority?: string): EchoTestClient {
  const Echo = loadEcho();
  const options: grpc.ChannelOptions = authority === undefined ? {} : { 'grpc.default_authority': authority };
  const raw = new Echo(address, grpc.credentials.createInsecure(), options) as unknown as EchoClient;
  const deadline = (ms: number | undefined): grpc.CallOptions =>
    ms === undefined ? {} : { deadline: Date.now() + ms };
  return {
    raw,
    unary(req, opts = {}) {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
      return new Promise((resolve, reject) => {
        let trailers = new grpc.Metadata();
        const call = raw.Unary(req, md, deadline(opts.deadlineMs), (err, value) =>
          err ? reject(err) : setImmediate(() => resolve({ value: value!, trailers })),
        );
        call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
      });
    },
    hang(deadlineMs) {
      return new Promise((resolve, reject) =>
        raw.Hang({}, new grpc.Metadata(), deadline(deadlineMs), (err) =>
          err ? resolve(err) : reject(new Error('Hang answered')),
        ),
      );
    },
    fail(code, text) {
      return new Promise((resolve, reject) =>
        raw.Fail({ seq: code, text }, new grpc.Metadata(), {}, (err) =>
          err ? resolve(err) : reject(new Error('Fail answered')),
        ),
      );
    },
    async serverStream(count, size = 8) {
      const out: Msg[] = [];
      const call = raw.ServerStream({ count, size });
      call.on('data', (m: Msg) => out.push(m));
      await once(call, 'end');
      return out;
    },
    clientStream(messages) {
      return new Promise((resolve, reject) => {
        const call = raw.ClientStream(new grpc.Metadata(), {}, (err, value) =>
          err ? reject(err) : resolve(value!),
        );
        void (async () => {
          for (const m of messages) if (!call.write(m)) await once(call, 'drain');
          call.end();
        })();
      });
    },
    close: () => raw.close(),
  };
}

export { grpc };
