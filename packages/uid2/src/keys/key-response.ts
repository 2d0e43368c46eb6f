// Reads a /v2/key/sharing or /v2/key/bidstream body into a KeyRing's configuration, checking every
// field it uses and naming the first one that is wrong (never its value: a key secret must not reach
// an error message). Fields it does not use are ignored, as the SDKs ignore them.
//
// Wire rules (operator-api.md §3.4, §8.2, §12.5): key times are seconds (converted here to ms),
// token_expiry_seconds is a JSON string (older operators and the vectors send a number), and optional
// fields fall back to the SDK defaults (30-day token expiry, no lifetime limit, 1800 s clock skew,
// UID2 scope). Hand-written rather than a schema library, so the SDK has no runtime dependency.
import { decodeBase64 } from '../encoding/base64.ts';
import type { IdentityScope, Key } from '../types.ts';
import { KeysParseError } from './errors.ts';
import type { KeyRingInit } from './key-ring.ts';

/** SDK default when the body has no token_expiry_seconds: 30 days. */
export const DEFAULT_TOKEN_EXPIRY_SECONDS = 30 * 24 * 60 * 60;
/** SDK default when the body has no allow_clock_skew_seconds. */
export const DEFAULT_ALLOW_CLOCK_SKEW_SECONDS = 1800;

type Fields = Record<string, unknown>;

function object(value: unknown, path: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new KeysParseError(path, 'expected an object');
  return value as Fields;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new KeysParseError(path, 'expected an array');
  return value;
}

function int(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new KeysParseError(path, 'expected a whole number');
  return value;
}

function seconds(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new KeysParseError(path, 'expected a whole number of seconds, 0 or more');
  return value;
}

/** `read` of the field, or null when it is absent or null. */
function optional<T>(fields: Fields, name: string, path: string, read: (value: unknown, path: string) => T): T | null {
  const value = fields[name];
  return value === undefined || value === null ? null : read(value, path + name);
}

/** token_expiry_seconds: a string of digits on the wire, or a number. */
function secondsOrString(value: unknown, path: string): number {
  if (typeof value === 'string') {
    if (!/^\d{1,15}$/.test(value)) throw new KeysParseError(path, 'expected a whole number of seconds');
    return Number(value);
  }
  return seconds(value, path);
}

function identityScope(value: unknown, path: string): IdentityScope {
  if (value !== 'UID2' && value !== 'EUID') throw new KeysParseError(path, 'expected "UID2" or "EUID"');
  return value;
}

function key(value: unknown, path: string): Key {
  const k = object(value, path);
  const id = int(k.id, `${path}.id`);
  const keysetId = optional(k, 'keyset_id', `${path}.`, int);
  const siteId = optional(k, 'site_id', `${path}.`, int);
  const created = seconds(k.created, `${path}.created`);
  const activates = seconds(k.activates, `${path}.activates`);
  const expires = seconds(k.expires, `${path}.expires`);
  const secret = typeof k.secret === 'string' ? decodeBase64(k.secret) : null;
  if (secret === null || secret.length !== 32) throw new KeysParseError(`${path}.secret`, 'expected base64 of a 32-byte key');
  return { id, keysetId, siteId, created: created * 1000, activates: activates * 1000, expires: expires * 1000, secret };
}

function site(value: unknown, path: string): [number, readonly string[]] {
  const s = object(value, path);
  const id = int(s.id, `${path}.id`);
  const names = s.domain_names === undefined ? [] : array(s.domain_names, `${path}.domain_names`);
  names.forEach((n, i) => {
    if (typeof n !== 'string') throw new KeysParseError(`${path}.domain_names[${i}]`, 'expected a string');
  });
  return [id, names as string[]];
}

/**
 * Reads a key body (the answer's `body` field). Throws KeysParseError naming the first bad field, in
 * the order: header fields, keys, site_data.
 */
export function readKeyResponse(input: unknown): KeyRingInit {
  const b = object(input, '');
  const init = {
    callerSiteId: optional(b, 'caller_site_id', '', int),
    masterKeysetId: optional(b, 'master_keyset_id', '', int),
    defaultKeysetId: optional(b, 'default_keyset_id', '', int),
    tokenExpirySeconds: optional(b, 'token_expiry_seconds', '', secondsOrString) ?? DEFAULT_TOKEN_EXPIRY_SECONDS,
    maxSharingLifetimeSeconds: optional(b, 'max_sharing_lifetime_seconds', '', seconds),
    maxBidstreamLifetimeSeconds: optional(b, 'max_bidstream_lifetime_seconds', '', seconds),
    allowClockSkewSeconds: optional(b, 'allow_clock_skew_seconds', '', seconds) ?? DEFAULT_ALLOW_CLOCK_SKEW_SECONDS,
    identityScope: optional(b, 'identity_scope', '', identityScope) ?? 'UID2',
  };
  const keys = array(b.keys, 'keys').map((k, i) => key(k, `keys[${i}]`));
  const sites = optional(b, 'site_data', '', (v, p) => array(v, p).map((s, i) => site(s, `${p}[${i}]`)));
  return { ...init, keys, ...(sites ? { siteData: new Map(sites) } : {}) };
}
