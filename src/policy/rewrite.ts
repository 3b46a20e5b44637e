// Rewrites before forwarding (Istio's HTTPRewrite, Gateway API's URLRewrite):
// the route's matched path prefix is replaced (ReplacePrefixMatch) and the
// Host header set. Prefixes match on segment boundaries, as Gateway API's
// PathPrefix does: `/v2` matches `/v2` and `/v2/x`, never `/v2example`.
// See docs/configuration.md ("Traffic policy", "rewrite").
import { urlHost } from '../config/host.ts';
import { type Compiled, compiled, type PolicyIssue } from './issue.ts';

export interface RawRewrite {
  pathPrefix?: unknown;
  host?: unknown;
}

export interface CompiledRewrite {
  /** The route's prefix without a trailing slash ('' for `/`), or null when the path is kept. */
  readonly matchedPrefix: string | null;
  /** The replacement without a trailing slash ('' for `/`). */
  readonly pathPrefix: string | null;
  /** The Host header to send, or null to keep the request's. */
  readonly host: string | null;
}

/** A prefix without its trailing slashes: the form both matching and replacing work on. */
function trimmed(prefix: string): string {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0x2f) end--;
  return prefix.slice(0, end);
}

/**
 * Whether `path` (without query) is under `prefix` on a segment boundary.
 * A trailing slash on the prefix is ignored, as Gateway API specifies.
 */
export function pathPrefixMatches(prefix: string, path: string): boolean {
  const p = trimmed(prefix);
  if (!path.startsWith(p)) return false;
  return path.length === p.length || path.charCodeAt(p.length) === 0x2f;
}

/**
 * Compiles `rewrite:`. `routePrefix` is the route's `match.path.prefix`, or
 * null when the route matches its path otherwise: a prefix rewrite needs one.
 */
export function compileRewrite(
  raw: RawRewrite | undefined,
  routePrefix: string | null,
): Compiled<CompiledRewrite | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  let pathPrefix: string | null = null;
  if (raw.pathPrefix !== undefined) {
    if (typeof raw.pathPrefix !== 'string' || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(raw.pathPrefix)) {
      issues.push({
        path: ['pathPrefix'],
        message: `pathPrefix must start with '/' and hold only URL path characters, got ${JSON.stringify(raw.pathPrefix)}`,
      });
    } else if (routePrefix === null) {
      issues.push({
        path: ['pathPrefix'],
        message: 'pathPrefix replaces the prefix the route matched: the route needs match.path.prefix',
      });
    } else {
      pathPrefix = trimmed(raw.pathPrefix);
    }
  }
  let host: string | null = null;
  if (raw.host !== undefined) {
    host = typeof raw.host === 'string' ? urlHost(raw.host) : null;
    if (host === null) {
      issues.push({
        path: ['host'],
        message: `host must be a host name or IP address, got ${JSON.stringify(raw.host)}`,
      });
    }
  }
  if (pathPrefix === null && host === null) return compiled(null, issues);
  return compiled(
    Object.freeze({ matchedPrefix: pathPrefix === null ? null : trimmed(routePrefix!), pathPrefix, host }),
    issues,
  );
}

/**
 * The request target to forward: the matched prefix replaced, the rest of
 * the path and the query kept (`/v1/x?a` with `/v1` → `/v2` is `/v2/x?a`;
 * replacing with `/` gives `/x?a`). A target the route's prefix does not
 * match is returned unchanged (the route could not have matched it).
 */
export function rewriteTarget(rewrite: CompiledRewrite, target: string): string {
  const from = rewrite.matchedPrefix;
  const to = rewrite.pathPrefix;
  if (from === null || to === null) return target;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (!pathPrefixMatches(from, path)) return target;
  const rest = target.slice(from.length);
  const out = to + rest;
  return out === '' || out.charCodeAt(0) !== 0x2f ? `/${out}` : out;
}
