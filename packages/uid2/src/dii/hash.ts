// SHA-256 + base64 of normalised DII, the form /v2/token/generate, /v2/identity/map and CSTG accept as
// `email_hash` / `phone_hash`. Node only (node:crypto); the browser snippet hashes with WebCrypto.
import { hash } from 'node:crypto';
import { InvalidDiiError } from './errors.ts';
import { isNormalizedPhone, normalizeEmail } from './normalize.ts';

/** Base64 (standard, padded, 44 characters) of the SHA-256 of the UTF-8 bytes of `value`. */
export function sha256Base64(value: string): string {
  return hash('sha256', value, 'base64');
}

/**
 * Hashes an email that is already normalised. Throws InvalidDiiError when it is not, because hashing
 * an un-normalised address silently gives a hash that matches nobody.
 */
export function hashEmail(normalizedEmail: string): string {
  if (normalizeEmail(normalizedEmail) !== normalizedEmail) {
    throw new InvalidDiiError('email is not normalized; use normalizeAndHashEmail');
  }
  return sha256Base64(normalizedEmail);
}

/** Hashes an E.164 phone number. Throws InvalidDiiError when it is not '+' and 10-15 ASCII digits. */
export function hashPhone(normalizedPhone: string): string {
  if (!isNormalizedPhone(normalizedPhone)) {
    throw new InvalidDiiError('phone number is not normalized (E.164: "+" then 10-15 digits)');
  }
  return sha256Base64(normalizedPhone);
}

/** Normalises then hashes an email. Throws InvalidDiiError for an invalid address. */
export function normalizeAndHashEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (normalized === null) throw new InvalidDiiError('invalid email address');
  return sha256Base64(normalized);
}

/**
 * Checks then hashes a phone number. Phones cannot be normalised by us (a missing country code cannot
 * be guessed), so this is hashPhone under the name that pairs with normalizeAndHashEmail.
 */
export function normalizeAndHashPhone(phone: string): string {
  return hashPhone(phone);
}
