// Tracing that costs nothing until a config names an OTLP endpoint: the
// OpenTelemetry SDK and exporter (the largest dependencies) are imported only
// then, and a later reload can turn them on or off.

import type { IncomingHttpHeaders } from 'node:http';
import type { RandomSource } from '../route/pick.ts';
import type { Logger } from './log.ts';
import { noopTracing } from './noop.ts';
import type { MeshTracing, SpanHandle, SpanKindName } from './types.ts';

export class LazyTracing implements MeshTracing {
  #impl: MeshTracing = noopTracing;
  #loading = false;
  #wanted: { sampling: number; endpoint: string | null } = { sampling: 0, endpoint: null };
  readonly #serviceName: string;
  readonly #random: RandomSource;
  readonly #onDropped: () => void;
  readonly #log: Logger;

  constructor(serviceName: string, random: RandomSource, onDropped: () => void, log: Logger) {
    this.#serviceName = serviceName;
    this.#random = random;
    this.#onDropped = onDropped;
    this.#log = log;
  }

  get enabled(): boolean {
    return this.#impl.enabled;
  }

  start(
    kind: SpanKindName,
    name: string,
    headers: IncomingHttpHeaders,
    attributes: () => Record<string, string | number | boolean>,
  ): SpanHandle | null {
    return this.#impl.start(kind, name, headers, attributes);
  }

  configure(sampling: number, otlpEndpoint: string | null): void {
    this.#wanted = { sampling, endpoint: otlpEndpoint };
    if (this.#impl !== noopTracing) {
      this.#impl.configure(sampling, otlpEndpoint);
      return;
    }
    if (otlpEndpoint === null || this.#loading) return;
    this.#loading = true;
    void import('./tracing.ts').then(
      ({ createTracing }) => {
        const { sampling: s, endpoint } = this.#wanted;
        this.#impl = createTracing({
          serviceName: this.#serviceName,
          sampling: s,
          otlpEndpoint: endpoint,
          random: this.#random,
          onDropped: this.#onDropped,
        });
        this.#log.info({ endpoint, sampling: s }, 'tracing enabled');
      },
      (err: Error) => this.#log.error({ err: err.message }, 'cannot load tracing'),
    );
  }

  shutdown(): Promise<void> {
    return this.#impl.shutdown();
  }
}
