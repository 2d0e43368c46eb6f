// The one shape check every route applies to a token before it is decrypted: the pixel's query or
// beacon body, the bulk API's JSON and NDJSON bodies, and dropped token files. A token is opaque
// base64 / base64url: 1 to `maxBytes` characters of [A-Za-z0-9+/=_-] (all ASCII, so characters are
// bytes). The limit is the collector's config `limits.tokenMaxBytes` wherever the caller has it.

/** The token characters: nothing JSON, CSV or a query string could read differently from its bytes. */
export const TOKEN_CHARS = /^[A-Za-z0-9+/=_-]+$/;

/** The default of config `limits.tokenMaxBytes`, for callers without a config. */
export const DEFAULT_TOKEN_MAX_BYTES = 1024;

/** True when `token` is a string of 1..maxBytes token characters. Never trims or rewrites. */
export function isTokenShaped(token: unknown, maxBytes: number): token is string {
  return typeof token === 'string' && token.length > 0 && token.length <= maxBytes && TOKEN_CHARS.test(token);
}
