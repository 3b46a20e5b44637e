// The admin port's /explain: `meshlet explain` against this sidecar's live
// config (and live endpoint states when balancing knows them). Query:
// host, method, path, header=name:value (repeatable), from, random. See
// docs/cli.md, "meshlet explain".
import type { ServerResponse } from 'node:http';
import type { EndpointsSnapshot } from '../balance/snapshot.ts';
import type { CompiledMesh } from '../config/types.ts';
import { ExplainInputError, explainRequest, type LiveState } from '../route/explain.ts';
import type { OutboundTarget } from '../route/resolve.ts';

/** What /explain reads of the sidecar's balancing (src/balance/wiring.ts). */
export interface LiveBalancing {
  endpoints(): EndpointsSnapshot;
  steer(target: OutboundTarget): OutboundTarget;
}

const MAX_HEADERS = 64;
const METHOD = /^[A-Z]+$/;

/** The /explain body for a request URL's query, or a 400 with the reason. */
export function explainQuery(
  mesh: CompiledMesh,
  url: string,
  balancing?: LiveBalancing,
): { status: number; body: unknown } {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const bad = (error: string) => ({ status: 400, body: { error } });
  const host = query.get('host');
  if (host === null || host === '') return bad('host is required, e.g. /explain?host=reviews&path=/api/1');
  const method = query.get('method') ?? 'GET';
  if (!METHOD.test(method)) return bad(`method '${method.slice(0, 40)}' is not an upper-case HTTP method`);
  const target = query.get('path') ?? '/';
  if (!target.startsWith('/')) return bad("path must start with '/'");
  const given = query.getAll('header');
  if (given.length > MAX_HEADERS) return bad(`at most ${MAX_HEADERS} headers`);
  const headers: [string, string][] = [];
  for (const h of given) {
    const colon = h.indexOf(':');
    if (colon <= 0) return bad(`header '${h.slice(0, 80)}' is not name:value`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  const randomText = query.get('random');
  const random = randomText === null ? undefined : Number(randomText);
  try {
    const body = explainRequest(
      mesh,
      { host, method, target, headers, from: query.get('from') ?? undefined, random },
      balancing === undefined ? undefined : liveState(balancing),
    );
    return { status: 200, body };
  } catch (err) {
    if (err instanceof ExplainInputError) return bad(err.message);
    throw err;
  }
}

/** Endpoint states from one /endpoints snapshot, taken once per question. */
function liveState(balancing: LiveBalancing): LiveState {
  const snapshot = balancing.endpoints();
  return {
    endpoints: (service, version) =>
      snapshot.versions.find((v) => v.service === service && v.version === version)?.endpoints ?? null,
    steer: (target) => balancing.steer(target),
  };
}

export function serveExplain(
  res: ServerResponse,
  mesh: CompiledMesh,
  url: string,
  balancing?: LiveBalancing,
): void {
  let reply: { status: number; body: unknown };
  try {
    reply = explainQuery(mesh, url, balancing);
  } catch (err) {
    // A question we cannot answer must not take the admin port down.
    reply = { status: 500, body: { error: (err as Error).message } };
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(reply.body, null, 2)}\n`);
}
