// `GET /logging` reads the log level, `POST /logging?level=debug` sets it for
// this process (and a multi-worker primary's workers) until the next change
// or restart (docs/observability.md). Only
// the pod itself may change it, as with /quitquitquit: the admin port may be
// bound to the pod IP for kubelet probes.
import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLogLevel, LOG_LEVELS, type Logger, type LogLevel } from '../telemetry/log.ts';

export function serveLogging(
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
  loopback: boolean,
  changed?: (level: LogLevel) => void,
): void {
  const [status, body] = loggingReply(req, log, loopback);
  if (status === 200 && req.method === 'POST') changed?.(log.level as LogLevel);
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function loggingReply(req: IncomingMessage, log: Logger, loopback: boolean): [number, unknown] {
  if (req.method === 'GET' || req.method === 'HEAD') return [200, { level: log.level, levels: LOG_LEVELS }];
  if (req.method !== 'POST') return [405, { error: 'GET reads the level; POST ?level=LEVEL sets it' }];
  if (!loopback) return [403, { error: 'only from localhost' }];
  const level = new URL(req.url ?? '/', 'http://admin').searchParams.get('level');
  if (level === null || !isLogLevel(level)) {
    return [400, { error: `level must be one of ${LOG_LEVELS.join(', ')}`, level: log.level }];
  }
  const previous = log.level;
  // Said at info under whichever of the two levels shows it.
  const said = log.isLevelEnabled('info');
  if (said) log.info({ from: previous, to: level }, 'log level changed');
  log.level = level;
  if (!said) log.info({ from: previous, to: level }, 'log level changed');
  return [200, { level, previous }];
}

interface LogLevelMessage {
  readonly meshlet: 'log-level';
  readonly level: LogLevel;
}

/**
 * A multi-worker primary passes a new level on to its workers, which log the
 * requests, and to the workers it forks later (through the environment).
 */
export function broadcastLogLevel(level: LogLevel): void {
  process.env.MESHLET_LOG_LEVEL = level;
  for (const worker of Object.values(cluster.workers ?? {}))
    worker?.send({ meshlet: 'log-level', level } satisfies LogLevelMessage);
}

/** In a worker: take the level the primary's admin port was given. */
export function followPrimaryLogLevel(log: Logger): void {
  process.on('message', (msg: Partial<LogLevelMessage> | null) => {
    if (msg?.meshlet === 'log-level' && typeof msg.level === 'string' && isLogLevel(msg.level))
      log.level = msg.level;
  });
}
