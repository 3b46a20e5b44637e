// The headers a proxy adds to the request it forwards (after
// forward/headers.ts removed the hop-by-hop ones and collected these facts).
import type { Socket } from 'node:net';
import type { RequestHeadFacts } from '../forward/headers.ts';

/** x-forwarded-for (appended), x-forwarded-proto (kept if set), x-request-id (kept or generated). */
export function addForwardedHeaders(
  headers: string[],
  facts: RequestHeadFacts,
  socket: Socket,
  proto: 'http' | 'https',
  requestId: string,
): void {
  const peer = socket.remoteAddress ?? '';
  headers.push(
    'x-forwarded-for',
    facts.forwardedFor === undefined ? peer : `${facts.forwardedFor}, ${peer}`,
    'x-forwarded-proto',
    facts.forwardedProto ?? proto,
    'x-request-id',
    requestId,
  );
}

/** Replaces every Host in a flat header array with one `authority` (RFC 9112 §3.2.2, absolute-form). */
export function setHost(headers: string[], authority: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() === 'host') headers.splice(i, 2);
  }
  headers.push('host', authority);
}
