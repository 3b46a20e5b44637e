// One place that knows what each proxy-produced failure looks like on the wire
// and in metrics. Layers throw or pass a ProxyError; the listeners' rescue step
// turns it into a response with this table, nothing else sets error statuses.

// DC (downstream closed before the response completed) only ever appears in metrics.
export type Flag = 'NR' | 'UH' | 'UF' | 'UC' | 'UT' | 'URX' | 'RBAC' | 'DPE' | 'LR' | 'DC';

/** Value of the `response_flags` metric label: a flag, or `-` when the request had none. */
export type ResponseFlags = Flag | '-';

const STATUS: Record<Flag, number> = {
  NR: 502,
  UH: 503,
  UF: 503,
  UC: 503,
  UT: 504,
  URX: 503,
  RBAC: 403,
  DPE: 400,
  LR: 503,
  DC: 499,
};

const TITLE: Record<Flag, string> = {
  NR: 'no route',
  UH: 'no healthy upstream',
  UF: 'upstream connect failure',
  UC: 'upstream connection reset',
  UT: 'upstream timeout',
  URX: 'retries exhausted',
  RBAC: 'denied by allow rules',
  DPE: 'malformed request',
  LR: 'local reset',
  DC: 'downstream connection closed',
};

export class ProxyError extends Error {
  readonly flag: Flag;
  /** HTTP status to answer with; DPE varies (400, 408, 431), the rest are fixed. */
  readonly status: number;

  constructor(flag: Flag, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.flag = flag;
    this.status = options?.status ?? STATUS[flag];
  }

  /** The small JSON body of DESIGN.md section 3. */
  body(): string {
    return JSON.stringify({ error: TITLE[this.flag], flag: this.flag, message: this.message });
  }
}

export function statusOf(flag: Flag): number {
  return STATUS[flag];
}

/**
 * Classifies an error raised while talking to an upstream (undici or a socket)
 * into a flag. `connected` tells whether the failure came after the connection
 * was established, which separates UF (could not connect) from UC (reset).
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
      return 'UF';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'UT';
    default:
      return 'UC';
  }
}
