// Shapes of mesh.yaml as written by the user (Raw*), and of the compiled,
// immutable snapshot the request path reads (everything else). See
// config/mesh.schema.json for the validated form and docs/configuration.md for the meaning.
import type { CompiledAllow } from '../authz/types.ts';
import type { BalancePolicy } from '../balance/endpoint-set.ts';
import type { GuardPolicy } from '../balance/guard.ts';
import type { EndpointAddress } from '../discovery/address.ts';
import type { RawQueryMatch } from '../policy/query.ts';
import type { CompiledRateLimit, RawRateLimit } from '../policy/rate-limit.ts';
import type { RawRoutePolicy, RoutePolicy } from '../policy/route-policy.ts';

export type MtlsMode = 'strict' | 'permissive' | 'disable';

export interface RawStringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}
export interface RawHeaderMatch extends RawStringMatch {
  present?: boolean;
}
/** Traffic-policy options (fault, mirror, headers, redirect, rewrite): see docs/configuration.md. */
type RawPolicyOptions = Omit<RawRoutePolicy, 'match'>;
export interface RawRoute extends RawPolicyOptions {
  name?: string;
  match?: {
    headers?: Record<string, RawHeaderMatch>;
    path?: RawStringMatch;
    method?: string | string[];
    query?: RawQueryMatch;
    /** A gRPC service, and optionally one of its methods (docs/configuration.md). */
    grpc?: { service: string; method?: string };
  };
  /** Absent only on a route that redirects. */
  split?: Record<string, number>;
  sticky?: { header?: string; cookie?: string };
  timeout?: string;
  guard?: RawGuard;
}
export interface RawGuard {
  baseline: string;
  maxErrorRate?: number;
  maxLatencyP99?: string;
  window?: string;
  minRequests?: number;
}
export interface RawAllowRule {
  from: string[];
  methods?: string[];
  paths?: string[];
}
export interface RawService extends RawPolicyOptions {
  namespace?: string;
  serviceAccount?: string;
  port?: number;
  mtls?: MtlsMode;
  protocol?: 'http' | 'http2' | 'grpc';
  versions?: Record<string, { host?: string; port?: number; endpoints?: string[] }>;
  loadBalancer?: 'peak-ewma' | 'round-robin' | 'least-request';
  outlierDetection?:
    | boolean
    | {
        consecutiveGatewayFailures?: number;
        baseEjectionTime?: string;
        maxEjectionTime?: string;
        maxEjectionPercent?: number;
      };
  circuitBreaker?: { maxConnections?: number; maxPendingRequests?: number; maxRequests?: number };
  retryBudget?: { ratio?: number; minRetriesPerSecond?: number };
  timeout?: string;
  streamIdleTimeout?: string;
  retries?: { attempts: number; on?: Array<string | number>; perTryTimeout?: string };
  routes?: RawRoute[];
  allowMode?: 'enforce' | 'audit';
  allow?: RawAllowRule[];
  rateLimit?: RawRateLimit;
}
export interface RawMesh {
  trustDomain?: string;
  mtls?: MtlsMode;
  outboundTrafficPolicy?: 'allowAny' | 'registryOnly';
  upstreamIdleTimeout?: string;
  streamIdleTimeout?: string;
  accessLog?: { enabled?: boolean; format?: 'json' | 'text' };
  tracing?: { sampling?: number; otlpEndpoint?: string };
  services?: Record<string, RawService>;
}

/** Who this sidecar is: from the MESHLET_* environment set by the injector. */
export interface SidecarIdentity {
  service: string;
  /** The workload (Deployment, StatefulSet, ...) name for metric labels; defaults to the service. */
  workload: string;
  namespace: string;
  version: string;
  serviceAccount: string;
}

/** One backend a route can send to: a version of a service. */
export interface VersionTarget {
  readonly name: string;
  /** A DNS name or an IP address, IPv6 without brackets: what net.connect and tls.connect take. */
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (`http://[::1]:port` for IPv6), the key of the upstream pool. */
  readonly origin: string;
  /** `['x-meshlet-upstream-version', name]`, built once for every response it serves. */
  readonly responseHeader: readonly string[];
  /** `endpoints:` from the config; null: the endpoints come from looking up `host` (docs/configuration.md). */
  readonly endpoints: readonly EndpointAddress[] | null;
}

export type StringMatcher = (value: string) => boolean;

export interface CompiledRoute {
  readonly name: string;
  readonly index: number;
  /** Header name (lower case) → matcher; `undefined` value means "must be absent". */
  readonly headers: ReadonlyArray<{
    readonly name: string;
    readonly test: StringMatcher | null;
    readonly present: boolean;
  }>;
  readonly path: StringMatcher | null;
  readonly methods: ReadonlySet<string> | null;
  /** Versions with positive weight, and their cumulative weights (last = total). */
  readonly targets: readonly VersionTarget[];
  readonly cumulative: readonly number[];
  readonly totalWeight: number;
  readonly sticky: { readonly header?: string; readonly cookie?: string } | null;
  readonly timeoutMs: number;
  /** Fault, mirror, headers, redirect, rewrite and query match, over the service's defaults. */
  readonly policy: RoutePolicy;
  /** The route's canary guard; null: none. */
  readonly guard: GuardPolicy | null;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly onConnectFailure: boolean;
  readonly onReset: boolean;
  /** Upstream status codes that trigger a retry. */
  readonly statuses: ReadonlySet<number>;
  /** gRPC status codes (from grpc-status) that trigger a retry of a gRPC call; absent: none. */
  readonly grpcStatuses?: ReadonlySet<number>;
  readonly perTryTimeoutMs: number;
}

export interface CompiledService {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` */
  readonly spiffeId: string;
  /** `<name>.<namespace>.svc.cluster.local` */
  readonly fqdn: string;
  readonly port: number;
  readonly mtls: MtlsMode;
  /** How the app speaks (`http` = HTTP/1.1); the sidecars talk to it, and to each other for it, the same way. */
  readonly protocol: 'http' | 'http2' | 'grpc';
  readonly versions: ReadonlyMap<string, VersionTarget>;
  readonly routes: readonly CompiledRoute[];
  readonly timeoutMs: number;
  /** Longest wait for the next byte of a request or response body; 0 = never. */
  readonly streamIdleTimeoutMs: number;
  readonly retry: RetryPolicy | null;
  /** Endpoint choice, outlier detection, circuit breaker and retry budget of every version. */
  readonly balance: BalancePolicy;
  /** null: no `allow` key, anyone may call. */
  readonly allow: CompiledAllow | null;
  /** Enforced by this service's own sidecar; null when the service sets none. */
  readonly rateLimit: CompiledRateLimit | null;
}

export interface CompiledMesh {
  readonly hash: string;
  readonly source: string;
  readonly loadedAt: Date;
  readonly raw: RawMesh;
  readonly trustDomain: string;
  readonly mtls: MtlsMode;
  readonly outboundTrafficPolicy: 'allowAny' | 'registryOnly';
  readonly upstreamIdleTimeoutMs: number;
  /** Mesh-wide default of CompiledService.streamIdleTimeoutMs, for hosts outside the registry. */
  readonly streamIdleTimeoutMs: number;
  readonly tracing: { readonly sampling: number; readonly otlpEndpoint: string | null };
  /** The access log's setting (MESHLET_ACCESS_LOG=1 can still turn it on). */
  readonly accessLog: { readonly enabled: boolean; readonly format: 'json' | 'text' };
  /** Every accepted spelling of a service host (with and without port) → service. */
  readonly hosts: ReadonlyMap<string, CompiledService>;
  readonly services: ReadonlyMap<string, CompiledService>;
  readonly self: SidecarIdentity;
  /** This pod's own policy, decided once per config load instead of per request. */
  readonly pod: PodPolicy;
}

export interface PodPolicy {
  /** The registry entry of the service this sidecar fronts; null when it is not listed. */
  readonly service: CompiledService | null;
  /** The mTLS mode inbound traffic gets: the service's own, else the mesh-wide one. */
  readonly mtls: MtlsMode;
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` of this pod. */
  readonly spiffeId: string;
  /** Whether any traffic, in or out, may use mTLS, so certificates are worth waiting for. */
  readonly needsCertificates: boolean;
}

/** A config problem with its position in the file (line and col from 1; 0 when the file could not be read). */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}
