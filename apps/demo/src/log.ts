// JSON logs for the demo sites. Nothing identifying is ever passed to the logger on purpose; the redact
// paths are the safety net for fields that could carry a token, a raw UID2, DII or a secret.
import { sensitiveRedactPaths } from '@uid2-pixels/uid2/redaction';
import { pino, type Logger } from 'pino';

export function createLogger(name: string): Logger {
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: sensitiveRedactPaths(['req.headers.authorization', 'req.url', 'req.query']),
      censor: '[redacted]',
    },
  });
}

export type { Logger };
