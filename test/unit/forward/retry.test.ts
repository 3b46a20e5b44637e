import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RetryPolicy } from '../../../src/config/types.ts';
import { type AttemptFacts, decideRetry } from '../../../src/forward/retry.ts';

const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 2,
  onConnectFailure: true,
  onReset: true,
  statuses: new Set([503]),
  perTryTimeoutMs: 300,
  ...p,
});

const facts = (f: Partial<AttemptFacts>): AttemptFacts => ({
  outcome: 200,
  attempt: 1,
  policy: policy(),
  replayable: true,
  method: 'GET',
  raceRetried: false,
  deadlinePassed: false,
  ...f,
});

describe('decideRetry', () => {
  it('a spent retry budget gives up as if the attempts were spent: the first answer as is, later ones URX', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 503, budgetAllows: false })), { retry: false, flag: '-' });
    assert.deepEqual(decideRetry(facts({ outcome: 503, attempt: 2, budgetAllows: false })), {
      retry: false,
      flag: 'URX',
    });
    assert.deepEqual(decideRetry(facts({ outcome: 'connect-failure', budgetAllows: false })), {
      retry: false,
      flag: 'UF',
    });
    // The keep-alive race retry is not a policy retry: the budget does not hold it back.
    assert.deepEqual(decideRetry(facts({ outcome: 'reset', policy: null, budgetAllows: false })), {
      retry: true,
      race: true,
    });
  });

  it('retries a GET on connect failure on another endpoint', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'connect-failure' })), { retry: true, race: false });
  });

  it('never replays a streamed POST', () => {
    for (const outcome of ['connect-failure', 'reset', 'timeout', 503] as const) {
      const d = decideRetry(facts({ outcome, method: 'POST', replayable: false }));
      assert.equal(d.retry, false, `outcome ${outcome}`);
    }
  });

  it('retries a POST whose body was not read yet on connect failure', () => {
    assert.equal(decideRetry(facts({ outcome: 'connect-failure', method: 'POST' })).retry, true);
  });

  it('retries once on a keep-alive race for an idempotent request', () => {
    const first = decideRetry(facts({ outcome: 'reset', policy: null }));
    assert.deepEqual(first, { retry: true, race: true });
    const second = decideRetry(facts({ outcome: 'reset', policy: null, attempt: 2, raceRetried: true }));
    assert.deepEqual(second, { retry: false, flag: 'URX' });
  });

  it('does not take the keep-alive race retry for a POST', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'reset', policy: null, method: 'POST' })), {
      retry: false,
      flag: 'UC',
    });
  });

  it('gives up with URX after the attempts', () => {
    assert.equal(decideRetry(facts({ outcome: 'connect-failure', attempt: 2 })).retry, true);
    assert.deepEqual(decideRetry(facts({ outcome: 'connect-failure', attempt: 3 })), {
      retry: false,
      flag: 'URX',
    });
  });

  it('gives up with the attempt flag when there is no policy', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'connect-failure', policy: null })), {
      retry: false,
      flag: 'UF',
    });
  });

  it('does not retry a connect failure when the policy only lists statuses', () => {
    const d = decideRetry(facts({ outcome: 'connect-failure', policy: policy({ onConnectFailure: false }) }));
    assert.deepEqual(d, { retry: false, flag: 'UF' });
  });

  it('a per-try timeout is retried while the route deadline has not passed', () => {
    assert.equal(decideRetry(facts({ outcome: 'timeout' })).retry, true);
  });

  it('a per-try timeout past the route deadline is UT not URX', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'timeout', attempt: 2, deadlinePassed: true })), {
      retry: false,
      flag: 'UT',
    });
  });

  it('the last per-try timeout after retries is UT (the caller waited the full time)', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'timeout', attempt: 3 })), { retry: false, flag: 'UT' });
  });

  it('retries a listed status and forwards an unlisted one untouched', () => {
    assert.equal(decideRetry(facts({ outcome: 503 })).retry, true);
    assert.deepEqual(decideRetry(facts({ outcome: 500 })), { retry: false, flag: '-' });
    assert.deepEqual(decideRetry(facts({ outcome: 200, attempt: 3 })), { retry: false, flag: '-' });
  });

  it('forwards the last retriable status flagged URX once retries were spent', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 503, attempt: 3 })), { retry: false, flag: 'URX' });
  });

  it('forwards a retriable status of the first attempt as is when the body cannot be replayed', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 503, replayable: false, method: 'POST' })), {
      retry: false,
      flag: '-',
    });
  });

  it('a cancelled attempt is never retried', () => {
    assert.deepEqual(decideRetry(facts({ outcome: 'cancelled' })), { retry: false, flag: 'LR' });
  });

  it('zero attempts in the policy means no policy retry', () => {
    const d = decideRetry(facts({ outcome: 'connect-failure', policy: policy({ attempts: 0 }) }));
    assert.deepEqual(d, { retry: false, flag: 'UF' });
  });
});
