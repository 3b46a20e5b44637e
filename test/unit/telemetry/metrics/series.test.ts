import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistogramFamily, ValueFamily } from '../../../../src/telemetry/metrics/series.ts';

describe('series library', () => {
  it('hands out one series per label set and mutates it in place', async () => {
    const f = new ValueFamily('x_total', 'x', 'counter');
    const a = f.series({ code: '200' });
    assert.equal(f.series({ code: '200' }), a);
    a.value += 2;
    f.series({ code: '503' }).value++;
    const snap = await f.get();
    assert.equal(snap.aggregator, 'sum');
    assert.deepEqual(
      snap.values.map((v) => [v.labels, v.value]),
      [
        [{ code: '200' }, 2],
        [{ code: '503' }, 1],
      ],
    );
  });

  it('a gauge keyed by an identifying label keeps only the current series', async () => {
    const f = new ValueFamily('info', 'x', 'gauge');
    f.replaceAll({ hash: 'a' }, 1);
    f.replaceAll({ hash: 'b' }, 1);
    const snap = await f.get();
    assert.equal(snap.aggregator, 'max', 'workers report the same gauge: not added up');
    assert.deepEqual(
      snap.values.map((v) => v.labels),
      [{ hash: 'b' }],
    );
  });

  it('puts a value equal to a bound in that bound’s bucket and renders cumulative counts', async () => {
    const f = new HistogramFamily('d_seconds', 'd', [0.1, 1], false);
    const s = f.series({ route: 'r' });
    for (const v of [0.1, 0.5, 1, 5]) s.observe(v, undefined);
    const values = (await f.get()).values;
    const bucket = (le: number | string) =>
      values.find((v) => v.metricName === 'd_seconds_bucket' && v.labels.le === le)!.value;
    assert.deepEqual([bucket(0.1), bucket(1), bucket('+Inf')], [1, 3, 4]);
    assert.equal(values.find((v) => v.metricName === 'd_seconds_count')!.value, 4);
    assert.equal(values.find((v) => v.metricName === 'd_seconds_sum')!.value, 6.6);
  });

  it('keeps the latest exemplar per bucket, only where exemplars are on', async () => {
    const f = new HistogramFamily('d_seconds', 'd', [0.1, 1], true);
    const s = f.series({});
    s.observe(0.05, 'a'.repeat(32));
    s.observe(0.07, 'b'.repeat(32));
    s.observe(0.5, undefined);
    const exemplars = (await f.get()).values
      .filter((v) => v.metricName === 'd_seconds_bucket')
      .map((v) => v.exemplar && { trace: v.exemplar.labelSet.trace_id, value: v.exemplar.value });
    assert.deepEqual(exemplars, [{ trace: 'b'.repeat(32), value: 0.07 }, null, null]);
    const off = new HistogramFamily('e', 'e', [1], false);
    off.series({}).observe(0.5, 'c'.repeat(32));
    assert.ok((await off.get()).values.every((v) => !v.exemplar));
  });
});
