// Reads the DII of a request (spec §2): exactly one of email | email_hash | phone | phone_hash.
// Emails are normalised and hashed here; hashes are 44-char base64 or 64-char hex and are not re-hashed.
import { hash } from 'node:crypto';
import { isNormalizedPhone, normalizeEmail } from '@uid2-pixels/uid2/dii';
import { decodeBase64 } from '@uid2-pixels/uid2/encoding/base64';
import type { IdentityKind } from './raw-uid.ts';

export interface IdentityInput {
  kind: IdentityKind;
  /** SHA-256 of the normalised DII */
  hash: Buffer;
}

export const DII_FIELDS = ['email', 'email_hash', 'phone', 'phone_hash'] as const;
export type DiiField = (typeof DII_FIELDS)[number];

export const EXACTLY_ONE_MESSAGE = 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified';
export const INVALID_IDENTIFIER = 'Invalid Identifier';

export type DiiResult = { ok: true; identity: IdentityInput } | { ok: false; message: string };

const HEX_64 = /^[0-9a-fA-F]{64}$/;

function decodeDiiHash(value: string): Buffer | null {
  if (value.length === 64 && HEX_64.test(value)) return Buffer.from(value, 'hex');
  if (value.length !== 44) return null;
  const bytes = decodeBase64(value, { padding: 'required' });
  return bytes && bytes.length === 32 ? Buffer.from(bytes) : null;
}

const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** Hashes one DII value given its field name; null when it is not valid. */
export function identityFromField(field: DiiField, value: unknown): IdentityInput | null {
  if (typeof value !== 'string') return null;
  switch (field) {
    case 'email': {
      const normalized = normalizeEmail(value);
      return normalized === null ? null : { kind: 'Email', hash: sha256(normalized) };
    }
    case 'phone':
      return isNormalizedPhone(value) ? { kind: 'Phone', hash: sha256(value) } : null;
    case 'email_hash':
    case 'phone_hash': {
      const hash = decodeDiiHash(value);
      return hash ? { kind: field === 'email_hash' ? 'Email' : 'Phone', hash } : null;
    }
  }
}

/** Reads exactly one DII field of a request object; `fields` limits the accepted ones (CSTG: hashes only). */
export function readDii(body: Record<string, unknown>, fields: readonly DiiField[] = DII_FIELDS): DiiResult {
  const present = fields.filter((f) => body[f] !== undefined && body[f] !== null);
  if (present.length !== 1) return { ok: false, message: EXACTLY_ONE_MESSAGE };
  const field = present[0]!;
  const identity = identityFromField(field, body[field]);
  return identity ? { ok: true, identity } : { ok: false, message: INVALID_IDENTIFIER };
}

/** A DII written for humans (fixture opt-outs, admin API): `+...` is a phone, anything else an email. */
export function identityFromText(text: string): IdentityInput | null {
  return identityFromField(text.startsWith('+') ? 'phone' : 'email', text);
}
