// Resolve: where a request goes, decided before any byte leaves. Pure: reads
// the request head and the compiled snapshot, returns a target or throws a
// ProxyError (NR, DPE). Every value from the network that becomes a URL, a
// port or a socket address passes through the grammar checks here first, so
// nothing later can throw on it (see docs/architecture.md, "Outbound").
import type { IncomingHttpHeaders } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { CompiledMesh, CompiledRoute, CompiledService, VersionTarget } from '../config/types.ts';
import { NR_OUTSIDE_REGISTRY_STATUS, ProxyError } from '../errors.ts';
import { matchRoute, pathOf } from './match.ts';
import { pickVersion, type RandomSource, stickyKeyOf } from './pick.ts';

/** What resolve reads of a request: node's IncomingMessage has all of it. */
export interface RequestHead {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingHttpHeaders;
}

/** A socket address from the kernel (SO_ORIGINAL_DST). */
export interface SocketAddress {
  readonly address: string;
  readonly port: number;
  readonly family: number;
}

/** An authority that passed the grammar of RFC 3986 §3.2.2 (reg-name / IPv4 / [IPv6]) and a port 1..65535. */
export interface Authority {
  /** Lower-cased host; an IPv6 literal keeps its brackets, so `${host}:${port}` is always a valid authority. */
  readonly host: string;
  /** null when the authority names none. */
  readonly port: number | null;
}

/** Where one outbound request goes. */
export interface OutboundTarget {
  readonly service: CompiledService | null;
  readonly route: CompiledRoute | null;
  readonly version: VersionTarget | null;
  /** Origin of the upstream pool: `http://host:port`, always a valid URL. */
  readonly origin: string;
  /** The request target to send: always origin-form. */
  readonly path: string;
  /** SPIFFE id to require of the upstream when originating mTLS, else null. */
  readonly peerId: string | null;
  /** The authority the request named (Host or absolute-form). */
  readonly authority: string;
  /** Absolute-form target: the Host header must be replaced by `authority` (RFC 9112 §3.2.2). */
  readonly absoluteForm: boolean;
}

/** Where one inbound request goes: the local app. */
export interface InboundTarget {
  readonly origin: string;
  readonly path: string;
}

const MAX_HOST_LENGTH = 253;
// Unreserved characters only (RFC 3986 reg-name without pct-encoding and sub-delims):
// what DNS names and Kubernetes service names use, and nothing a URL parser rewrites.
const REG_NAME = /^[a-z0-9._~-]+$/;
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const PORT = /^[0-9]{1,5}$/;
// What undici accepts in a request path (and what HTTP/1.1 allows there).
const PATH_CHARS = /^[\x21-\xff]*$/;

function malformed(what: string, value: string): ProxyError {
  return new ProxyError('DPE', `${what} '${value.slice(0, 100)}' is not valid`);
}

/**
 * Parses `host[:port]` by RFC 3986's authority grammar (no userinfo), or
 * throws a DPE ProxyError. A host whose last label is numeric must be a
 * dotted-quad IPv4 address: URL parsers read `1.2.3.999` or `0x10` as IPv4
 * and fail or rewrite them.
 */
export function parseAuthority(value: string, what = 'authority'): Authority {
  let host: string;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) throw malformed(what, value);
    const literal = value.slice(1, close);
    // No zone id: '%' has no place in a URL host.
    if (literal.includes('%') || !isIPv6(literal)) throw malformed(what, value);
    host = `[${literal.toLowerCase()}]`;
    const rest = value.slice(close + 1);
    if (rest !== '') {
      if (rest[0] !== ':') throw malformed(what, value);
      portText = rest.slice(1);
    }
  } else {
    const colon = value.indexOf(':');
    host = (colon === -1 ? value : value.slice(0, colon)).toLowerCase();
    portText = colon === -1 ? undefined : value.slice(colon + 1);
    if (host === '' || host.length > MAX_HOST_LENGTH || !REG_NAME.test(host)) throw malformed(what, value);
    const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
    if (NUMERIC_LABEL.test(labels[labels.length - 1]!) && !isIPv4(host)) throw malformed(what, value);
  }
  // An empty port (`host:`) is allowed by the grammar and means the default.
  if (portText === undefined || portText === '') return { host, port: null };
  if (!PORT.test(portText)) throw malformed(what, value);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw malformed(what, value);
  return { host, port };
}

/** `http://host:port` from a kernel socket address, or a DPE ProxyError if it is not one. */
export function socketOrigin(dst: SocketAddress): string {
  const v6 = dst.family === 6;
  if (!(v6 ? isIPv6(dst.address) : isIPv4(dst.address)) || dst.address.includes('%'))
    throw malformed('original destination address', String(dst.address));
  if (!Number.isInteger(dst.port) || dst.port < 1 || dst.port > 65535)
    throw malformed('original destination port', String(dst.port));
  return `http://${v6 ? `[${dst.address}]` : dst.address}:${dst.port}`;
}

/** True for a port number a socket can use. */
export function isPort(port: unknown): port is number {
  return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;
}

interface Head {
  /** The one Host header; more than one is refused. */
  host: string | undefined;
  /** The request already passed through a meshlet outbound listener. */
  looped: boolean;
}

/** One pass over the raw headers for what resolve needs. */
function readHead(raw: readonly string[]): Head {
  let host: string | undefined;
  let looped = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      // RFC 9112 §3.2: a request with more than one Host is answered 400.
      if (host !== undefined) throw new ProxyError('DPE', 'request has more than one Host header');
      host = raw[i + 1]!;
    } else if (name.length === 16 && name.toLowerCase() === 'x-meshlet-source') {
      looped = true;
    }
  }
  return { host, looped };
}

/** Splits a request target into its authority (absolute-form) and origin-form path; throws DPE otherwise. */
export function splitTarget(target: string): { authority: string | null; path: string } {
  let authority: string | null = null;
  let path = target;
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    // absolute-form (HTTP_PROXY style): http://authority/path
    const m = /^http:\/\/([^/?#]*)([^#]*)/i.exec(target);
    if (m === null) throw new ProxyError('DPE', `unsupported request target '${target.slice(0, 100)}'`);
    authority = m[1]!;
    path = m[2] === '' ? '/' : m[2]!.charCodeAt(0) === 47 ? m[2]! : `/${m[2]}`;
  }
  if (!PATH_CHARS.test(path)) throw malformed('request target', target);
  return { authority, path };
}

/**
 * Outbound: authority → service → route → version. Throws NR (no route, or a
 * host outside the registry under registryOnly) and DPE (malformed authority
 * or target, two Host headers, a request that loops).
 */
export function resolveOutbound(
  mesh: CompiledMesh,
  req: RequestHead,
  random: RandomSource,
  dst?: SocketAddress,
): OutboundTarget {
  const head = readHead(req.rawHeaders);
  // Apps never see x-meshlet-source (inbound strips it): arriving here it came from a meshlet outbound.
  // Like a host outside the registry, a loop has no destination: 502.
  if (head.looped)
    throw new ProxyError('NR', 'request loop: it already passed through a meshlet outbound listener', {
      status: NR_OUTSIDE_REGISTRY_STATUS,
    });
  const { authority: fromTarget, path: target } = splitTarget(req.url ?? '/');
  const authority = fromTarget ?? head.host;
  if (authority === undefined || authority === '') throw new ProxyError('DPE', 'request has no Host header');
  const parsed = parseAuthority(authority);
  const key = parsed.port === null ? parsed.host : `${parsed.host}:${parsed.port}`;
  const absoluteForm = fromTarget !== null;
  const service = mesh.hosts.get(key);
  if (service === undefined) {
    if (mesh.outboundTrafficPolicy === 'registryOnly') {
      throw new ProxyError(
        'NR',
        `host '${key}' is not in the mesh registry (outboundTrafficPolicy: registryOnly)`,
        { status: NR_OUTSIDE_REGISTRY_STATUS },
      );
    }
    return {
      service: null,
      route: null,
      version: null,
      // Captured: where the app was connecting (the Host may name anything); HTTP_PROXY: the Host.
      origin: dst === undefined ? `http://${parsed.host}:${parsed.port ?? 80}` : socketOrigin(dst),
      path: target,
      peerId: null,
      authority: key,
      absoluteForm,
    };
  }
  const method = req.method ?? 'GET';
  const path = pathOf(target);
  const route = matchRoute(service, method, path, req);
  // A listed service without a matching route: 404, as Envoy and the Gateway API mesh profile answer.
  if (route === null)
    throw new ProxyError('NR', `no route of service '${service.name}' matches ${method} ${path}`);
  // A route that only redirects has no version: nothing is forwarded.
  const version =
    route.targets.length === 0
      ? null
      : pickVersion(route, random, route.sticky === null ? undefined : stickyKeyOf(route, req.headers));
  // Never a silent plaintext downgrade: without certificates the connector fails (UF).
  const peerId = service.mtls !== 'disable' ? service.spiffeId : null;
  return {
    service,
    route,
    version,
    origin: version?.origin ?? '',
    path: target,
    peerId,
    authority: key,
    absoluteForm,
  };
}

/**
 * Inbound: the local app, on the container port the caller dialled when the
 * connection was captured (multi-port pods), else the app port. Throws DPE for
 * a request target that is not origin- or absolute-form, or two Host headers.
 */
export function resolveInbound(
  req: RequestHead,
  appPort: number,
  listenerPort: number | undefined,
  dst?: SocketAddress,
): InboundTarget {
  readHead(req.rawHeaders);
  const { path } = splitTarget(req.url ?? '/');
  const port = dst === undefined || !isPort(dst.port) || dst.port === listenerPort ? appPort : dst.port;
  return { origin: `http://127.0.0.1:${port}`, path };
}

/** What a CONNECT asks for (authority-form target). */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * CONNECT host:port on the outbound listener (HTTPS_PROXY egress): a tunnel
 * to a host outside the registry under allowAny. A host outside the registry
 * under registryOnly is NR 502. A listed mesh service is NR 404: a tunnel
 * would carry its traffic past routing, mTLS and allow rules, so the app must
 * call it in plain HTTP (see docs/architecture.md, "Outbound").
 */
export function resolveConnect(mesh: CompiledMesh, req: RequestHead): ConnectTarget {
  readHead(req.rawHeaders);
  const target = req.url ?? '';
  const parsed = parseAuthority(target, 'CONNECT target');
  if (parsed.port === null) throw malformed('CONNECT target (host:port)', target);
  const key = `${parsed.host}:${parsed.port}`;
  const service = mesh.hosts.get(key) ?? mesh.hosts.get(parsed.host);
  if (service !== undefined)
    throw new ProxyError(
      'NR',
      `CONNECT to mesh service '${service.name}' is not tunnelled: send plain HTTP, the sidecar routes and secures it`,
    );
  if (mesh.outboundTrafficPolicy === 'registryOnly')
    throw new ProxyError(
      'NR',
      `host '${key}' is not in the mesh registry (outboundTrafficPolicy: registryOnly)`,
      { status: NR_OUTSIDE_REGISTRY_STATUS },
    );
  const host = parsed.host.startsWith('[') ? parsed.host.slice(1, -1) : parsed.host;
  return { host, port: parsed.port };
}
