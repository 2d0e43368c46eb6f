// JSON logs with redaction: whatever a log call carries, keys, secrets, tokens and DII never reach output.
import { sensitiveRedactPaths } from '@uid2-pixels/uid2/redaction';
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = sensitiveRedactPaths(['headers.authorization', '*.headers.authorization']);

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { name: 'uid2-operator', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
