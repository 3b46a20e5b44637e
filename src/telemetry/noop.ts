// Telemetry that records nothing: used when metrics or tracing are turned off.
import { noopBalanceMetrics } from './metrics/balance.ts';
import type { MeshMetrics, MeshTracing, RequestRecorder } from './types.ts';

const noopRecorder: RequestRecorder = { record() {} };

export const noopMetrics: MeshMetrics = {
  recorder: () => noopRecorder,
  balance: noopBalanceMetrics,
  authzDenied() {},
  rateLimited() {},
  mirrorDropped() {},
  configReload() {},
  tlsHandshakeFailure() {},
  tcp: () => ({ opened() {}, bytes() {} }),
  tracingSpanDropped() {},
  render: async () => ({ contentType: 'text/plain; version=0.0.4', body: '' }),
};

export const noopTracing: MeshTracing = {
  enabled: false,
  start: () => null,
  configure() {},
  shutdown: async () => {},
};
