import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BALANCE_DEFAULTS } from '../../../src/balance/endpoint-set.ts';
import { compileBalance, compileEndpoints, compileGuard } from '../../../src/config/compile-balance.ts';
import { CompileError } from '../../../src/config/compile-error.ts';
import { formatIssue, loadMeshText } from '../../../src/config/load.ts';

const SELF = { service: 't', workload: 't', namespace: 'default', version: 'v1', serviceAccount: 't' };

function issues(text: string): string[] {
  const r = loadMeshText(text, 'mesh.yaml', SELF);
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe('compileBalance', () => {
  it('a service that sets nothing shares the defaults object: P2C over peak-EWMA, Envoy outlier and breaker defaults, the retry budget on', () => {
    assert.equal(compileBalance({}, ['services', 'r']), BALANCE_DEFAULTS);
    assert.equal(BALANCE_DEFAULTS.loadBalancer, 'peak-ewma');
    assert.notEqual(BALANCE_DEFAULTS.outlier, null);
  });

  it('fills what is left out from the defaults, and outlierDetection: false turns ejection off', () => {
    const p = compileBalance(
      {
        loadBalancer: 'least-request',
        outlierDetection: false,
        circuitBreaker: { maxRequests: 7 },
        retryBudget: { ratio: 0.5 },
      },
      ['services', 'r'],
    );
    assert.equal(p.loadBalancer, 'least-request');
    assert.equal(p.outlier, null);
    assert.deepEqual(p.breaker, { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 7 });
    assert.deepEqual(p.budget, { ratio: 0.5, minRetriesPerSecond: 10, windowMs: 10_000 });
    const o = compileBalance({ outlierDetection: { baseEjectionTime: '2s' } }, ['services', 'r']).outlier!;
    assert.equal(o.baseEjectionTimeMs, 2000);
    assert.equal(o.maxEjectionTimeMs, 300_000);
  });

  it('refuses a maxEjectionTime below baseEjectionTime, at file:line:col', () => {
    const errs = issues(
      'services:\n  r:\n    outlierDetection: { baseEjectionTime: 10s, maxEjectionTime: 1s }\n    versions:\n      v1: { host: a }\n',
    );
    assert.deepEqual(errs, [
      "mesh.yaml:3:65: services.r.outlierDetection.maxEjectionTime: expected a duration of at least baseEjectionTime (10s), got '1s'",
    ]);
  });

  it('refuses an unknown balancer with the accepted names', () => {
    assert.match(
      issues('services:\n  r:\n    loadBalancer: p2c\n    versions:\n      v1: { host: a }\n')[0]!,
      /^mesh\.yaml:3:19: .*"peak-ewma", "round-robin", "least-request"/,
    );
  });
});

describe('compileEndpoints', () => {
  it('parses IPs with or without a port (the version port), folds duplicates, keeps order', () => {
    const list = compileEndpoints(
      { endpoints: ['10.0.0.2', '10.0.0.1:81', '10.0.0.2:9080', '[fd00::1]:82'] },
      9080,
      ['v'],
    )!;
    assert.deepEqual(
      list.map((e) => e.authority),
      ['10.0.0.2:9080', '10.0.0.1:81', '[fd00::1]:82'],
    );
    assert.equal(compileEndpoints({ host: 'reviews' }, 80, ['v']), null);
  });

  it('a version needs host or endpoints; a name in endpoints is refused with its index and the expected form', () => {
    assert.deepEqual(issues('services:\n  r:\n    versions:\n      v1: {}\n'), [
      'mesh.yaml:4:11: services.r.versions.v1: expected host (a name looked up in DNS, e.g. reviews-v1) or endpoints (a list such as ["10.1.2.3:9080"])',
    ]);
    assert.match(
      issues('services:\n  r:\n    versions:\n      v1: { endpoints: ["10.0.0.1:80", "foo:80"] }\n')[0]!,
      /^mesh\.yaml:4:40: services\.r\.versions\.v1\.endpoints\.1: expected an IP address with an optional port/,
    );
  });

  it('any string list either compiles to valid endpoints or throws a CompileError, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 5 }), (entries) => {
        try {
          const list = compileEndpoints({ endpoints: entries }, 80, ['v'])!;
          for (const e of list) {
            assert.ok(e.port >= 1 && e.port <= 65535);
            assert.doesNotThrow(() => new URL(`http://${e.authority}`));
          }
        } catch (err) {
          assert.ok(err instanceof CompileError, String(err));
        }
      }),
    );
  });
});

describe('compileGuard', () => {
  it('defaults window 30s and minRequests 20; the baseline must be a split version; a limit is required', () => {
    assert.deepEqual(compileGuard({ baseline: 'v1', maxErrorRate: 0.05 }, { v1: 90, v2: 10 }, ['g']), {
      baseline: 'v1',
      maxErrorRate: 0.05,
      maxLatencyP99Ms: null,
      windowMs: 30_000,
      minRequests: 20,
    });
    assert.throws(
      () => compileGuard({ baseline: 'v3', maxErrorRate: 0.1 }, { v1: 1 }, ['g']),
      /expected one of the route's split versions \(v1\)/,
    );
    assert.throws(
      () => compileGuard({ baseline: 'v1' }, { v1: 1 }, ['g']),
      /maxErrorRate \(0\.\.1\) or maxLatencyP99/,
    );
  });
});
