// HTTP upgrades (WebSocket) are proxied with http-proxy, which handles the
// 101 handshake and the two-way pipe; plain requests use UpstreamCall instead
// (BENCHMARKS.md says why). Listeners rewrite identity headers before calling it.
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';

export function createUpgradeProxy(): httpProxy {
  const proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
  // A failed upgrade leaves nothing to answer on: the client socket is closed.
  proxy.on('error', (_err, _req, socket) => {
    if ('destroy' in socket) (socket as Socket).destroy();
  });
  return proxy;
}
