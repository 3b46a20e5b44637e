// What a request tells us about the gRPC call it carries: whether it is one,
// its deadline and its method. Pure; every input comes from the network, so
// malformed values give null, never an exception.

/**
 * True for gRPC's content types: `application/grpc`, `application/grpc+proto`,
 * `application/grpc+json`, with or without parameters, any case. gRPC-Web
 * (`application/grpc-web*`) is not gRPC on the wire (its trailers travel in
 * the body, over HTTP/1.1 too) and is false.
 */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string' || contentType.length < 16) return false;
  if (contentType.slice(0, 16).toLowerCase() !== 'application/grpc') return false;
  if (contentType.length === 16) return true;
  const next = contentType[16];
  return next === '+' || next === ';' || next === ' ' || next === '\t';
}

const TIMEOUT = /^([0-9]{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * `grpc-timeout` (at most 8 digits and a unit: H, M, S, m, u, n) in whole
 * milliseconds, rounded up so a sub-millisecond deadline is not "none";
 * null when absent or malformed. The caller takes the shorter of this and
 * the route timeout (see docs/configuration.md).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string') return null;
  const m = TIMEOUT.exec(value);
  if (m === null) return null;
  return Math.ceil(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** `grpc-timeout` for a deadline `ms` from now, in the coarsest unit that keeps it exact within 8 digits. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1e8) return `${whole}m`;
  const seconds = Math.ceil(whole / 1000);
  if (seconds < 1e8) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}

export interface GrpcMethod {
  /** Fully qualified service, e.g. `pkg.v1.Greeter`. */
  readonly service: string;
  /** Method name, e.g. `SayHello`. */
  readonly method: string;
}

// Proto identifiers: a dotted package-qualified service, a plain method name.
const PATH = /^\/([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\/([A-Za-z_][A-Za-z0-9_]*)$/;

/** Service and method of a gRPC `:path` (`/pkg.Svc/Method`); null for any other shape. */
export function grpcMethodOf(path: string): GrpcMethod | null {
  const m = PATH.exec(path);
  return m === null ? null : { service: m[1]!, method: m[2]! };
}
