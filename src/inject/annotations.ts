// The meshlet.dev/* pod annotations a user can set, parsed and checked once.
// A bad value is an InjectError: the CLI exits 1 and the webhook rejects the
// pod with the message, rather than starting a pod with capture it did not ask for.
import net from 'node:net';

export const ANNOTATION = {
  inject: 'meshlet.dev/inject',
  status: 'meshlet.dev/status',
  appPort: 'meshlet.dev/app-port',
  excludeOutboundPorts: 'meshlet.dev/exclude-outbound-ports',
  excludeInboundPorts: 'meshlet.dev/exclude-inbound-ports',
  includeOutboundPorts: 'meshlet.dev/include-outbound-ports',
  excludeOutboundIpRanges: 'meshlet.dev/exclude-outbound-ip-ranges',
  proxyCpu: 'meshlet.dev/proxy-cpu',
  proxyMemory: 'meshlet.dev/proxy-memory',
  proxyCpuLimit: 'meshlet.dev/proxy-cpu-limit',
  proxyMemoryLimit: 'meshlet.dev/proxy-memory-limit',
} as const;

export class InjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectError';
  }
}

/**
 * Whether a workload asked to be injected: `"true"` and `"false"` decide,
 * anything else falls back to `byDefault` (true for `meshlet inject` and for
 * namespaces labelled meshlet-injection=enabled).
 */
export function wantsInjection(annotations: Record<string, string> | undefined, byDefault: boolean): boolean {
  const value = annotations?.[ANNOTATION.inject]?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return byDefault;
}

/** A comma-separated port list, normalised to `a,b,c`; empty → ''. */
export function parsePortList(annotations: Record<string, string>, key: string): string {
  const raw = annotations[key];
  if (raw === undefined || raw.trim() === '') return '';
  const ports = raw.split(',').map((p) => p.trim());
  for (const port of ports) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) {
      throw new InjectError(`annotation ${key}: '${port}' is not a port number (1-65535)`);
    }
  }
  return ports.join(',');
}

/** A comma-separated CIDR list (IPv4 or IPv6), normalised; empty → ''. */
export function parseCidrList(annotations: Record<string, string>, key: string): string {
  const raw = annotations[key];
  if (raw === undefined || raw.trim() === '') return '';
  const ranges = raw.split(',').map((r) => r.trim());
  for (const range of ranges) {
    const [address = '', prefix, extra] = range.split('/');
    const family = net.isIP(address);
    const bits = Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || prefix === undefined || !/^\d+$/.test(prefix) || bits > max) {
      throw new InjectError(`annotation ${key}: '${range}' is not a CIDR range like 10.0.0.0/8`);
    }
  }
  return ranges.join(',');
}

// Kubernetes resource.Quantity syntax: a decimal number and an optional
// binary (Ki..Ei), decimal (n, u, m, k, M..E) or exponent suffix.
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const FACTOR: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity in base units (cores, bytes); throws on bad syntax. */
export function quantityValue(quantity: string, what: string): number {
  const m = QUANTITY.exec(quantity.trim());
  if (m === null)
    throw new InjectError(`${what}: '${quantity}' is not a Kubernetes quantity (e.g. 100m, 128Mi)`);
  const suffix = m[2] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTOR[suffix]!;
  return Number(m[1]) * factor;
}
