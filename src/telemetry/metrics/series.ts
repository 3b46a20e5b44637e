// A small series library for the request path. prom-client's labelled
// children hash their label object on every observe and cannot attach
// exemplars through a child; these families hand out series objects once and
// are then mutated in place, and prom-client still formats them (exposition.ts).

export type Labels = Record<string, string>;

export interface Exemplar {
  labelSet: { trace_id: string };
  value: number;
  timestamp: number;
}

/** What prom-client's formatter reads from a metric. */
export interface MetricSample {
  labels: Labels | Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

export interface FamilySnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricSample[];
  /** How the primary of a multi-worker sidecar combines workers' values. */
  aggregator: 'sum' | 'max';
}

/** A family prom-client can register and format. */
export type Family = ValueFamily | HistogramFamily;

function seriesKey(labels: Labels): string {
  return Object.values(labels).join('\u0000');
}

export class CounterSeries {
  readonly labels: Labels;
  value = 0;
  constructor(labels: Labels) {
    this.labels = labels;
  }
}

/** A counter or gauge family; series are created once and then mutated in place. */
export class ValueFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  // Counters add up across workers; the gauges here (config info, reload time) are the same in each.
  readonly aggregator: 'sum' | 'max';
  #series = new Map<string, CounterSeries>();

  constructor(name: string, help: string, type: 'counter' | 'gauge') {
    this.name = name;
    this.help = help;
    this.type = type;
    this.aggregator = type === 'gauge' ? 'max' : 'sum';
  }

  series(labels: Labels): CounterSeries {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new CounterSeries(labels);
      this.#series.set(key, s);
    }
    return s;
  }

  /** Drops one series: its labels left the config (see docs/observability.md). */
  remove(labels: Labels): void {
    this.#series.delete(seriesKey(labels));
  }

  /** Gauges with an identifying label (config hash) keep only the current series. */
  replaceAll(labels: Labels, value: number): void {
    this.#series.clear();
    this.series(labels).value = value;
  }

  async get(): Promise<FamilySnapshot> {
    const values: MetricSample[] = [];
    for (const s of this.#series.values()) values.push({ labels: s.labels, value: s.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}

export class HistogramSeries {
  readonly labels: Labels;
  readonly #bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  readonly exemplars: (Exemplar | null)[];
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: readonly number[], withExemplars: boolean) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.exemplars = withExemplars ? new Array(bounds.length + 1).fill(null) : [];
  }

  observe(value: number, traceId: string | undefined): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (traceId && this.exemplars.length > 0) {
      // One exemplar per bucket, the latest; reused so tracing adds no garbage.
      const e = this.exemplars[i];
      if (e == null) {
        this.exemplars[i] = { labelSet: { trace_id: traceId }, value, timestamp: Date.now() / 1000 };
      } else {
        e.labelSet.trace_id = traceId;
        e.value = value;
        e.timestamp = Date.now() / 1000;
      }
    }
  }
}

export class HistogramFamily {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #exemplars: boolean;
  #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, bounds: readonly number[], exemplars: boolean) {
    this.name = name;
    this.help = help;
    this.#bounds = bounds;
    this.#exemplars = exemplars;
  }

  series(labels: Labels): HistogramSeries {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new HistogramSeries(labels, this.#bounds, this.#exemplars);
      this.#series.set(key, s);
    }
    return s;
  }

  async get(): Promise<FamilySnapshot> {
    const values: MetricSample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.#bounds.length ? this.#bounds[i]! : '+Inf';
        values.push({
          labels: { ...s.labels, le },
          value: cumulative,
          metricName: bucket,
          exemplar: s.exemplars[i] ?? null,
        });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}
