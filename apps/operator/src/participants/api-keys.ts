// API keys are stored as base64(SHA-512(salt bytes || key)) with a 32-byte random salt (spec §1.4) and
// compared in constant time. Keys shaped `UID2-C-L-<site>-xxxxxx.<38>` are only tried against their site.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ParticipantRecord } from '../state/model.ts';

const SITE_KEY_PATTERN = /^(?:UID2|EUID)-[CO]-[LTIP]-([0-9]+)-.{6}\..{38}$/;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function hashApiKey(key: string, saltB64: string): string {
  return createHash('sha512').update(Buffer.from(saltB64, 'base64')).update(key, 'utf8').digest('base64');
}

export function newSalt(): string {
  return randomBytes(32).toString('base64');
}

/** True when `key` hashes (with `saltB64`) to `hashB64`; constant time in the key's content. */
export function apiKeyMatches(key: string, saltB64: string, hashB64: string): boolean {
  const actual = Buffer.from(hashApiKey(key, saltB64), 'base64');
  const expected = Buffer.from(hashB64, 'base64');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 248) out += KEY_ALPHABET[b % 62]; // 248 = 4 * 62: no modulo bias
  }
  return out.length === length ? out : out + randomAlphanumeric(length - out.length);
}

/** A new key in the real operator's shape, e.g. `UID2-C-L-101-8ojiXi.<38 chars>`. */
export function newApiKey(siteId: number): string {
  return `UID2-C-L-${siteId}-${randomAlphanumeric(6)}.${randomAlphanumeric(38)}`;
}

/** The key id shown to humans: the key up to its dot (not secret on its own). */
function apiKeyId(key: string): string {
  const dot = key.indexOf('.');
  return dot > 0 ? key.slice(0, dot) : key.slice(0, 12);
}

export function makeApiKeyRecord(key: string, secret: string, created: number): ApiKeyRecord {
  const keySalt = newSalt();
  return { keyId: apiKeyId(key), keyHash: hashApiKey(key, keySalt), keySalt, secret, created, disabled: false };
}

export interface AuthenticatedClient {
  participant: ParticipantRecord;
  apiKey: ApiKeyRecord;
}

/** Finds the participant and key record for a presented API key, or null. Disabled keys do not match. */
export function findClientByApiKey(participants: readonly ParticipantRecord[], key: string): AuthenticatedClient | null {
  const siteMatch = SITE_KEY_PATTERN.exec(key);
  const site = siteMatch ? Number(siteMatch[1]) : null;
  for (const participant of participants) {
    if (site !== null && participant.siteId !== site) continue;
    for (const apiKey of participant.apiKeys) {
      if (!apiKey.disabled && apiKeyMatches(key, apiKey.keySalt, apiKey.keyHash)) return { participant, apiKey };
    }
  }
  return null;
}
