// Exposition through prom-client: its registry holds our families beside the
// default Node process metrics, and formats Prometheus text or, when the
// scraper asks for it, OpenMetrics with exemplars.
import { createRequire } from 'node:module';
import type { OpenMetricsContentType, Counter as PromCounter, Registry } from 'prom-client';
import type { Family, FamilySnapshot } from './series.ts';

// prom-client's package index loads every default metric, and its CPU counter
// loads @opentelemetry/api for exemplars: 4.7 MiB of idle RSS in a sidecar
// without tracing (BENCHMARKS.md, "Footprint"). The registry, the counter and
// the process metrics are taken by path instead.
const requireCjs = createRequire(import.meta.url);
const RegistryClass = requireCjs('prom-client/lib/registry') as typeof Registry;
const Counter = requireCjs('prom-client/lib/counter') as typeof PromCounter;

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

/**
 * prom-client's default Node process metrics, except the GC duration
 * histogram: its PerformanceObserver runs a JS callback on every scavenge,
 * which with the sidecar's small young generation is thousands of times a
 * second under load (1.5 % of proxy CPU in a profile, BENCHMARKS.md). The CPU
 * counters are processCpu() below.
 */
const PROCESS_METRICS = [
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
];

function collectProcessMetrics(registry: Registry): void {
  for (const name of PROCESS_METRICS) {
    const collect = requireCjs(`prom-client/lib/metrics/${name}`) as DefaultMetric;
    collect(registry, { eventLoopMonitoringPrecision: 10 });
  }
  processCpu(registry);
}

/** prom-client's process_cpu_* counters, without the exemplar lookup that needs OpenTelemetry. */
function processCpu(registry: Registry): void {
  let last = process.cpuUsage();
  const counter = (name: string, help: string, collect?: () => void) =>
    new Counter({ name, help, registers: [registry], ...(collect === undefined ? {} : { collect }) });
  const system = counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.');
  const total = counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  const user = counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', () => {
    const now = process.cpuUsage();
    const userSeconds = (now.user - last.user) / 1e6;
    const systemSeconds = (now.system - last.system) / 1e6;
    last = now;
    user.inc(userSeconds);
    system.inc(systemSeconds);
    total.inc(userSeconds + systemSeconds);
  });
}

export function createExposition(): Exposition {
  const registry = new RegistryClass();
  const openMetricsFormatter = new RegistryClass<OpenMetricsContentType>();
  openMetricsFormatter.setContentType(RegistryClass.OPENMETRICS_CONTENT_TYPE);
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
          contentType: RegistryClass.OPENMETRICS_CONTENT_TYPE,
          body: await renderOpenMetrics(registry, openMetricsFormatter),
        };
      }
      return { contentType: RegistryClass.PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
    },
  };
}
