// What the listeners share: the published config, upstream pools, telemetry,
// the pod's identity and the drain state. Built once by `meshlet run`.
import type { Balancing } from './balance/wiring.ts';
import type { ConfigStore } from './config/store.ts';
import type { SidecarIdentity } from './config/types.ts';
import type { UpstreamPools } from './forward/pools.ts';
import type { RandomSource } from './route/pick.ts';
import type { AccessLog } from './telemetry/access-log.ts';
import type { Logger } from './telemetry/log.ts';
import type { MeshMetrics, MeshTracing } from './telemetry/types.ts';

export interface Limits {
  /** Request header block limit (431 above it). */
  readonly maxHeaderBytes: number;
  /** Time a client has to send its complete request headers (408 after it). */
  readonly headersTimeoutMs: number;
  /** Idle keep-alive time for downstream connections. */
  readonly keepAliveTimeoutMs: number;
}

export interface Sidecar {
  /** tls.connect options to reach a workload with this SPIFFE ID over mesh mTLS (HTTP upgrades). */
  readonly meshTls: (expectedSpiffeId: string) => import('node:tls').ConnectionOptions;
  readonly config: ConfigStore;
  readonly pools: UpstreamPools;
  /** Endpoint sets, DNS discovery and canary guards, following the published config. */
  readonly balancing: Balancing;
  readonly metrics: MeshMetrics;
  readonly tracing: MeshTracing;
  readonly log: Logger;
  readonly random: RandomSource;
  readonly self: SidecarIdentity;
  readonly limits: Limits;
  /** Port of the local app, for the inbound side. */
  readonly appPort: number;
  /** On/off and format from mesh.yaml's `accessLog:` or MESHLET_ACCESS_LOG=1 (docs/observability.md). */
  readonly accessLog: AccessLog;
  /** Set once SIGTERM or /quitquitquit arrives. */
  draining: boolean;
  /** Requests accepted and not yet finished, across listeners. */
  inFlight: number;
}
