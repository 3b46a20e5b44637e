// Per-request cost of tracing on the sidecar's hot path: the unsampled cases
// (most requests at a 1-10 % ratio) and a sampled span with injection.
// Run: node bench/micro/tracing.bench.ts
import { Bench } from 'tinybench';
import { createTracing } from '../../src/telemetry/tracing.ts';

// A port nothing listens on: spans are exported into the void and dropped,
// which is what the hot path sees when the collector is down.
const tracing = createTracing({
  serviceName: 'bench',
  sampling: 0,
  otlpEndpoint: 'http://127.0.0.1:1/v1/traces',
  scheduledDelayMillis: 50,
  random: Math.random,
});
const sampled = createTracing({
  serviceName: 'bench',
  sampling: 1,
  otlpEndpoint: 'http://127.0.0.1:1/v1/traces',
  scheduledDelayMillis: 50,
  random: Math.random,
});
const noParent = { host: 'reviews:9080', 'user-agent': 'bench' };
const unsampledParent = {
  ...noParent,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
};
const attrs = {};

const bench = new Bench({ time: 500 });
bench
  .add('start: unsampled parent (returns null)', () => {
    tracing.start('server', 'GET reviews', unsampledParent, () => attrs);
  })
  .add('start+inject: new trace, ratio 0 (propagate-only)', () => {
    const h = tracing.start('client', 'GET reviews', noParent, () => attrs);
    const headers: string[] = ['host', 'reviews:9080'];
    h?.inject(headers);
    h?.end(200, '-');
  })
  .add('start+inject+end: sampled span', () => {
    const h = sampled.start('client', 'GET reviews', noParent, () => attrs);
    const headers: string[] = ['host', 'reviews:9080'];
    h?.inject(headers);
    h?.end(200, '-');
  });

await bench.run();
console.table(bench.table());
await Promise.all([tracing.shutdown(), sampled.shutdown()]);
