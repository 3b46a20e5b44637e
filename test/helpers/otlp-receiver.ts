// An in-process OTLP/HTTP trace collector for tests: it decodes each export
// request's protobuf body with the official OpenTelemetry .proto files
// (test/helpers/proto/), so tests check what Jaeger would actually ingest.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const PROTO_DIR = join(import.meta.dirname, 'proto');

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
const ExportRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const ExportResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  attributes: Record<string, AttributeValue>;
  status: { code: 'unset' | 'ok' | 'error'; message: string };
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Resource attributes of the batch the span came in (service.name, ...). */
  resource: Record<string, AttributeValue>;
  scope: string;
}

export interface OtlpReceiver {
  /** Full endpoint URL for `tracing.otlpEndpoint`, ending in /v1/traces. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Export requests received, decoded or not. */
  readonly requests: number;
  /** Resolves once at least `count` spans arrived; rejects after `timeoutMs`. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

const KINDS: ReceivedSpan['kind'][] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS: ReceivedSpan['status']['code'][] = ['unset', 'ok', 'error'];

interface AnyValueMsg {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueMsg[] };
}
interface KeyValueMsg {
  key: string;
  value?: AnyValueMsg;
}

function anyValue(v: AnyValueMsg | undefined): AttributeValue {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
  return null;
}

function attributes(list: KeyValueMsg[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? '' : Buffer.from(b).toString('hex'));

/** Decodes one ExportTraceServiceRequest body into flat spans. */
export function decodeExportRequest(body: Uint8Array): ReceivedSpan[] {
  const msg = ExportRequest.toObject(ExportRequest.decode(body), {
    longs: String,
    enums: Number,
    defaults: false,
    oneofs: false,
  }) as {
    resourceSpans?: {
      resource?: { attributes?: KeyValueMsg[] };
      scopeSpans?: {
        scope?: { name?: string };
        spans?: {
          traceId?: Uint8Array;
          spanId?: Uint8Array;
          parentSpanId?: Uint8Array;
          traceState?: string;
          name?: string;
          kind?: number;
          attributes?: KeyValueMsg[];
          status?: { code?: number; message?: string };
          startTimeUnixNano?: string;
          endTimeUnixNano?: string;
        }[];
      }[];
    }[];
  };
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name ?? '',
          kind: KINDS[s.kind ?? 0] ?? 'unspecified',
          attributes: attributes(s.attributes),
          status: { code: STATUS[s.status?.code ?? 0] ?? 'unset', message: s.status?.message ?? '' },
          startTimeUnixNano: BigInt(s.startTimeUnixNano ?? '0'),
          endTimeUnixNano: BigInt(s.endTimeUnixNano ?? '0'),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

/** Starts the receiver on 127.0.0.1 with an ephemeral port. `status` forces an HTTP error reply. */
export async function startOtlpReceiver(opts: { status?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  const waiters = new Set<() => void>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      if (opts.status !== undefined) {
        res.writeHead(opts.status).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      try {
        spans.push(...decodeExportRequest(body));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      for (const wake of waiters) wake();
      const reply = ExportResponse.encode(ExportResponse.create({})).finish();
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    get requests() {
      return requests;
    },
    waitForSpans(count, timeoutMs = 10_000) {
      if (spans.length >= count) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (spans.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`OTLP receiver: ${spans.length} of ${count} spans after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
