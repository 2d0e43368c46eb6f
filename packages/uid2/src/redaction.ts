// The one list of log field names that can carry a UID2 token, a raw UID2, DII or a secret. Every
// service's pino logger redacts these (and the same names one level down), so a field that slips into
// a log call is censored wherever it is logged. Services add their own paths (e.g. request URLs).

/** Field names, in the wire's snake_case and in this project's camelCase. */
export const SENSITIVE_LOG_FIELDS: readonly string[] = Object.freeze([
  // tokens
  'token', 'uid2_token', 'advertising_token', 'advertisingToken', 'refresh_token', 'refreshToken',
  'refresh_response_key', 'refreshResponseKey',
  // raw UID2s
  'uid', 'rawUid', 'raw_uid', 'advertising_id',
  // DII and its hashes
  'email', 'phone', 'email_hash', 'phone_hash',
  // credentials
  'apiKey', 'secret', 'privateKey', 'adminKey', 'adminToken', 'authorization',
]);

/** pino `redact.paths` for SENSITIVE_LOG_FIELDS, at the top level and one level down. */
export function sensitiveRedactPaths(extra: readonly string[] = []): string[] {
  return [...SENSITIVE_LOG_FIELDS, ...SENSITIVE_LOG_FIELDS.map((f) => `*.${f}`), ...extra];
}
