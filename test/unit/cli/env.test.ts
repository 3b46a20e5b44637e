import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  durationEnv,
  flagEnv,
  identityFromEnv,
  portSetting,
  readSettings,
  SettingsError,
} from '../../../src/cli/env.ts';

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

  it('reads every setting once: flags over variables over defaults', () => {
    const s = readSettings(
      { config: '/tmp/m.yaml', 'admin-port': '16000' },
      {
        MESHLET_CONFIG: '/ignored.yaml',
        MESHLET_ADMIN_PORT: '17000',
        MESHLET_INBOUND_PORT: '17006',
        MESHLET_DRAIN_SECONDS: '1',
        MESHLET_WORKERS: '3',
        MESHLET_METRICS: 'off',
        MESHLET_METRICS_COMPAT: 'istio',
        MESHLET_ACCESS_LOG: '1',
        MESHLET_MAX_HEADER_BYTES: '1024',
      },
    );
    assert.equal(s.configFile, '/tmp/m.yaml');
    assert.deepEqual(s.ports, { outbound: 15001, inbound: 17006, admin: 16000 });
    assert.deepEqual(
      [s.drainMs, s.workers, s.metrics, s.istioCompat, s.accessLog, s.limits.maxHeaderBytes],
      [1000, 3, false, true, true, 1024],
    );
    assert.equal(s.bind, undefined);
    assert.equal(s.appProbers.size, 0);
  });

  it('refuses a bad value of any setting, app probers included, as a SettingsError', () => {
    for (const env of [
      { MESHLET_WORKERS: 'two' },
      { MESHLET_DRAIN_SECONDS: 'later' },
      { MESHLET_APP_PORT: '-1' },
      { MESHLET_APP_PROBERS: '{"/wrong": {}}' },
      { MESHLET_APP_PROBERS: 'not json' },
    ]) {
      assert.throws(() => readSettings({}, env), SettingsError, JSON.stringify(env));
    }
  });
});
