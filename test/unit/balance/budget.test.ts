import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUDGET_DEFAULTS, RetryBudget } from '../../../src/balance/budget.ts';

describe('RetryBudget', () => {
  it("Linkerd's defaults: 20 % of requests plus 10 per second over 10 s", () => {
    assert.deepEqual(BUDGET_DEFAULTS, { ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 });
  });

  it('full outage at 100 req/s for 60 s, every request retried until refused: attempts ≤ 1.2 × requests + 10/s', () => {
    const budget = new RetryBudget(BUDGET_DEFAULTS, 0);
    let requests = 0;
    let retries = 0;
    for (let t = 0; t < 60_000; t += 10) {
      budget.recordRequest(t);
      requests++;
      // up to 3 retries each, as a route with `attempts: 4` would try
      for (let r = 0; r < 3 && budget.tryRetry(t); r++) retries++;
    }
    const attempts = requests + retries;
    // The reserve of one window (10/s × 10 s) is spendable at once, so the bound over T is 1.2·R + 10·(T + 10 s).
    assert.ok(attempts <= 1.2 * requests + 10 * (60 + 10), `${attempts} attempts for ${requests} requests`);
    // And the budget is used, not just refused: in steady state 20 % + 10/s.
    assert.ok(attempts >= 1.2 * requests + 10 * 60 - 50, `${attempts} attempts for ${requests} requests`);
  });

  it('no traffic: 10 retries a second are still allowed', () => {
    const budget = new RetryBudget(BUDGET_DEFAULTS, 0);
    let allowed = 0;
    for (let t = 0; t < 100_000; t += 100) if (budget.tryRetry(t)) allowed++;
    assert.ok(allowed <= 10 * 100 + 100 && allowed >= 10 * 100 - 10, `${allowed}`);
  });

  it('a quiet spell longer than the window empties it', () => {
    const budget = new RetryBudget(BUDGET_DEFAULTS, 0);
    for (let i = 0; i < 1000; i++) budget.recordRequest(0);
    let first = 0;
    while (budget.tryRetry(0)) first++;
    assert.equal(first, 300);
    let later = 0;
    while (budget.tryRetry(60_000)) later++;
    assert.equal(later, 100);
  });

  it('in every window, retries ≤ ratio × requests + the per-second reserve (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), retry: fc.boolean() }), {
          maxLength: 400,
        }),
        (steps) => {
          const budget = new RetryBudget(BUDGET_DEFAULTS, 0);
          const log: { t: number; retry: boolean }[] = [];
          let t = 0;
          for (const s of steps) {
            t += s.gap;
            if (s.retry) {
              if (budget.tryRetry(t)) log.push({ t, retry: true });
            } else {
              budget.recordRequest(t);
              log.push({ t, retry: false });
            }
          }
          // Any 9 s span lies within one 10-bucket window, whatever the bucket alignment.
          for (const end of log) {
            const inSpan = log.filter((e) => e.t > end.t - 9_000 && e.t <= end.t);
            const r = inSpan.filter((e) => e.retry).length;
            const q = inSpan.length - r;
            if (r > 0.2 * q + 100) return false;
          }
          return true;
        },
      ),
    );
  });
});
