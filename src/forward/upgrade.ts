// HTTP upgrades (WebSocket) are proxied with http-proxy, which handles the
// 101 handshake and the two-way pipe; plain requests use UpstreamCall instead
// (BENCHMARKS.md says why). Listeners rewrite identity headers before calling it.
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import { ProxyError } from '../errors.ts';

type WsCallback = (err: Error, ...rest: unknown[]) => void;

export function createUpgradeProxy(): httpProxy {
  const proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
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
