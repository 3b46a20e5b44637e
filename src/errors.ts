// The one error table: every response flag the proxy sets, with its HTTP
// status, its gRPC status and its description. Layers throw or pass a
// ProxyError; the rescue step (listener/rescue.ts) writes the reply from this
// table, and the record step (telemetry/observe.ts) labels metrics, spans and
// the access log from it. Nothing else decides an error status. See
// docs/architecture.md ("Errors").

/** gRPC status names used by the table (the HTTP/2 work answers gRPC callers with them). */
export type GrpcStatus =
  | 'CANCELLED'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE';

export interface FlagSpec {
  /** HTTP status of the proxy's own reply (or, for DC, the status recorded). */
  readonly status: number;
  /** gRPC status a gRPC caller gets for it. */
  readonly grpc: GrpcStatus;
  /** The `error` field of the JSON body, and the description in docs. */
  readonly title: string;
  /** `reply`: the proxy answers itself; `marks`: a served response is labelled; `record`: metrics and logs only. */
  readonly kind: 'reply' | 'marks' | 'record';
}

export const FLAGS = {
  NR: { status: 404, grpc: 'UNIMPLEMENTED', title: 'no route', kind: 'reply' },
  UH: { status: 503, grpc: 'UNAVAILABLE', title: 'no healthy upstream', kind: 'reply' },
  UF: { status: 503, grpc: 'UNAVAILABLE', title: 'upstream connect failure', kind: 'reply' },
  UC: { status: 503, grpc: 'UNAVAILABLE', title: 'upstream connection reset', kind: 'reply' },
  UT: { status: 504, grpc: 'DEADLINE_EXCEEDED', title: 'upstream timeout', kind: 'reply' },
  URX: { status: 503, grpc: 'UNAVAILABLE', title: 'retries exhausted', kind: 'reply' },
  UO: { status: 503, grpc: 'UNAVAILABLE', title: 'upstream overflow (circuit breaker)', kind: 'reply' },
  RL: { status: 429, grpc: 'RESOURCE_EXHAUSTED', title: 'rate limited', kind: 'reply' },
  // FI answers with the status the route's fault configures; 503 when none is given.
  FI: { status: 503, grpc: 'UNAVAILABLE', title: 'fault-injected abort', kind: 'reply' },
  DI: { status: 200, grpc: 'UNAVAILABLE', title: 'fault-injected delay', kind: 'marks' },
  RBAC: { status: 403, grpc: 'PERMISSION_DENIED', title: 'denied by allow rules', kind: 'reply' },
  DPE: { status: 400, grpc: 'INTERNAL', title: 'malformed request', kind: 'reply' },
  LR: { status: 503, grpc: 'UNAVAILABLE', title: 'local reset', kind: 'reply' },
  DC: { status: 499, grpc: 'CANCELLED', title: 'downstream connection closed', kind: 'record' },
  SI: { status: 408, grpc: 'DEADLINE_EXCEEDED', title: 'stream idle timeout', kind: 'reply' },
} as const satisfies Record<string, FlagSpec>;

export type Flag = keyof typeof FLAGS;

/** Value of the `response_flags` metric label: a flag, or `-` when the request had none. */
export type ResponseFlags = Flag | '-';

export class ProxyError extends Error {
  readonly flag: Flag;
  /** HTTP status to answer with: the table's, unless a documented variant applies (DPE 408/431, FI configured). */
  readonly status: number;

  constructor(flag: Flag, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.flag = flag;
    this.status = options?.status ?? FLAGS[flag].status;
  }

  /** The small JSON body every proxy-generated reply carries (docs/architecture.md, "Errors"). */
  body(): string {
    return JSON.stringify({ error: FLAGS[this.flag].title, flag: this.flag, message: this.message });
  }
}

/** Any error as a ProxyError: one that is not already is a malformed request (it came from the request's values). */
export function toProxyError(err: unknown): ProxyError {
  return err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error)?.message ?? String(err));
}

/** NR for a host outside the registry under registryOnly: 502, as Istio's BlackHoleCluster answers. */
export const NR_OUTSIDE_REGISTRY_STATUS = 502;

export function statusOf(flag: Flag): number {
  return FLAGS[flag].status;
}

export function grpcStatusOf(flag: Flag): GrpcStatus {
  return FLAGS[flag].grpc;
}

/**
 * The status a request is recorded with: the response's own, except that a
 * caller who went away (DC) is always recorded as the table's 499, whatever
 * had been sent before it left.
 */
export function recordedStatus(status: number, flags: ResponseFlags): number {
  return flags === 'DC' ? FLAGS.DC.status : status;
}

/**
 * Classifies an error raised while talking to an upstream (undici or a socket)
 * into a flag: UF when the connection could not be made, UT for undici's own
 * timeouts, UC for a failure on an established connection.
 */
export function upstreamFlag(err: unknown): Flag {
  if (err instanceof ProxyError) return err.flag;
  const code = (err as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'ERR_MESHLET_PEER_IDENTITY':
    case 'ERR_MESHLET_TLS_NOT_READY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    // HTTP/2 upstreams: the peer does not speak h2 (ALPN refused or no SETTINGS),
    // or refused the stream before processing it: nothing reached the app.
    case 'ERR_MESHLET_ALPN':
    case 'ERR_MESHLET_NOT_H2':
    case 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL':
    case 'ERR_MESHLET_H2_REFUSED_STREAM':
      return 'UF';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'UT';
    default:
      return 'UC';
  }
}
