// `match: { grpc: { service, method } }` compiles into conditions the route
// matcher already has: a gRPC content type (a header condition) and the
// method's path, `/pkg.Svc/Method` exactly or every method under `/pkg.Svc/`.
// So `meshlet explain` and the data path judge it the same way.
import { isGrpc } from '../grpc/request.ts';
import { CompileError } from './compile-error.ts';
import type { CompiledRoute, RawRoute, StringMatcher } from './types.ts';

export interface GrpcMatch {
  readonly contentType: CompiledRoute['headers'][number];
  readonly path: StringMatcher;
}

const GRPC_CONTENT_TYPE: CompiledRoute['headers'][number] = Object.freeze({
  name: 'content-type',
  present: true,
  test: (value: string) => isGrpc(value),
});

export function compileGrpcMatch(match: RawRoute['match'], at: (string | number)[]): GrpcMatch | null {
  const grpc = match?.grpc;
  if (grpc === undefined) return null;
  if (match?.path !== undefined)
    throw new CompileError(
      [...at, 'grpc'],
      'match.grpc names the path itself: it cannot be combined with match.path',
    );
  const exact = grpc.method === undefined ? null : `/${grpc.service}/${grpc.method}`;
  const prefix = `/${grpc.service}/`;
  return {
    contentType: GRPC_CONTENT_TYPE,
    path:
      exact === null
        ? (p: string) => p.startsWith(prefix) && p.length > prefix.length
        : (p: string) => p === exact,
  };
}
