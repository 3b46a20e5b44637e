// `allow` rules: compiled once per config snapshot into principal sets and
// path tables, decided per request by a pure function. The caller's identity
// is a SPIFFE ID taken from a verified peer certificate, or null for
// plaintext / unauthenticated callers, which no rule ever matches.
import { parseSpiffeId, workloadSpiffeId } from '../tls/spiffe.ts';
import type { AllowDecision, CompiledAllow, CompiledAllowRule } from './types.ts';

export interface RawAllowRuleInput {
  from?: unknown;
  methods?: unknown;
  paths?: unknown;
}

export interface AllowContext {
  readonly trustDomain: string;
  /** Namespace of this sidecar: where a `from` service missing from the registry is assumed to run. */
  readonly sidecarNamespace: string;
  readonly services: ReadonlyMap<string, { readonly namespace: string; readonly serviceAccount: string }>;
}

/** A problem in the `allow` array; `path` is relative to that array, e.g. `[0, 'from', 2]`. */
export interface AllowIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const NAME_SEGMENT = /^[A-Za-z0-9._-]+$/;
const NS_SA = /^ns\/([^/]+)\/sa\/([^/]+)$/;
const METHOD = /^[A-Z]+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * Compiles a service's `allow` rules. Absent rules (`undefined`) compile to
 * null: anyone may call. Present rules, even an empty list, deny by default.
 */
export function compileAllow(
  rules: readonly RawAllowRuleInput[] | undefined,
  mode: 'enforce' | 'audit' | undefined,
  ctx: AllowContext,
): { allow: CompiledAllow | null } | { errors: AllowIssue[] } {
  if (rules === undefined) return { allow: null };
  const errors: AllowIssue[] = [];
  if (mode !== undefined && mode !== 'enforce' && mode !== 'audit') {
    errors.push({ path: [], message: `allowMode must be 'enforce' or 'audit', got '${String(mode)}'` });
  }
  const compiled: CompiledAllowRule[] = [];
  rules.forEach((rule, index) => {
    const result = compileRule(rule, ctx, index, errors);
    if (result !== null) compiled.push(result);
  });
  if (errors.length > 0) return { errors };
  return { allow: Object.freeze({ mode: mode ?? 'enforce', rules: Object.freeze(compiled) }) };
}

function compileRule(
  rule: RawAllowRuleInput,
  ctx: AllowContext,
  index: number,
  errors: AllowIssue[],
): CompiledAllowRule | null {
  const before = errors.length;
  const principals = new Set<string>();
  let anyAuthenticated = false;
  if (!Array.isArray(rule.from) || rule.from.length === 0) {
    errors.push({ path: [index, 'from'], message: 'from must list at least one caller' });
  } else {
    rule.from.forEach((entry: unknown, j) => {
      if (entry === '*') {
        anyAuthenticated = true;
        return;
      }
      const principal = typeof entry === 'string' ? principalOf(entry, ctx) : 'a caller must be a string';
      if (principal.startsWith('spiffe://')) principals.add(principal);
      else errors.push({ path: [index, 'from', j], message: principal });
    });
  }

  let methods: Set<string> | null = null;
  if (rule.methods !== undefined) {
    if (!Array.isArray(rule.methods) || rule.methods.length === 0) {
      errors.push({
        path: [index, 'methods'],
        message: 'methods must be a non-empty list (omit it to allow any method)',
      });
    } else {
      methods = new Set();
      for (const [j, method] of rule.methods.entries()) {
        if (typeof method === 'string' && METHOD.test(method)) methods.add(method);
        else
          errors.push({
            path: [index, 'methods', j],
            message: `'${String(method)}' is not an upper-case HTTP method`,
          });
      }
    }
  }

  let exactPaths: Set<string> | null = null;
  let pathPrefixes: string[] | null = null;
  if (rule.paths !== undefined) {
    if (!Array.isArray(rule.paths) || rule.paths.length === 0) {
      errors.push({
        path: [index, 'paths'],
        message: 'paths must be a non-empty list (omit it to allow any path)',
      });
    } else {
      exactPaths = new Set();
      pathPrefixes = [];
      for (const [j, path] of rule.paths.entries()) {
        const parsed = typeof path === 'string' ? parseRulePath(path) : { error: 'a path must be a string' };
        if ('error' in parsed) errors.push({ path: [index, 'paths', j], message: parsed.error });
        else if (parsed.prefix) pathPrefixes.push(parsed.value);
        else exactPaths.add(parsed.value);
      }
      if (exactPaths.size === 0) exactPaths = null;
      if (pathPrefixes.length === 0) pathPrefixes = null;
    }
  }

  if (errors.length > before) return null;
  return Object.freeze({ principals, anyAuthenticated, methods, exactPaths, pathPrefixes });
}

/** The SPIFFE ID a `from` entry names, or an error message (never starting with `spiffe://`). */
export function principalOf(entry: string, ctx: AllowContext): string {
  if (entry.startsWith('spiffe://')) {
    const id = parseSpiffeId(entry);
    if (id === null || id.path === '') return `'${entry}' is not a valid workload SPIFFE ID`;
    if (id.trustDomain !== ctx.trustDomain) {
      return `'${entry}' is in trust domain '${id.trustDomain}', not '${ctx.trustDomain}': it could never match`;
    }
    return entry;
  }
  if (entry.includes('/')) {
    const m = NS_SA.exec(entry);
    if (m === null || !NAME_SEGMENT.test(m[1]!) || !NAME_SEGMENT.test(m[2]!)) {
      return `'${entry}' is not a service name, ns/<namespace>/sa/<serviceAccount>, a spiffe:// ID or '*'`;
    }
    return workloadSpiffeId(ctx.trustDomain, m[1]!, m[2]!);
  }
  if (!NAME_SEGMENT.test(entry)) return `'${entry}' is not a valid service name`;
  const service = ctx.services.get(entry);
  return service === undefined
    ? workloadSpiffeId(ctx.trustDomain, ctx.sidecarNamespace, entry)
    : workloadSpiffeId(ctx.trustDomain, service.namespace, service.serviceAccount);
}

function parseRulePath(path: string): { value: string; prefix: boolean } | { error: string } {
  if (!path.startsWith('/')) return { error: `path '${path}' must start with '/'` };
  if (!PRINTABLE_ASCII.test(path))
    return { error: `path '${path}' must be ASCII without spaces; percent-encode the rest` };
  const prefix = path.endsWith('/*');
  const body = prefix ? path.slice(0, -1) : path;
  if (body.includes('*')) {
    return { error: `path '${path}': only a trailing '/*' wildcard is supported (e.g. /reviews/*)` };
  }
  if (body.includes('?') || body.includes('#'))
    return { error: `path '${path}' must not contain a query or fragment` };
  const canonical = canonicalRequestPath(body);
  if (canonical === null) {
    return {
      error: `path '${path}' has dot segments, a backslash or an encoded slash; requests like that are never allowed`,
    };
  }
  if (canonical !== body)
    return { error: `path '${path}' is not in canonical form; write '${canonical}${prefix ? '*' : ''}'` };
  return { value: body, prefix };
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
// Paths without these need no rewriting: the common case costs one regex test.
const NEEDS_WORK = /[%\\]|\/\.\.?(?:[/;]|$)/;

/**
 * The path that allow rules are matched against, from a request target
 * (query and fragment are dropped here, so callers may pass `req.url`).
 * Percent-encoded unreserved characters are decoded and other escapes
 * upper-cased (RFC 3986 6.2.2), so `/%72eviews` is `/reviews`. Targets a
 * backend could read as a different path than we do are ambiguous and give
 * null, which no path rule matches: `.`/`..` segments (also encoded, also
 * Tomcat's `..;`), encoded `/` or `\`, a raw `\`, bad escapes, and anything
 * not starting with `/` (absolute-form, `*`). Empty segments (`//`) stay as
 * they are: they only make a prefix rule match less.
 */
export function canonicalRequestPath(target: string): string | null {
  let end = target.length;
  const query = target.indexOf('?');
  if (query !== -1) end = query;
  const fragment = target.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  const path = end === target.length ? target : target.slice(0, end);
  if (path.charCodeAt(0) !== 0x2f) return null;
  if (!NEEDS_WORK.test(path)) return path;
  if (path.includes('\\')) return null;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!HEX2.test(hex)) return null;
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    if (ch === '/' || ch === '\\') return null;
    out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  for (const segment of out.split('/')) {
    const name = segment.split(';', 1)[0];
    if (name === '.' || name === '..') return null;
  }
  return out;
}

const ALLOWED: AllowDecision = Object.freeze({ allowed: true, audited: false });
const UNAUTHENTICATED = 'caller has no verified identity (plaintext or no client certificate)';

/**
 * Whether `principal` may call `method path`. Pure. `principal` is the
 * verified peer SPIFFE ID or null; `path` is the request target (query
 * string ignored). In audit mode a would-be denial is allowed and marked
 * `audited` with the reason, for logging and `meshlet_authz_denied_total`.
 */
export function allowDecision(
  allow: CompiledAllow | null,
  principal: string | null,
  method: string,
  path: string,
): AllowDecision {
  if (allow === null) return ALLOWED;
  let reason: string;
  if (principal === null) {
    reason = UNAUTHENTICATED;
  } else {
    // undefined: not computed yet; most rule sets never need it.
    let canonical: string | null | undefined;
    for (const rule of allow.rules) {
      if (!rule.anyAuthenticated && !rule.principals.has(principal)) continue;
      if (rule.methods !== null && !rule.methods.has(method)) continue;
      if (rule.exactPaths === null && rule.pathPrefixes === null) return ALLOWED;
      if (canonical === undefined) canonical = canonicalRequestPath(path);
      if (canonical !== null && pathMatches(rule, canonical)) return ALLOWED;
    }
    reason =
      canonical === null
        ? `ambiguous request path from ${principal} (dot segment, backslash or encoded slash)`
        : `no allow rule matches ${principal} ${method}`;
  }
  return allow.mode === 'audit'
    ? { allowed: true, audited: true, reason }
    : { allowed: false, audited: false, reason };
}

function pathMatches(rule: CompiledAllowRule, path: string): boolean {
  if (rule.exactPaths?.has(path)) return true;
  if (rule.pathPrefixes !== null) {
    for (const prefix of rule.pathPrefixes) if (path.startsWith(prefix)) return true;
  }
  return false;
}
