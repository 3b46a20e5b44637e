// Header rewriting for both directions, on node's flat raw arrays
// ([name, value, name, value, ...]) so nothing builds header objects per request.

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus ones undici must set itself. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // undici rejects `expect`; node's server already answered 100-continue.
  'expect',
]);

/**
 * Headers that claim an identity or a mesh-internal fact. They are never
 * trusted from the network: the inbound side removes them before the app sees
 * the request and sets its own from the verified connection.
 */
export const IDENTITY_HEADERS = new Set([
  'x-forwarded-client-cert',
  'x-meshlet-source',
  'x-meshlet-peer-identity',
]);

/** What the single pass over the request headers learned. */
export interface RequestHeadFacts {
  host: string | undefined;
  requestId: string | undefined;
  /** Value of our peer-metadata header (labels only, never identity). */
  source: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  /** Content-Length > 0 or Transfer-Encoding present: the request has a body to stream. */
  hasBody: boolean;
}

/**
 * Copies `raw` into `out` without hop-by-hop headers (and without any header
 * listed in `Connection`), without `x-forwarded-*`/`x-request-id` (the caller
 * re-adds them), and without identity headers when `stripIdentity` is set.
 */
export function copyRequestHeaders(
  raw: readonly string[],
  out: string[],
  stripIdentity: boolean,
): RequestHeadFacts {
  const facts: RequestHeadFacts = {
    host: undefined,
    requestId: undefined,
    source: undefined,
    forwardedFor: undefined,
    forwardedProto: undefined,
    hasBody: false,
  };
  let connectionTokens: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    switch (name) {
      case 'host':
        facts.host = value;
        out.push(raw[i]!, value);
        continue;
      case 'x-request-id':
        facts.requestId = value;
        continue;
      case 'x-forwarded-for':
        facts.forwardedFor = facts.forwardedFor === undefined ? value : `${facts.forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        facts.forwardedProto = value;
        continue;
      case 'x-meshlet-source':
        facts.source = value;
        if (stripIdentity) continue;
        break;
      case 'content-length':
        if (value !== '0') facts.hasBody = true;
        break;
      case 'transfer-encoding':
        facts.hasBody = true;
        continue;
      case 'connection':
        // Every Connection line nominates headers, not only the last one.
        connectionTokens = connectionNames(value, connectionTokens);
        continue;
    }
    if (HOP_BY_HOP.has(name)) continue;
    if (stripIdentity && IDENTITY_HEADERS.has(name)) continue;
    out.push(raw[i]!, value);
  }
  if (connectionTokens !== null) removeNamed(out, connectionTokens);
  return facts;
}

/** Response headers from undici's parsed object → flat array for `writeHead`. */
export function copyResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  out: string[],
): void {
  const connection = headers.connection;
  let named: string[] | null = null;
  if (typeof connection === 'string') named = connectionNames(connection, null);
  else if (connection !== undefined) for (const line of connection) named = connectionNames(line, named);
  for (const name in headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  if (named !== null) removeNamed(out, named);
}

/** Adds the header names a Connection value nominates to `into` (null when none so far). */
function connectionNames(value: string, into: string[] | null): string[] | null {
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'keep-alive' || name === 'close') continue;
    (into ??= []).push(name);
  }
  return into;
}

function removeNamed(out: string[], names: readonly string[]): void {
  // Host is how the request is routed: a Connection line cannot take it away.
  for (let i = out.length - 2; i >= 0; i -= 2) {
    const name = out[i]!.toLowerCase();
    if (name !== 'host' && names.includes(name)) out.splice(i, 2);
  }
}
