// Endpoint addresses as they come from DNS answers, a static `endpoints:` list
// or MESHLET_DNS_SERVERS: parsed and validated once, never on the request path.
// See docs/kubernetes.md (headless Services).
import { isIP } from 'node:net';

/** One endpoint of a version: an IP address and a port. */
export interface EndpointAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `10.1.2.3:9080` or `[fd00::1]:9080`: the endpoint's name within its version. */
  readonly authority: string;
}

/**
 * 4 or 6 for an address an endpoint can have, else 0. IPv6 zone ids
 * (`fe80::1%eth0`) are refused: they cannot be written in a URL's host.
 */
export function ipFamily(address: string): 0 | 4 | 6 {
  if (typeof address !== 'string' || address.includes('%')) return 0;
  return isIP(address) as 0 | 4 | 6;
}

export function endpointAddress(address: string, port: number): EndpointAddress {
  const family = ipFamily(address);
  if (family === 0) throw new Error(`'${address}' is not an IP address (IPv6 zone ids are not supported)`);
  if (!validPort(port)) throw new Error(`port ${port} is not between 1 and 65535`);
  // Lower case so that two spellings of one IPv6 address are one endpoint.
  const normal = family === 6 ? address.toLowerCase() : address;
  return {
    address: normal,
    port,
    family: family as 4 | 6,
    authority: family === 6 ? `[${normal}]:${port}` : `${normal}:${port}`,
  };
}

/**
 * `10.1.2.3:9080`, `[fd00::1]:9080`, or a bare IP that takes `defaultPort`.
 * Host names are refused: a static list is what the user wants used as is.
 */
export function parseEndpoint(text: string, defaultPort: number | null): EndpointAddress {
  const { host, port } = splitHostPort(text.trim(), defaultPort);
  if (ipFamily(host) === 0) {
    throw new Error(
      `'${text}' is not an IP address with an optional port (e.g. 10.1.2.3:9080 or [fd00::1]:9080)`,
    );
  }
  return endpointAddress(host, port);
}

/** A static `endpoints:` list: each entry parsed, duplicates folded, order kept. */
export function parseEndpointList(list: readonly string[], defaultPort: number | null): EndpointAddress[] {
  const seen = new Map<string, EndpointAddress>();
  for (const entry of list) {
    const endpoint = parseEndpoint(entry, defaultPort);
    if (!seen.has(endpoint.authority)) seen.set(endpoint.authority, endpoint);
  }
  return [...seen.values()];
}

/**
 * MESHLET_DNS_SERVERS: a comma or space separated list of `ip:port`,
 * `[ipv6]:port` or a bare IP (port 53), in the form Resolver.setServers takes.
 * Throws a one-line error naming the bad entry.
 */
export function parseDnsServers(text: string): string[] {
  const entries = text.split(/[\s,]+/).filter((s) => s !== '');
  if (entries.length === 0) throw new Error('MESHLET_DNS_SERVERS is set but lists no server');
  return entries.map((entry) => {
    let parsed: { host: string; port: number };
    try {
      parsed = splitHostPort(entry, 53);
    } catch (err) {
      throw new Error(`MESHLET_DNS_SERVERS: '${entry}': ${(err as Error).message}`);
    }
    const family = ipFamily(parsed.host);
    if (family === 0) {
      throw new Error(
        `MESHLET_DNS_SERVERS: '${entry}' is not an IP address with an optional port (a DNS server cannot be a name; e.g. 10.96.0.10:53 or [fd00::a]:53)`,
      );
    }
    return family === 6 ? `[${parsed.host}]:${parsed.port}` : `${parsed.host}:${parsed.port}`;
  });
}

function splitHostPort(text: string, defaultPort: number | null): { host: string; port: number } {
  let host = text;
  let portText: string | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw new Error(`'${text}' has an unclosed '['`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new Error(`'${text}' has text after ']' that is not ':port'`);
      portText = rest.slice(1);
    }
    if (ipFamily(host) !== 6) throw new Error(`'${host}' in brackets is not an IPv6 address`);
  } else {
    const colon = text.indexOf(':');
    // More than one colon and no brackets: a bare IPv6 address, no port.
    if (colon !== -1 && text.indexOf(':', colon + 1) === -1) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (portText === null) {
    if (defaultPort === null) throw new Error(`'${text}' needs a port`);
    return { host, port: defaultPort };
  }
  if (!/^[0-9]{1,5}$/.test(portText) || !validPort(Number(portText))) {
    throw new Error(`'${portText}' is not a port between 1 and 65535`);
  }
  return { host, port: Number(portText) };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
