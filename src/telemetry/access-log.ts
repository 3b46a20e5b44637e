// The access log: one line per request in the spirit of Envoy's default
// format — what was asked (method, authority, path, protocol), where it went
// (route, service, version, endpoint), how it ended (status, flags, bytes,
// duration) and how to find it again (request id, trace id). Switched and
// formatted by mesh.yaml's `accessLog:` (hot reloaded) or MESHLET_ACCESS_LOG=1;
// see docs/observability.md for the fields and the text layout.
import { symbols } from 'pino';
import type { Logger } from './log.ts';

export type AccessLogFormat = 'json' | 'text';

export interface AccessLogSetting {
  readonly enabled: boolean;
  readonly format: AccessLogFormat;
}

/** One finished request, as the access log writes it. Absent values are null. */
export interface AccessRecord {
  readonly dir: 'inbound' | 'outbound';
  /** ISO time the request arrived. */
  readonly start: string;
  readonly method: string;
  readonly authority: string | null;
  readonly path: string;
  readonly protocol: string;
  readonly status: number;
  readonly flags: string;
  readonly route: string | null;
  /** The service the request was for (named so as not to clash with the log line's own `service`). */
  readonly destination: string | null;
  readonly version: string | null;
  /** host:port the request was sent to (the chosen endpoint, else the version's address). */
  readonly endpoint: string | null;
  readonly requestId: string;
  readonly traceId: string | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Duration in milliseconds, to the microsecond. */
  readonly ms: number;
  /** The verified caller (inbound, mTLS); null otherwise. */
  readonly principal: string | null;
}

/**
 * Where access records go. `enabled` is read once per request; the setting
 * changes with the config, `forced` (MESHLET_ACCESS_LOG=1) keeps it on.
 */
export class AccessLog {
  readonly #log: Logger;
  readonly #writeLine: (line: string) => void;
  readonly #forced: boolean;
  #format: AccessLogFormat = 'json';
  enabled = false;

  constructor(log: Logger, opts: { forced?: boolean; writeLine?: (line: string) => void } = {}) {
    this.#log = log;
    this.#forced = opts.forced ?? false;
    this.#writeLine = opts.writeLine ?? lineWriterOf(log);
    this.enabled = this.#forced;
  }

  /** Applies the config's `accessLog:` setting (at start-up and on every reload). */
  configure(setting: AccessLogSetting): void {
    this.enabled = this.#forced || setting.enabled;
    this.#format = setting.format;
  }

  get format(): AccessLogFormat {
    return this.#format;
  }

  write(record: AccessRecord, extra?: Record<string, unknown>): void {
    if (this.#format === 'text') this.#writeLine(`${formatText(record)}\n`);
    else this.#log.info(extra === undefined ? record : { ...record, ...extra }, 'access');
  }
}

/**
 * The text layout, Envoy-like: fixed positions, `-` for an absent value, values
 * from the request quoted and escaped (a path may hold quotes or control bytes).
 *
 *   [START] "METHOD PATH PROTOCOL" STATUS FLAGS BYTES_IN BYTES_OUT MS "AUTHORITY" "ENDPOINT"
 *   "REQUEST_ID" DIR DESTINATION VERSION ROUTE TRACE_ID PRINCIPAL
 */
export function formatText(r: AccessRecord): string {
  return (
    `[${r.start}] ${quote(`${r.method} ${r.path} ${r.protocol}`)} ${r.status} ${r.flags} ` +
    `${r.bytesIn} ${r.bytesOut} ${r.ms.toFixed(3)} ${quote(r.authority)} ${quote(r.endpoint)} ` +
    `${quote(r.requestId)} ${r.dir} ${bare(r.destination)} ${bare(r.version)} ${bare(r.route)} ` +
    `${bare(r.traceId)} ${bare(r.principal)}`
  );
}

function quote(value: string | null): string {
  return value === null ? '"-"' : JSON.stringify(value);
}

/** Names from the config or our own ids: no spaces possible, but escape anything odd all the same. */
function bare(value: string | null): string {
  if (value === null || value === '') return '-';
  return /^[\x21-\x7e]+$/.test(value) && !value.includes('"') ? value : JSON.stringify(value);
}

/** Milliseconds to 3 decimals (the microsecond), never 15. */
export function roundMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}

/** `host:port`, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The trace id of a W3C `traceparent` header when no span of ours carries one. */
export function traceIdOf(traceparent: string | string[] | undefined): string | null {
  if (typeof traceparent !== 'string') return null;
  const id = traceparent.slice(3, 35);
  return traceparent.length >= 55 && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : null;
}

/** Raw lines go through pino's own destination, so they interleave with the JSON lines in order. */
function lineWriterOf(log: Logger): (line: string) => void {
  const stream = (log as unknown as Record<symbol, { write(line: string): unknown } | undefined>)[
    symbols.streamSym
  ];
  if (stream !== undefined) return (line) => void stream.write(line);
  return (line) => void process.stdout.write(line);
}
