// Getting finished spans to the collector: OTLP/HTTP protobuf through a
// bounded batch queue that never blocks a request, with every span that will
// not arrive counted, and an endpoint a reload can change.
import { TraceFlags, type Tracer } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface ExportOptions {
  serviceName: string;
  otlpEndpoint: string | null;
  /** Called once per span that is not exported: queue full, or the collector failed. */
  onDropped: () => void;
  /** Finished spans waiting for export, at most. */
  maxQueueSize: number;
  /** Batch delay in ms. */
  scheduledDelayMillis: number;
  /** Per-export deadline in ms, retries included. */
  exportTimeoutMillis: number;
}

/** A tracer whose finished spans go to the current OTLP endpoint. */
export interface SpanExport {
  readonly tracer: Tracer;
  readonly endpoint: string | null;
  setEndpoint(url: string | null): void;
  /** Flushes what is queued, giving up after a few seconds. */
  shutdown(): Promise<void>;
}

/**
 * Bounds the spans handed to the batch processor (queued or being exported)
 * and reports every span that will never reach the collector. The batch
 * processor drops silently when its own queue is full; counting here keeps the
 * `meshlet_tracing_spans_dropped_total` metric exact.
 */
class DropCountingExporter implements SpanExporter {
  target: SpanExporter | null = null;
  pending = 0;
  readonly #onDropped: () => void;

  constructor(onDropped: () => void) {
    this.#onDropped = onDropped;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = (result: ExportResult) => {
      this.pending -= spans.length;
      if (result.code !== ExportResultCode.SUCCESS) for (let i = 0; i < spans.length; i++) this.#onDropped();
      resultCallback(result);
    };
    if (this.target === null) {
      done({ code: ExportResultCode.FAILED, error: new Error('tracing has no OTLP endpoint') });
      return;
    }
    try {
      this.target.export(spans, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    await this.target?.shutdown();
  }
}

class BoundedProcessor implements SpanProcessor {
  readonly #batch: BatchSpanProcessor;
  readonly #exporter: DropCountingExporter;
  readonly #max: number;
  readonly #onDropped: () => void;

  constructor(batch: BatchSpanProcessor, exporter: DropCountingExporter, max: number, onDropped: () => void) {
    this.#batch = batch;
    this.#exporter = exporter;
    this.#max = max;
    this.#onDropped = onDropped;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#exporter.pending >= this.#max) {
      this.#onDropped();
      return;
    }
    this.#exporter.pending++;
    this.#batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#batch.shutdown();
  }
}

export function createSpanExport(opts: ExportOptions): SpanExport {
  const exporter = new DropCountingExporter(opts.onDropped);
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize: opts.maxQueueSize,
    maxExportBatchSize: Math.min(512, opts.maxQueueSize),
    scheduledDelayMillis: opts.scheduledDelayMillis,
    exportTimeoutMillis: opts.exportTimeoutMillis,
  });
  // Roots reach the SDK only once the sampling ratio has picked them (see
  // tracing.ts), so the SDK samples every root and follows remote parents.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BoundedProcessor(batch, exporter, opts.maxQueueSize, opts.onDropped)],
  });

  let endpoint: string | null = null;
  const spanExport: SpanExport = {
    tracer: provider.getTracer('meshlet'),
    get endpoint() {
      return endpoint;
    },
    setEndpoint(url) {
      if (url === endpoint) return;
      const old = exporter.target;
      endpoint = url;
      exporter.target =
        url === null ? null : new OTLPTraceExporter({ url, timeoutMillis: opts.exportTimeoutMillis });
      old?.shutdown().catch(() => {});
    },
    async shutdown() {
      // A dead collector must not hold up process exit beyond the drain budget.
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 3000);
        timer.unref();
      });
      await Promise.race([provider.shutdown().catch(() => {}), cap]);
      clearTimeout(timer);
    },
  };
  spanExport.setEndpoint(opts.otlpEndpoint);
  return spanExport;
}
