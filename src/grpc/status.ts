// gRPC status codes (grpc/doc/statuscodes.md) and the kebab-case names mesh.yaml
// uses for them (`retries.on: [unavailable, resource-exhausted]`, as Envoy's
// retry_on). The table is the only place that knows the numbers.

export const GRPC_STATUS = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  'invalid-argument': 3,
  'deadline-exceeded': 4,
  'not-found': 5,
  'already-exists': 6,
  'permission-denied': 7,
  'resource-exhausted': 8,
  'failed-precondition': 9,
  aborted: 10,
  'out-of-range': 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  'data-loss': 15,
  unauthenticated: 16,
} as const;

export type GrpcStatusName = keyof typeof GRPC_STATUS;
export type GrpcStatusCode = (typeof GRPC_STATUS)[GrpcStatusName];

const NAMES: readonly GrpcStatusName[] = (Object.keys(GRPC_STATUS) as GrpcStatusName[]).sort(
  (a, b) => GRPC_STATUS[a] - GRPC_STATUS[b],
);

/** The code of a config name (`unavailable` -> 14); null for a name gRPC does not define. */
export function grpcStatusCode(name: string): GrpcStatusCode | null {
  return Object.hasOwn(GRPC_STATUS, name) ? GRPC_STATUS[name as GrpcStatusName] : null;
}

/** The config name of a code (14 -> `unavailable`); null outside 0..16. */
export function grpcStatusName(code: number): GrpcStatusName | null {
  return Number.isInteger(code) && code >= 0 && code < NAMES.length ? NAMES[code]! : null;
}

/**
 * Parses a `grpc-status` header or trailer value as sent on the wire (a
 * decimal integer). Anything else (absent, empty, signed, padded, not a
 * number) is null: the caller decides what a missing status means.
 */
export function parseGrpcStatus(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string' || !/^[0-9]{1,3}$/.test(value)) return null;
  return Number(value);
}

/**
 * The gRPC status a client sees when an HTTP response carries no grpc-status,
 * e.g. an HTTP/1.1 upstream or a proxy in between answered with an error page
 * (grpc/doc/http-grpc-status-mapping.md).
 */
export function grpcStatusOfHttp(httpStatus: number): GrpcStatusCode {
  switch (httpStatus) {
    case 400:
      return GRPC_STATUS.internal;
    case 401:
      return GRPC_STATUS.unauthenticated;
    case 403:
      return GRPC_STATUS['permission-denied'];
    case 404:
      return GRPC_STATUS.unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.unavailable;
    default:
      return GRPC_STATUS.unknown;
  }
}

/** The code of an upper-case status name as the error table writes it (`DEADLINE_EXCEEDED` -> 4). */
export function grpcCodeOfConstant(name: string): GrpcStatusCode | null {
  return grpcStatusCode(name.toLowerCase().replaceAll('_', '-'));
}
