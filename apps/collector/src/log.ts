// JSON logs (pino). The pixel path logs nothing per request; what is logged never holds a token or raw
// UID2 — and in case a field with such a name slips into a log call, pino's redaction removes it.
import { sensitiveRedactPaths } from '@uid2-pixels/uid2/redaction';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = sensitiveRedactPaths([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.url', // pixel query strings carry tokens; log req.path instead
  'event.uid',
  'events[*].uid',
]);

export function createLogger(level: string, destination?: DestinationStream, base?: Record<string, unknown>): Logger {
  return pino(
    {
      level,
      base: { service: 'collector', pid: process.pid, ...base },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
