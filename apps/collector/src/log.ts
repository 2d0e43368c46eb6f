// JSON logs (pino). The pixel path logs nothing per request; what is logged never holds a token or raw
// UID2 — and in case a field with such a name slips into a log call, pino's redaction removes it.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names that may hold a token, a raw UID2 or a secret, at the top level or one level down. */
const SECRET_FIELDS = [
  'token', 'uid', 'uid2_token', 'rawUid', 'raw_uid', 'advertising_token', 'advertising_id', 'apiKey', 'secret', 'adminToken', 'authorization',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.url', // pixel query strings carry tokens; log req.path instead
  'event.uid',
  'events[*].uid',
];

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
