// Tracing costs nothing until a config names an OTLP endpoint: the whole
// sidecar module graph loads without the OpenTelemetry SDK, and the SDK is
// imported the first time an endpoint is configured.
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
// The SDK, exporter, propagators and the API package (metrics take prom-client's
// process metrics by path, without its CPU counter that loads the API).
const otel = () => loaded.filter((url) => url.includes('/@opentelemetry/'));

describe('LazyTracing', () => {
  it('loads no OpenTelemetry SDK module until an endpoint is configured, then enables tracing', async () => {
    await import('../../../src/cli/run.ts');
    const { LazyTracing } = await import('../../../src/telemetry/lazy-tracing.ts');
    const { createLogger } = await import('../../../src/telemetry/log.ts');
    assert.ok(
      loaded.some((url) => url.endsWith('/src/listener/outbound.ts')),
      'the hook sees the sidecar modules',
    );
    assert.deepEqual(otel(), [], 'meshlet run and everything it imports');

    const tracing = new LazyTracing(
      'web',
      () => 0,
      () => {},
      createLogger('silent'),
    );
    tracing.configure(1, null);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(otel(), [], 'a config without an endpoint');
    assert.equal(tracing.enabled, false);
    assert.equal(
      tracing.start('server', 'GET web', {}, () => ({})),
      null,
    );

    tracing.configure(1, 'http://127.0.0.1:9/v1/traces');
    // The SDK loads in the background; requests meanwhile go untraced.
    while (!tracing.enabled) await new Promise((r) => setTimeout(r, 10));
    assert.ok(otel().length > 0, 'the SDK is loaded once an endpoint is set');
    const span = tracing.start('server', 'GET web', {}, () => ({}));
    assert.match(span?.traceId ?? '', /^[0-9a-f]{32}$/);
    tracing.configure(1, null);
    assert.equal(tracing.enabled, false, 'a reload can turn it off again');
    await tracing.shutdown();
  });
});
