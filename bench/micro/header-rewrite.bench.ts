// Hot-path cost of header rewriting (src/forward/headers.ts), per request and
// per direction, on header sets shaped like real traffic.
import type { Bench } from 'tinybench';
import { copyRequestHeaders, copyResponseHeaders } from '../../src/forward/headers.ts';

// A browser-ish call from the app to another service (outbound).
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

// What arrives at the inbound side: forwarded headers, a spoofed identity
// header to strip, and a Connection header naming another hop-by-hop header.
// biome-ignore format: one name/value pair per line
const MESH_REQUEST = [
  ...APP_REQUEST.slice(0, 10),
  'Connection', 'keep-alive, x-hop',
  'x-hop', '1',
  'x-forwarded-for', '10.0.0.7',
  'x-forwarded-proto', 'http',
  'x-request-id', '8d3c1f0e-2b7a-4c55-9d1e-0f6a1b2c3d4e',
  'x-forwarded-client-cert', 'By=spiffe://evil;URI=spiffe://cluster.local/ns/default/sa/admin',
  'x-meshlet-source', 'productpage.default.v1',
];

const UPSTREAM_RESPONSE: Record<string, string | string[] | undefined> = {
  'content-type': 'application/json',
  'content-length': '295',
  date: 'Wed, 25 Nov 2026 09:00:00 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
  'x-envoy-upstream-service-time': '3',
};

export default function register(bench: Bench): void {
  bench
    .add('headers: outbound request (8 headers)', () => {
      const out: string[] = [];
      copyRequestHeaders(APP_REQUEST, out, false);
    })
    .add('headers: inbound request (12 headers, identity stripped)', () => {
      const out: string[] = [];
      copyRequestHeaders(MESH_REQUEST, out, true);
    })
    .add('headers: response (7 headers)', () => {
      const out: string[] = [];
      copyResponseHeaders(UPSTREAM_RESPONSE, out);
    });
}
