// Redirect step (outbound): a route with `redirect` is answered by the
// caller's sidecar with the configured status and a Location built from the
// request as the app sent it; nothing is forwarded. See docs/configuration.md
// ("Traffic policy", "redirect").
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResponseFlags } from '../../errors.ts';
import { type CompiledRedirect, redirectLocation } from '../../policy/redirect.ts';
import type { OutboundTarget } from '../../route/resolve.ts';
import { STATUS_CODES } from '../../runtime/node-http.ts';
import { replyError, writeRawError } from '../rescue.ts';
import { closeIfBodyUnread } from './reply.ts';

/** The Location for this request, or the DPE when the request cannot be part of a URL. */
function locationFor(
  redirect: CompiledRedirect,
  target: OutboundTarget,
): ReturnType<typeof redirectLocation> {
  // The app talks plain HTTP to its sidecar: its own scheme is http.
  return redirectLocation(redirect, { scheme: 'http', authority: target.authority, target: target.path });
}

/** Answers the redirect and records it with its status (DPE when the request cannot be part of a URL). */
export function answerRedirect(
  res: ServerResponse,
  redirect: CompiledRedirect,
  target: OutboundTarget,
  finish: (status: number, flags: ResponseFlags) => void,
): void {
  const location = locationFor(redirect, target);
  if (typeof location !== 'string') {
    replyError(res, location);
    finish(location.status, location.flag);
    return;
  }
  closeIfBodyUnread(res);
  res.writeHead(redirect.status, { location, 'content-length': 0 });
  res.end();
  finish(redirect.status, '-');
}

/**
 * The same answer to an upgrade request (WebSocket), written on its socket,
 * which is closed after it: a route that redirects forwards nothing, upgrades
 * included.
 */
export function answerRedirectUpgrade(
  socket: Duplex,
  redirect: CompiledRedirect,
  target: OutboundTarget,
  finish: (status: number, flags: ResponseFlags) => void,
): void {
  const location = locationFor(redirect, target);
  if (typeof location !== 'string') {
    writeRawError(socket as Socket, location);
    finish(location.status, location.flag);
    return;
  }
  socket.end(
    `HTTP/1.1 ${redirect.status} ${STATUS_CODES[redirect.status]}\r\nlocation: ${location}\r\n` +
      'content-length: 0\r\nconnection: close\r\n\r\n',
  );
  finish(redirect.status, '-');
}
