// Redirects answered by the caller's sidecar (Istio's HTTPRedirect, Gateway
// API's RequestRedirect): the Location is the request's own URL with the
// configured parts replaced. See docs/configuration.md ("Traffic policy", "redirect").
import { urlHost } from '../config/host.ts';
import { ProxyError } from '../errors.ts';
import { parseAuthority } from '../route/resolve.ts';
import { type Compiled, compiled, type PolicyIssue } from './issue.ts';

export interface RawRedirect {
  scheme?: unknown;
  host?: unknown;
  port?: unknown;
  path?: unknown;
  status?: unknown;
}

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface CompiledRedirect {
  readonly scheme: 'http' | 'https' | null;
  /** As written in a URL (IPv6 bracketed, lower-case), or null to keep the request's. */
  readonly host: string | null;
  readonly port: number | null;
  /** Replaces the whole path; the request's query is kept unless this has its own. */
  readonly path: string | null;
  readonly status: RedirectStatus;
}

const STATUSES: readonly number[] = [301, 302, 303, 307, 308];
const DEFAULT_PORT = { http: 80, https: 443 } as const;
// What a Location path may hold as is (RFC 3986 path and query characters).
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/;

export function compileRedirect(raw: RawRedirect | undefined): Compiled<CompiledRedirect | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  const scheme = raw.scheme ?? null;
  if (scheme !== null && scheme !== 'http' && scheme !== 'https') {
    issues.push({ path: ['scheme'], message: `scheme must be http or https, got ${JSON.stringify(scheme)}` });
  }
  let host: string | null = null;
  if (raw.host !== undefined) {
    host = typeof raw.host === 'string' ? urlHost(raw.host) : null;
    if (host === null) {
      issues.push({
        path: ['host'],
        message: `host must be a host name or IP address without a port (put it in port:), got ${JSON.stringify(raw.host)}`,
      });
    }
  }
  const port = raw.port ?? null;
  if (port !== null && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535)) {
    issues.push({
      path: ['port'],
      message: `port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`,
    });
  }
  const path = raw.path ?? null;
  if (path !== null && (typeof path !== 'string' || !PATH.test(path) || path.includes('#'))) {
    issues.push({
      path: ['path'],
      message: `path must start with '/' and hold only URL path characters (percent-encode the rest), got ${JSON.stringify(path)}`,
    });
  }
  const status = raw.status ?? 302;
  if (!STATUSES.includes(status as number)) {
    issues.push({
      path: ['status'],
      message: `status must be 301, 302, 303, 307 or 308, got ${JSON.stringify(status)}`,
    });
  }
  return compiled(
    Object.freeze({
      scheme: scheme as CompiledRedirect['scheme'],
      host,
      port: port as number | null,
      path: path as string | null,
      status: status as RedirectStatus,
    }),
    issues,
  );
}

/** What the redirect is computed from: the request as the caller sent it. */
export interface RedirectRequest {
  readonly scheme: 'http' | 'https';
  /** Host header or HTTP/2 `:authority`. */
  readonly authority: string;
  /** Origin-form request target (path and query). */
  readonly target: string;
}

/**
 * The Location for this request, or a DPE error when the request's own
 * authority or target cannot be part of a URL. Parts the redirect does not
 * set are kept; the port is the configured one, else the request's unless the
 * scheme changes (then the new scheme's default), and a default port is left out.
 */
export function redirectLocation(redirect: CompiledRedirect, req: RedirectRequest): string | ProxyError {
  let authority: { host: string; port: number | null };
  try {
    authority = parseAuthority(req.authority);
  } catch (err) {
    return err as ProxyError;
  }
  if (req.target.charCodeAt(0) !== 0x2f || !PATH.test(req.target) || req.target.includes('#')) {
    return new ProxyError('DPE', `request target '${req.target.slice(0, 100)}' cannot be redirected`);
  }
  const scheme = redirect.scheme ?? req.scheme;
  const host = redirect.host ?? authority.host;
  const port =
    redirect.port ?? (redirect.scheme !== null && redirect.scheme !== req.scheme ? null : authority.port);
  const portPart = port === null || port === DEFAULT_PORT[scheme] ? '' : `:${port}`;
  let target = req.target;
  if (redirect.path !== null) {
    const q = req.target.indexOf('?');
    target = redirect.path.includes('?') || q === -1 ? redirect.path : redirect.path + req.target.slice(q);
  }
  return `${scheme}://${host}${portPart}${target}`;
}
