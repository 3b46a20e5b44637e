import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EWMA_DEFAULTS, PeakEwma } from '../../../src/balance/ewma.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

describe('PeakEwma', () => {
  it("starts at Linkerd's default RTT of 30 ms with a 10 s decay", () => {
    assert.equal(EWMA_DEFAULTS.defaultRttMs, 30);
    assert.equal(EWMA_DEFAULTS.decayMs, 10_000);
    close(new PeakEwma(0).value(0), 30);
  });

  it('takes a higher observation at once (the peak)', () => {
    const e = new PeakEwma(0);
    e.observe(500, 1);
    close(e.value(1), 500);
  });

  it('moves toward a lower observation by 1 − e^(−Δt/τ)', () => {
    const e = new PeakEwma(0, 100, 10_000);
    e.observe(10, 10_000);
    // 100·e⁻¹ + 10·(1 − e⁻¹)
    close(e.value(10_000), 100 * Math.exp(-1) + 10 * (1 - Math.exp(-1)));
  });

  it('decays toward zero while unobserved, without changing state on reads', () => {
    const e = new PeakEwma(0, 100, 10_000);
    close(e.value(10_000), 100 * Math.exp(-1));
    close(e.value(20_000), 100 * Math.exp(-2));
    close(e.value(10_000), 100 * Math.exp(-1));
  });

  it('settles on a steady latency whatever the request rate', () => {
    for (const gap of [1, 50, 5_000]) {
      const e = new PeakEwma(0, 30);
      let t = 0;
      while (t < 300_000) e.observe(12, (t += gap));
      close(e.value(t), 12, 1e-6);
    }
  });

  it('keeps idle estimates ordered after hours without an observation', () => {
    const e = new PeakEwma(0, 30);
    assert.ok(e.value(10 * 3_600_000) > 0);
  });
});
