// Per-route header rewriting (Gateway API's RequestHeaderModifier and
// ResponseHeaderModifier, Istio's `headers`), applied in place to the flat
// raw-header arrays the forward core uses ([name, value, name, value, ...]).
// Names are case-insensitive and written lower-case. Headers that frame the
// message, route it or carry identity cannot be touched this way: compile
// rejects them. See docs/configuration.md ("Traffic policy", "headers").
import { HOP_BY_HOP, IDENTITY_HEADERS } from '../forward/headers.ts';
import { type Compiled, compiled, type PolicyIssue } from './issue.ts';

export interface RawHeaderRewrite {
  set?: Record<string, unknown>;
  add?: Record<string, unknown>;
  remove?: unknown[];
}

export interface RawHeaders {
  request?: RawHeaderRewrite;
  response?: RawHeaderRewrite;
}

export interface CompiledHeaderRewrite {
  /** Lower-case names whose existing lines are dropped: `remove` and `set` together. */
  readonly drop: readonly string[];
  /** Pairs appended after the drop, `set` first then `add`: [name, value, name, value, ...]. */
  readonly append: readonly string[];
}

export interface CompiledHeaders {
  readonly request: CompiledHeaderRewrite | null;
  readonly response: CompiledHeaderRewrite | null;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// RFC 9110 §5.5 field-value characters; node throws on anything else when writing.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Why a header cannot be rewritten by a route, or undefined when it can.
 * Hop-by-hop headers (RFC 9110 §7.6.1) and framing belong to each connection;
 * `host` routes the request (use `rewrite.host`); forwarding and identity
 * headers are set by the sidecars from what they verified, and a route that
 * could write them could impersonate a caller.
 */
function protectedHeaderReason(lowerName: string): string | undefined {
  if (lowerName.startsWith(':')) return 'pseudo-headers belong to HTTP/2 framing';
  if (lowerName.startsWith('x-meshlet-')) return 'x-meshlet-* headers are set by the sidecars themselves';
  return PROTECTED.get(lowerName);
}

const HOP = 'hop-by-hop headers belong to one connection (RFC 9110 §7.6.1)';
const IDENTITY = 'set by the sidecars from the verified connection; a route must not forge it';
// The forward core's own lists, so a header it drops or guards can never be set by a route.
const PROTECTED = new Map<string, string>([
  ...[...HOP_BY_HOP].map((name): [string, string] => [name, HOP]),
  ['content-length', 'content-length frames the body; the proxy keeps it true'],
  ['host', 'host routes the request; use rewrite.host'],
  ...[...IDENTITY_HEADERS].map((name): [string, string] => [name, IDENTITY]),
  ['x-forwarded-for', IDENTITY],
  ['x-forwarded-proto', IDENTITY],
]);

/** Compiles `headers:`; null when absent or empty, so the request path skips it. */
export function compileHeaders(raw: RawHeaders | undefined): Compiled<CompiledHeaders | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  const request = raw.request === undefined ? null : compileRewrite(raw.request, 'request', issues);
  const response = raw.response === undefined ? null : compileRewrite(raw.response, 'response', issues);
  return compiled(
    request === null && response === null ? null : Object.freeze({ request, response }),
    issues,
  );
}

function compileRewrite(
  raw: RawHeaderRewrite,
  direction: 'request' | 'response',
  issues: PolicyIssue[],
): CompiledHeaderRewrite | null {
  const drop = new Set<string>();
  const append: string[] = [];
  // Which list first named each header: one header in two lists has no clear order.
  const seen = new Map<string, string>();
  const name = (key: string, list: string, path: (string | number)[]): string | null => {
    if (!TOKEN.test(key)) {
      issues.push({ path, message: `'${key}' is not a valid header name` });
      return null;
    }
    const lower = key.toLowerCase();
    const reason = protectedHeaderReason(lower);
    if (reason !== undefined) {
      issues.push({ path, message: `header '${lower}' cannot be changed by a route: ${reason}` });
      return null;
    }
    const before = seen.get(lower);
    if (before !== undefined) {
      issues.push({
        path,
        message: `header '${lower}' is already listed under ${direction}.${before}; name each header in one list only`,
      });
      return null;
    }
    seen.set(lower, list);
    return lower;
  };
  const pairs = (list: 'set' | 'add', values: Record<string, unknown> | undefined): void => {
    if (values === undefined) return;
    for (const [key, value] of Object.entries(values)) {
      const path = [direction, list, key];
      const lower = name(key, list, path);
      if (lower === null) continue;
      if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
        issues.push({
          path,
          message: `the value of '${lower}' must be a string of printable characters (no line breaks)`,
        });
        continue;
      }
      if (list === 'set') drop.add(lower);
      append.push(lower, value);
    }
  };
  pairs('set', raw.set);
  pairs('add', raw.add);
  (raw.remove ?? []).forEach((key, i) => {
    const lower = typeof key === 'string' ? name(key, 'remove', [direction, 'remove', i]) : null;
    if (typeof key !== 'string')
      issues.push({ path: [direction, 'remove', i], message: 'a header name must be a string' });
    if (lower !== null) drop.add(lower);
  });
  if (drop.size === 0 && append.length === 0) return null;
  return Object.freeze({ drop: Object.freeze([...drop]), append: Object.freeze(append) });
}

/**
 * Applies one direction's rewrite in place: drops every line of a removed or
 * set header (any case), then appends the set and added lines. One pass over
 * the headers; a name is lower-cased only when its length is that of a
 * dropped name, so most lines cost a few integer compares and no allocation.
 */
export function applyHeaderRewrite(rewrite: CompiledHeaderRewrite, headers: string[]): void {
  const drop = rewrite.drop;
  if (drop.length > 0) {
    let w = 0;
    for (let r = 0; r < headers.length; r += 2) {
      const name = headers[r]!;
      if (isDropped(drop, name)) continue;
      if (w !== r) {
        headers[w] = name;
        headers[w + 1] = headers[r + 1]!;
      }
      w += 2;
    }
    headers.length = w;
  }
  const append = rewrite.append;
  for (let i = 0; i < append.length; i++) headers.push(append[i]!);
}

function isDropped(drop: readonly string[], name: string): boolean {
  const length = name.length;
  let lower: string | undefined;
  for (let i = 0; i < drop.length; i++) {
    const d = drop[i]!;
    if (d.length !== length) continue;
    if (name === d || (lower ??= name.toLowerCase()) === d) return true;
  }
  return false;
}
