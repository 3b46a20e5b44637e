// Per-request cost of the traffic-policy steps (src/policy/*): a route with
// headers set, a 0 % fault and a 0 % mirror against the same route without
// them, both on top of the header copying the forward core does anyway; then
// each step on its own. A proxied request costs ~30-40 us here, so 5 % is
// ~1.5 us.
import type { Bench } from 'tinybench';
import { copyRequestHeaders, copyResponseHeaders } from '../../src/forward/headers.ts';
import { decideFault } from '../../src/policy/fault.ts';
import { applyHeaderRewrite } from '../../src/policy/headers.ts';
import { MirrorTee, shouldMirror } from '../../src/policy/mirror.ts';
import { queryMatches } from '../../src/policy/query.ts';
import { compileRateLimit, RateLimiter } from '../../src/policy/rate-limit.ts';
import { redirectLocation } from '../../src/policy/redirect.ts';
import { rewriteTarget } from '../../src/policy/rewrite.ts';
import { compileRoutePolicy, type RawRoutePolicy, type RoutePolicy } from '../../src/policy/route-policy.ts';

// biome-ignore format: one name/value pair per line
const APP_REQUEST = [
  'Host', 'reviews:9080',
  'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
  'Accept', 'application/json',
  'Accept-Encoding', 'gzip, deflate, br',
  'Accept-Language', 'en-US,en;q=0.9',
  'Connection', 'keep-alive',
  'traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'x-user', 'jason',
];

const UPSTREAM_RESPONSE: Record<string, string | string[] | undefined> = {
  'content-type': 'application/json',
  'content-length': '295',
  date: 'Wed, 25 Nov 2026 09:00:00 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'x-envoy-upstream-service-time': '3',
};

const CTX = { versions: new Set(['v1', 'v2']), routePrefix: '/api' };

function policy(raw: RawRoutePolicy): RoutePolicy {
  const r = compileRoutePolicy(raw, CTX);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const HEADERS = {
  request: { set: { 'x-version': 'v2' }, add: { 'x-canary': '1' }, remove: ['x-debug'] },
  response: { set: { 'cache-control': 'no-store' }, remove: ['server'] },
};
const NONE = policy({});
const ZERO = policy({
  headers: HEADERS,
  fault: { delay: { percent: 0, duration: '1s' }, abort: { percent: 0, status: 503 } },
  mirror: { version: 'v2', percent: 0 },
});
const DRAWN = policy({
  headers: HEADERS,
  fault: { delay: { percent: 0.001, duration: '1s' }, abort: { percent: 0.001, status: 503 } },
  mirror: { version: 'v2', percent: 0.001 },
});
const REWRITE = policy({ rewrite: { pathPrefix: '/v2', host: 'reviews-v2' } }).rewrite!;
const REDIRECT = policy({ redirect: { scheme: 'https', path: '/new', status: 301 } }).redirect!;
const QUERY = policy({ match: { query: { animal: { exact: 'whale' }, v: { regex: 'v[0-9]+' } } } }).query!;

const limit = compileRateLimit(
  { requestsPerSecond: 1e6, burst: 1e6, perCaller: { batch: 100 } },
  (e) => `spiffe://cluster.local/ns/default/sa/${e}`,
);
if (!limit.ok || limit.value === null) throw new Error('rate limit');
const limiter = new RateLimiter(limit.value, performance.now.bind(performance));

let sink = 0;

/** What the forward core does per request with a route's policy: each step behind one null check. */
function request(p: RoutePolicy): void {
  if (p.fault !== null) {
    const f = decideFault(p.fault, Math.random);
    if (f !== null) sink++;
  }
  if (p.mirror !== null && shouldMirror(p.mirror, Math.random)) sink++;
  const req: string[] = [];
  copyRequestHeaders(APP_REQUEST, req, false);
  if (p.headers?.request) applyHeaderRewrite(p.headers.request, req);
  const res: string[] = [];
  copyResponseHeaders(UPSTREAM_RESPONSE, res);
  if (p.headers?.response) applyHeaderRewrite(p.headers.response, res);
  sink += req.length + res.length;
}

export default function register(bench: Bench): void {
  const chunk = Buffer.alloc(16 * 1024);
  bench
    .add('policy: route without options (header copy only)', () => request(NONE))
    .add('policy: headers set/add/remove both ways, 0 % fault, 0 % mirror', () => request(ZERO))
    .add('policy: same with 0.001 % fault and mirror (3 random draws)', () => request(DRAWN))
    .add('policy: rate limit take (service bucket)', () => {
      if (limiter.take(null).allowed) sink++;
    })
    .add('policy: query match exact + regex', () => {
      if (queryMatches(QUERY, '/api/list?page=2&animal=whale&v=v12')) sink++;
    })
    .add('policy: rewrite prefix', () => {
      sink += rewriteTarget(REWRITE, '/api/reviews/1?x=1').length;
    })
    .add('policy: redirect Location', () => {
      const l = redirectLocation(REDIRECT, { scheme: 'http', authority: 'reviews:9080', target: '/old?x=1' });
      if (typeof l === 'string') sink += l.length;
    })
    .add('policy: mirror tee, 4 x 16 KiB to a ready sink', () => {
      const tee = new MirrorTee({
        write: () => true,
        end: () => sink++,
        destroy: () => sink--,
        once: () => undefined,
        on: () => undefined,
      });
      for (let i = 0; i < 4; i++) tee.write(chunk);
      tee.end();
    });
}
