// Hot-path cost of choosing an endpoint (src/balance/endpoint-set.ts): the
// P2C peak-EWMA pick over 3 and 30 endpoints (the figure to hold under
// 200 ns), the pick with its report, the alternatives, and a retry's pick
// that avoids the endpoints already tried. Real clock and Math.random, as the
// sidecar runs them.
import type { Bench } from 'tinybench';
import { BALANCE_DEFAULTS, type Endpoint, EndpointSet } from '../../src/balance/endpoint-set.ts';
import { endpointAddress } from '../../src/discovery/address.ts';
import { ProxyError } from '../../src/errors.ts';

function endpointSet(n: number, loadBalancer = BALANCE_DEFAULTS.loadBalancer): EndpointSet {
  const set = new EndpointSet('reviews', 'v1', { policy: { ...BALANCE_DEFAULTS, loadBalancer } });
  set.update(Array.from({ length: n }, (_, i) => endpointAddress(`10.0.${i >> 8}.${i & 255}`, 9080)));
  // Give the estimates some spread, as real traffic would.
  for (let i = 0; i < n * 20; i++) {
    const e = set.pick() as Endpoint;
    set.report(e.key, 'success', 5 + (i % 7));
  }
  return set;
}

function pickOnly(set: EndpointSet): () => void {
  // Nothing is reported, so pending counts only grow; the cost of a pick does
  // not depend on their size.
  return () => {
    if (set.pick() instanceof ProxyError) throw new Error('no endpoint');
  };
}

export default function register(bench: Bench): void {
  const p3 = endpointSet(3);
  const p30 = endpointSet(30);
  const rr30 = endpointSet(30, 'round-robin');
  const lr30 = endpointSet(30, 'least-request');
  const retry = endpointSet(30);
  const pair = endpointSet(30);
  bench
    .add('balance: P2C peak-EWMA pick, 3 endpoints', pickOnly(p3))
    .add('balance: P2C peak-EWMA pick, 30 endpoints', pickOnly(p30))
    .add('balance: least-request pick, 30 endpoints', pickOnly(lr30))
    .add('balance: round-robin pick, 30 endpoints', pickOnly(rr30))
    .add('balance: P2C pick + report, 30 endpoints', () => {
      const e = pair.pick() as Endpoint;
      pair.report(e.key, 'success', 8);
    });
  const tried = new Set<string>();
  bench.add('balance: retry pick avoiding 1 tried, 30 endpoints', () => {
    tried.clear();
    const first = retry.pick() as Endpoint;
    tried.add(first.key);
    const second = retry.pick(tried) as Endpoint;
    retry.report(first.key, 'gateway-failure', 1);
    retry.report(second.key, 'success', 8);
  });
}
