// Structured logs: one JSON object per line on stdout (pino), with the level
// as a word and the time in ISO 8601, as log collectors expect. Disabled
// levels are no-ops, so debug calls on the request path cost a property check;
// the level changes at run time on the admin port (admin/logging.ts).
import { type Logger, pino, stdTimeFunctions } from 'pino';

export type { Logger };

/** The levels MESHLET_LOG_LEVEL and `POST /logging?level=` accept, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(
  level = process.env.MESHLET_LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid, service: process.env.MESHLET_SERVICE ?? 'unknown' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Never let key material reach a log line, whatever object is logged.
    redact: { paths: ['key', '*.key', 'privateKey', '*.privateKey', 'tls.key'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export const log: Logger = createLogger();
