// HTTP upgrades (WebSocket) are proxied with http-proxy, which handles the
// 101 handshake and the two-way pipe; plain requests use UpstreamCall instead
// (BENCHMARKS.md says why). Listeners rewrite identity headers before calling it.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type httpProxy from 'http-proxy';
import { ProxyError } from '../errors.ts';

type WsCallback = (err: Error, ...rest: unknown[]) => void;
type Listener = (...args: never[]) => void;

/** What the upgrade listener uses of http-proxy's server. */
export interface UpgradeProxy {
  on(event: 'proxyReqWs', listener: Listener): void;
  ws: httpProxy['ws'];
}

/**
 * The upgrade proxy, with http-proxy loaded on the first upgrade: a sidecar
 * that never sees a WebSocket does not pay its 1 MiB of idle RSS
 * (BENCHMARKS.md, "Footprint").
 */
export function createUpgradeProxy(): UpgradeProxy {
  const listeners: Array<[string, Listener]> = [];
  let proxy: httpProxy | null = null;
  const loaded = (): httpProxy => {
    proxy ??= build();
    for (const [event, listener] of listeners.splice(0)) proxy.on(event, listener as never);
    return proxy;
  };
  return {
    on(event, listener) {
      listeners.push([event, listener]);
      if (proxy !== null) loaded();
    },
    ws: ((...args: unknown[]) => (loaded().ws as (...a: unknown[]) => void)(...args)) as httpProxy['ws'],
  };
}

function build(): httpProxy {
  const { createProxyServer } = createRequire(import.meta.url)('http-proxy') as typeof httpProxy;
  const proxy = createProxyServer({ ws: true, xfwd: true });
  // A failed upgrade leaves nothing to answer on: the client socket is closed.
  proxy.on('error', (_err, _req, socket) => {
    if ('destroy' in socket) (socket as Socket).destroy();
  });
  // http-proxy throws synchronously on a target node cannot dial (a port
  // above 65535, an unparsable host): that becomes the callback's UF error,
  // never an exception out of the listener's upgrade handler.
  const ws = proxy.ws.bind(proxy) as (...args: unknown[]) => void;
  proxy.ws = ((...args: unknown[]) => {
    try {
      ws(...args);
    } catch (err) {
      const failure = new ProxyError('UF', `invalid upstream address: ${(err as Error).message}`, {
        cause: err,
      });
      const callback = args.findLast((a) => typeof a === 'function') as WsCallback | undefined;
      if (callback !== undefined) callback(failure, args[0], args[1]);
      else proxy.emit('error', failure, args[0], args[1]);
    }
  }) as typeof proxy.ws;
  return proxy;
}
