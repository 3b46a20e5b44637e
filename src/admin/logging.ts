// `GET /logging` reads the log level, `POST /logging?level=debug` sets it for
// this process until the next change or restart (docs/observability.md). Only
// the pod itself may change it, as with /quitquitquit: the admin port may be
// bound to the pod IP for kubelet probes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLogLevel, LOG_LEVELS, type Logger } from '../telemetry/log.ts';

export function serveLogging(
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
  loopback: boolean,
): void {
  const [status, body] = loggingReply(req, log, loopback);
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
