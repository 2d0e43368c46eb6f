// JSON logs with redaction: whatever a log call carries, keys, secrets, tokens and DII never reach output.
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  ...['apiKey', 'secret', 'privateKey', 'adminKey', 'email', 'phone', 'email_hash', 'phone_hash', 'advertising_token', 'refresh_token', 'refresh_response_key', 'token', 'rawUid', 'advertising_id'].flatMap(
    (k) => [k, `*.${k}`],
  ),
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { name: 'uid2-operator', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
