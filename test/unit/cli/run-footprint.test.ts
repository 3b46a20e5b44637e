// What an idle sidecar loads: `meshlet run` and its metrics registry import
// none of the packages it needs only for some traffic (http-proxy for the
// first upgrade, re2js for the first regex, the ASN.1 parser for the first
// peer certificate) nor any OpenTelemetry module, and each loads when its
// first use comes. Idle RSS figures: BENCHMARKS.md, "Footprint".
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';
import { describe, it } from 'node:test';

// Registered before the sidecar's modules are imported (dynamically, below).
const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
const has = (part: string) => loaded.some((url) => url.includes(part));

describe('meshlet run module graph', () => {
  it('loads optional packages on first use only', async () => {
    await import('../../../src/cli/run.ts');
    const { createMetrics } = await import('../../../src/telemetry/metrics.ts');
    const metrics = createMetrics({ istioCompat: false });
    const text = (await metrics.render(undefined)).body;
    assert.ok(has('/src/listener/outbound.ts'), 'the hook sees the sidecar modules');
    // An ESM import of a value from node:http loads Node's bundled undici (src/runtime/node-http.ts).
    assert.ok(
      !(process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes(
        'NativeModule internal/deps/undici/undici',
      ),
      'bundled undici',
    );
    assert.match(text, /^process_cpu_seconds_total \d/m, 'process metrics are registered');
    for (const part of [
      '/node_modules/http-proxy/',
      '/node_modules/re2js/',
      '/node_modules/@peculiar/',
      '/node_modules/@opentelemetry/',
      '/node_modules/prom-client/index.js',
      '/node_modules/prom-client/lib/defaultMetrics.js',
    ]) {
      assert.equal(has(part), false, `${part} loaded at start`);
    }

    const { createUpgradeProxy } = await import('../../../src/forward/upgrade.ts');
    const proxy = createUpgradeProxy();
    proxy.on('proxyReqWs', () => {});
    assert.equal(has('/node_modules/http-proxy/'), false, 'creating the upgrade proxy');

    const { compileRegex } = await import('../../../src/config/regex.ts');
    const re = compileRegex('/items/[0-9]+');
    assert.ok(re.ok && re.test('/items/42') && !re.test('/items/42/x'));
    assert.ok(has('/node_modules/re2js/'), 're2js loads with the first regex');
  });

  it('counts process CPU time without OpenTelemetry', async () => {
    const { createMetrics } = await import('../../../src/telemetry/metrics.ts');
    const metrics = createMetrics({ istioCompat: false });
    const value = (body: string, name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1] ?? Number.NaN);
    const first = (await metrics.render(undefined)).body;
    const start = process.cpuUsage().user;
    while (process.cpuUsage().user - start < 50_000); // 50 ms of user CPU
    const second = (await metrics.render(undefined)).body;
    const user = value(second, 'process_cpu_user_seconds_total');
    const system = value(second, 'process_cpu_system_seconds_total');
    assert.ok(user - value(first, 'process_cpu_user_seconds_total') >= 0.045, 'user time grows');
    assert.ok(
      Math.abs(value(second, 'process_cpu_seconds_total') - (user + system)) < 1e-6,
      'total = user + system',
    );
    assert.equal(has('/node_modules/@opentelemetry/'), false);
  });
});
