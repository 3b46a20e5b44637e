// Recording implementations of the telemetry seam (src/telemetry/types.ts),
// for unit tests of the steps that call it.
import type { ResponseFlags } from '../../src/errors.ts';
import { noopBalanceMetrics } from '../../src/telemetry/metrics/balance.ts';
import type {
  MeshMetrics,
  MeshTracing,
  RequestRecorder,
  SpanHandle,
  StaticRequestLabels,
} from '../../src/telemetry/types.ts';

export interface Recorded {
  labels: StaticRequestLabels;
  method: string;
  code: number;
  flags: ResponseFlags;
}

export function recordingMetrics() {
  const records: Recorded[] = [];
  const denied: Array<[string, string, string]> = [];
  let recordersMade = 0;
  const metrics: MeshMetrics = {
    recorder(labels): RequestRecorder {
      recordersMade++;
      return { record: (method, code, flags) => records.push({ labels, method, code, flags }) };
    },
    authzDenied: (p, d, m) => denied.push([p, d, m]),
    rateLimited: () => {},
    mirrorDropped: () => {},
    balance: noopBalanceMetrics,
    configReload: () => {},
    tlsHandshakeFailure: () => {},
    tcp: () => ({ opened: () => {}, bytes: () => {} }),
    tracingSpanDropped: () => {},
    render: async () => ({ contentType: 'text/plain', body: '' }),
  };
  return { metrics, records, denied, recordersMade: () => recordersMade };
}

export function recordingTracing() {
  const ended: Array<{ name: string; status: number; flags: ResponseFlags }> = [];
  const tracing: MeshTracing = {
    enabled: true,
    start(_kind, name): SpanHandle {
      return {
        traceId: 't1',
        inject: () => {},
        setAttribute: () => {},
        end: (status, flags) => ended.push({ name, status, flags }),
      };
    },
    configure: () => {},
    shutdown: async () => {},
  };
  return { tracing, ended };
}

export function recordingLog() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  const log = {
    info: at('info'),
    warn: at('warn'),
    debug: at('debug'),
    error: at('error'),
    isLevelEnabled: () => false,
  };
  return { log: log as unknown as import('../../src/telemetry/log.ts').Logger, lines };
}
