import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationEnv, flagEnv, identityFromEnv, portSetting, SettingsError } from '../../../src/cli/env.ts';

describe('sidecar settings from the environment', () => {
  it('reads the identity, with defaults', () => {
    assert.deepEqual(identityFromEnv({ MESHLET_SERVICE: 'reviews', MESHLET_WORKLOAD: 'reviews-v2' }), {
      service: 'reviews',
      workload: 'reviews-v2',
      namespace: 'default',
      version: 'unknown',
      serviceAccount: 'reviews',
    });
    assert.equal(identityFromEnv({ MESHLET_SERVICE: 'ratings' }).workload, 'ratings');
  });

  it('takes a port from the flag, then the variable, then the default, and rejects bad ones', () => {
    assert.equal(
      portSetting('16001', { MESHLET_OUTBOUND_PORT: '17001' }, 'MESHLET_OUTBOUND_PORT', 15001),
      16001,
    );
    assert.equal(
      portSetting(undefined, { MESHLET_OUTBOUND_PORT: '17001' }, 'MESHLET_OUTBOUND_PORT', 15001),
      17001,
    );
    assert.equal(portSetting(undefined, {}, 'MESHLET_OUTBOUND_PORT', 15001), 15001);
    assert.throws(() => portSetting('99999', {}, 'MESHLET_ADMIN_PORT', 15000), SettingsError);
    assert.throws(
      () => portSetting(undefined, { MESHLET_ADMIN_PORT: 'x' }, 'MESHLET_ADMIN_PORT', 15000),
      /non-negative integer/,
    );
  });

  it('reads durations as seconds or with a unit, and flags leniently', () => {
    assert.equal(durationEnv({ MESHLET_DRAIN_SECONDS: '2.5' }, 'MESHLET_DRAIN_SECONDS', 5000), 2500);
    assert.equal(durationEnv({ MESHLET_HEADERS_TIMEOUT: '400ms' }, 'MESHLET_HEADERS_TIMEOUT', 1), 400);
    assert.throws(
      () => durationEnv({ MESHLET_HEADERS_TIMEOUT: 'soon' }, 'MESHLET_HEADERS_TIMEOUT', 1),
      SettingsError,
    );
    assert.equal(flagEnv({ MESHLET_METRICS: 'off' }, 'MESHLET_METRICS', true), false);
    assert.equal(flagEnv({}, 'MESHLET_METRICS', true), true);
  });
});
