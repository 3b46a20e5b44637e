// Redirect step (outbound): a route with `redirect` is answered by the
// caller's sidecar with the configured status and a Location built from the
// request as the app sent it; nothing is forwarded. See docs/configuration.md
// ("redirect").
import type { ServerResponse } from 'node:http';
import type { ResponseFlags } from '../../errors.ts';
import { type CompiledRedirect, redirectLocation } from '../../policy/redirect.ts';
import type { OutboundTarget } from '../../route/resolve.ts';
import { replyError } from '../rescue.ts';
import { closeIfBodyUnread } from './reply.ts';

/** Answers the redirect and records it with its status (DPE when the request cannot be part of a URL). */
export function answerRedirect(
  res: ServerResponse,
  redirect: CompiledRedirect,
  target: OutboundTarget,
  finish: (status: number, flags: ResponseFlags) => void,
): void {
  // The app talks plain HTTP to its sidecar: its own scheme is http.
  const location = redirectLocation(redirect, {
    scheme: 'http',
    authority: target.authority,
    target: target.path,
  });
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
