// Every config value that becomes part of a URL (a version's host and port, the
// OTLP endpoint) is checked here, so a value that passes `meshlet validate` can
// never make `new URL` or a socket call throw on the request path.
// See docs/configuration.md, "Hosts and ports".
import { isIP } from 'node:net';

export const HOST_EXPECTED = 'a host name or IP address; put the port in `port:`';

// RFC 1123 labels; `_` is tolerated because Kubernetes and Consul names use it.
const LABEL = /^[A-Za-z0-9](?:[-A-Za-z0-9_]{0,61}[A-Za-z0-9])?$/;
// The URL standard reads a host whose last label is a number as IPv4 ("1.2.3", "999.1.1.1").
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;

/**
 * The host as written in a URL authority (`[::1]` for IPv6), or null when the
 * value is not a DNS name or an IP literal. IPv6 is accepted with or without brackets.
 */
export function urlHost(host: string): string | null {
  const bracketed = host.startsWith('[') && host.endsWith(']');
  const bare = bracketed ? host.slice(1, -1) : host;
  // Zone ids (`fe80::1%eth0`) have no URL spelling undici accepts.
  if (!bare.includes('%') && isIP(bare) === 6) return `[${bare.toLowerCase()}]`;
  if (bracketed) return null;
  if (isIP(host) === 4) return host;
  if (host.length === 0 || host.length > 253) return null;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  if (!labels.every((l) => LABEL.test(l))) return null;
  if (NUMERIC_LABEL.test(labels.at(-1)!)) return null;
  return host.toLowerCase();
}

/** `http://host:port`, or null when either part cannot be in a URL. */
export function originOf(host: string, port: number): string | null {
  const h = urlHost(host);
  if (h === null || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const origin = `http://${h}:${port}`;
  // Belt and braces: what the pools will do with it must not throw.
  return URL.canParse(origin) ? origin : null;
}

/** Why an OTLP/HTTP endpoint cannot be used, or null when it can. */
export function endpointProblem(endpoint: string): string | null {
  const expected = 'an http:// or https:// URL like `http://jaeger-collector:4318/v1/traces`';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `'${endpoint}' is not a URL: write ${expected}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `'${endpoint}': write ${expected}`;
  if (urlHost(url.hostname) === null)
    return `'${endpoint}': the host '${url.hostname}' is not a host name or IP address`;
  if (url.username !== '' || url.password !== '')
    return `'${endpoint}': credentials do not belong in the URL (they would be logged)`;
  return null;
}
