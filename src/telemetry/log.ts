// Structured logs: one JSON object per line on stdout (pino). Disabled levels
// are no-ops, so debug calls on the request path cost a property check.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.MESHLET_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid, service: process.env.MESHLET_SERVICE ?? 'unknown' },
    // Never let key material reach a log line, whatever object is logged.
    redact: { paths: ['key', '*.key', 'privateKey', '*.privateKey', 'tls.key'], censor: '[redacted]' },
  });
}

export const log: Logger = createLogger();
