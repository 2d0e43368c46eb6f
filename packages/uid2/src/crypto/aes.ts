// AES primitives in the framings UID2 uses everywhere (operator-api.md, preamble):
//   AES-256-GCM: IV(12) || ciphertext || tag(16), no AAD.
//   AES-256-CBC (legacy v2 tokens only): IV(16) || ciphertext, PKCS#7 padding.
// Decryption never throws: a wrong key, a forged tag or a short input all mean "not ours" to callers,
// so they get null and decide the status themselves.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { asBuffer } from '../encoding/bytes.ts';

export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
export const CBC_IV_LENGTH = 16;
const AES_BLOCK = 16;

const GCM_OPTIONS = Object.freeze({ authTagLength: GCM_TAG_LENGTH });

/** A 32-byte AES-256 key as bytes, or a prepared secret KeyObject (saves re-importing it per call). */
export type AesKey = Uint8Array | KeyObject;

/** Encrypts with AES-256-GCM. A fresh random IV is used unless one is given (tests, vectors). */
export function aesGcmEncrypt(key: AesKey, plaintext: Uint8Array, iv?: Uint8Array): Uint8Array {
  const nonce = iv ?? randomBytes(GCM_IV_LENGTH);
  if (nonce.length !== GCM_IV_LENGTH) throw new RangeError(`AES-GCM IV must be ${GCM_IV_LENGTH} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, GCM_OPTIONS);
  const out = Buffer.allocUnsafe(GCM_IV_LENGTH + plaintext.length + GCM_TAG_LENGTH);
  out.set(nonce, 0);
  const body = cipher.update(plaintext);
  out.set(body, GCM_IV_LENGTH);
  // GCM is a stream mode: final() emits no further ciphertext, it only computes the tag.
  cipher.final();
  out.set(cipher.getAuthTag(), GCM_IV_LENGTH + body.length);
  return out;
}

/**
 * Decrypts IV(12) || ciphertext || tag(16), found at `offset` in `data` through to its end (an offset
 * saves callers a subarray per layer on the token hot path). Returns the plaintext (a fresh Buffer, so
 * callers need no asBuffer view to read it),
 * or null when the input is too short, the key is not 32 bytes or the tag does not verify.
 */
export function aesGcmDecrypt(key: AesKey, data: Uint8Array, offset = 0): Buffer | null {
  if (data.length - offset < GCM_IV_LENGTH + GCM_TAG_LENGTH || offset < 0) return null;
  // Plain Uint8Array views, not Buffer#subarray: on the token hot path (two layers per token) the
  // Buffer views' construction cost is measurable next to the AES work itself.
  const ab = data.buffer;
  const base = data.byteOffset + offset;
  const ctLength = data.length - offset - GCM_IV_LENGTH - GCM_TAG_LENGTH;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, new Uint8Array(ab, base, GCM_IV_LENGTH), GCM_OPTIONS);
    decipher.setAuthTag(new Uint8Array(ab, base + GCM_IV_LENGTH + ctLength, GCM_TAG_LENGTH));
    const plain = decipher.update(new Uint8Array(ab, base + GCM_IV_LENGTH, ctLength));
    // final() is where the tag is checked; it throws on mismatch and outputs nothing for GCM.
    decipher.final();
    return plain;
  } catch {
    return null;
  }
}

/** Decrypts IV(16) || ciphertext with AES-256-CBC and strict PKCS#7 unpadding; null on any failure. */
export function aesCbcDecrypt(key: AesKey, data: Uint8Array): Uint8Array | null {
  if (data.length < CBC_IV_LENGTH + AES_BLOCK || (data.length - CBC_IV_LENGTH) % AES_BLOCK !== 0) return null;
  const buf = asBuffer(data);
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, CBC_IV_LENGTH));
    const head = decipher.update(buf.subarray(CBC_IV_LENGTH));
    // final() validates and strips the PKCS#7 padding, throwing on a bad pad.
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    return null;
  }
}

/**
 * Encrypts with AES-256-CBC + PKCS#7 into IV(16) || ciphertext. Only tests need this (to build legacy
 * v2 tokens); nothing in UID2 issues v2 tokens any more.
 */
export function aesCbcEncrypt(key: AesKey, plaintext: Uint8Array, iv?: Uint8Array): Uint8Array {
  const nonce = iv ?? randomBytes(CBC_IV_LENGTH);
  if (nonce.length !== CBC_IV_LENGTH) throw new RangeError(`AES-CBC IV must be ${CBC_IV_LENGTH} bytes`);
  const cipher = createCipheriv('aes-256-cbc', key, nonce);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final()]);
}
