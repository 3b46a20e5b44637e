// Exposition through prom-client: its registry holds our families beside the
// default Node process metrics, and formats Prometheus text or, when the
// scraper asks for it, OpenMetrics with exemplars.
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type OpenMetricsContentType, Registry } from 'prom-client';
import type { Family, FamilySnapshot } from './series.ts';

export interface Exposition {
  readonly registry: Registry;
  /** Registers a family for exposition and returns it. */
  add<T extends Family>(family: T): T;
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

/** Renders a prom-client registry as OpenMetrics without prom-client renaming counters in place. */
async function renderOpenMetrics(
  registry: Registry,
  formatter: Registry<OpenMetricsContentType>,
): Promise<string> {
  const parts = await Promise.all(
    registry.getMetricsAsArray().map((metric) => {
      const m = metric as unknown as { type: string; get(): Promise<FamilySnapshot> };
      const view =
        m.type === 'counter'
          ? {
              get: async () => {
                const snap = await m.get();
                return { ...snap, name: snap.name.replace(/_total$/, '') };
              },
            }
          : m;
      // getMetricsAsString is public at run time but missing from prom-client's typings.
      return (formatter as unknown as { getMetricsAsString(m: unknown): Promise<string> }).getMetricsAsString(
        view,
      );
    }),
  );
  return `${parts.join('\n')}\n# EOF\n`;
}

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') === true;
}

type DefaultMetric = (registry: Registry, config: object) => void;
const requireCjs = createRequire(import.meta.url);

/**
 * prom-client's default Node process metrics, except the GC duration
 * histogram: its PerformanceObserver runs a JS callback on every scavenge,
 * which with the sidecar's small young generation is thousands of times a
 * second under load (1.5 % of proxy CPU in a profile, BENCHMARKS.md).
 */
function collectProcessMetrics(registry: Registry): void {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === 'gc') continue;
    const collect = requireCjs(`prom-client/lib/metrics/${name}`) as DefaultMetric;
    collect(registry, { eventLoopMonitoringPrecision: 10 });
  }
}

export function createExposition(): Exposition {
  const registry = new Registry();
  const openMetricsFormatter = new Registry<OpenMetricsContentType>();
  openMetricsFormatter.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectProcessMetrics(registry);
  return {
    registry,
    add(family) {
      registry.registerMetric(family as never);
      return family;
    },
    async render(accept) {
      if (wantsOpenMetrics(accept)) {
        return {
          contentType: Registry.OPENMETRICS_CONTENT_TYPE,
          body: await renderOpenMetrics(registry, openMetricsFormatter),
        };
      }
      return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
    },
  };
}
