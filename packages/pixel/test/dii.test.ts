// The browser's half of DII handling: normalisation (shared with packages/uid2) and SHA-256 through
// WebCrypto, against every normalisation vector from the official Python SDK.
import { isNormalizedPhone, normalizeEmail } from '@uid2-pixels/uid2/dii/normalize';
import { describe, expect, inject, test } from 'vitest';
import { sha256 } from '../src/hash.ts';
import './support/provided.ts';

const { email, phone } = inject('vectors');

describe('email: normalise, then hash in the browser', () => {
  test.each(email.map((v) => [v.description, v] as const))('%s', async (_, v) => {
    const normalized = normalizeEmail(v.input);
    expect(normalized).toBe(v.normalized);
    expect(normalized === null ? null : await sha256(normalized)).toBe(v.normalize_and_hash);
  });

  test('the docs example: gmail dots and +tag go before hashing (the official SDK hashes the raw string)', async () => {
    expect(await sha256(normalizeEmail('  Jane.Saoirse+Work@GMAIL.com ')!)).toBe('ku4mBX7Z3qJTXWyLFB1INzkyR2WZGW4ANSJUiW21iI8=');
  });
});

describe('phone: E.164 only, hashed as given', () => {
  // Divergence (shared/vectors/README.md): only ASCII 0-9 are digits; the Python SDK's isdigit() is laxer.
  const nonAscii = (s: string) => /[^\x00-\x7f]/.test(s);

  test.each(phone.map((v) => [v.description, v] as const))('%s', async (_, v) => {
    const valid = v.valid && !nonAscii(v.input);
    expect(isNormalizedPhone(v.input)).toBe(valid);
    if (valid) expect(await sha256(v.input)).toBe(v.normalize_and_hash);
  });

  test('the vectors include the non-ASCII-digit divergence cases, and we reject them', () => {
    const divergent = phone.filter((v) => v.valid && nonAscii(v.input));
    expect(divergent.length).toBeGreaterThan(0);
    for (const v of divergent) expect(isNormalizedPhone(v.input)).toBe(false);
  });
});
