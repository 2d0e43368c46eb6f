import { describe, expect, it } from 'vitest';
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { aesCbcDecrypt, aesCbcEncrypt, aesGcmDecrypt, aesGcmEncrypt } from '../src/crypto/aes.ts';

const key = randomBytes(32);

describe('AES-256-GCM', () => {
  it('lays out IV(12) || ciphertext || tag(16) and decrypts with node:crypto directly', () => {
    const iv = randomBytes(12);
    const plain = Buffer.from('hello uid2');
    const out = Buffer.from(aesGcmEncrypt(key, plain, iv));
    expect(out.length).toBe(12 + plain.length + 16);
    expect(out.subarray(0, 12).equals(iv)).toBe(true);
    const ref = createCipheriv('aes-256-gcm', key, iv);
    const refCt = Buffer.concat([ref.update(plain), ref.final(), ref.getAuthTag()]);
    expect(out.subarray(12).equals(refCt)).toBe(true);
  });

  it('round-trips, including empty plaintext, with bytes or a KeyObject', () => {
    for (const n of [0, 1, 16, 69, 130]) {
      const p = randomBytes(n);
      expect(Buffer.from(aesGcmDecrypt(key, aesGcmEncrypt(key, p))!).equals(p)).toBe(true);
      expect(Buffer.from(aesGcmDecrypt(createSecretKey(key), aesGcmEncrypt(key, p))!).equals(p)).toBe(true);
    }
  });

  it('uses a fresh random IV each time', () => {
    const a = aesGcmEncrypt(key, Buffer.from('x'));
    const b = aesGcmEncrypt(key, Buffer.from('x'));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('returns null for a forged tag, changed ciphertext, changed IV, wrong key, short input', () => {
    const data = Buffer.from(aesGcmEncrypt(key, Buffer.from('some payload bytes')));
    for (const i of [0, 11, 12, data.length - 17, data.length - 1]) {
      const bad = Buffer.from(data);
      bad[i]! ^= 1;
      expect(aesGcmDecrypt(key, bad)).toBeNull();
    }
    expect(aesGcmDecrypt(randomBytes(32), data)).toBeNull();
    expect(aesGcmDecrypt(key, data.subarray(0, 27))).toBeNull();
    expect(aesGcmDecrypt(key, new Uint8Array(0))).toBeNull();
  });

  it('returns null (does not throw) for a key of the wrong size', () => {
    const data = aesGcmEncrypt(key, Buffer.from('x'));
    expect(aesGcmDecrypt(randomBytes(16), data)).toBeNull();
    expect(aesGcmDecrypt(new Uint8Array(0), data)).toBeNull();
  });

  it('decrypts from an offset without copying (the token layers sit after a header)', () => {
    const sealed = aesGcmEncrypt(key, Buffer.from('layer'));
    const framed = Buffer.concat([Buffer.from([9, 9, 9, 9, 9, 9]), sealed]);
    expect(Buffer.from(aesGcmDecrypt(key, framed, 6)!).toString()).toBe('layer');
    expect(aesGcmDecrypt(key, framed, 5)).toBeNull();
    expect(aesGcmDecrypt(key, framed, framed.length - 27)).toBeNull();
    expect(aesGcmDecrypt(key, framed, -1)).toBeNull();
  });

  it('rejects an IV of the wrong size when encrypting', () => {
    expect(() => aesGcmEncrypt(key, Buffer.from('x'), randomBytes(16))).toThrow(RangeError);
  });
});

describe('AES-256-CBC (legacy v2)', () => {
  it('round-trips with PKCS#7', () => {
    for (const n of [0, 1, 15, 16, 17, 100]) {
      const p = randomBytes(n);
      const enc = aesCbcEncrypt(key, p);
      expect(enc.length).toBe(16 + (Math.floor(n / 16) + 1) * 16);
      expect(Buffer.from(aesCbcDecrypt(key, enc)!).equals(p)).toBe(true);
    }
  });

  it('returns null for bad padding, partial blocks and short input', () => {
    const enc = Buffer.from(aesCbcEncrypt(key, Buffer.from('abc')));
    // Fixed key, IV and wrong key so the outcome is deterministic (a random wrong key passes the
    // PKCS#7 check about 1 time in 256; CBC has no integrity, which is why v2 tokens are legacy).
    const fixed = Buffer.alloc(32, 7);
    const fixedEnc = aesCbcEncrypt(fixed, Buffer.from('abc'), Buffer.alloc(16, 1));
    expect(aesCbcDecrypt(Buffer.alloc(32, 8), fixedEnc)).toBeNull();
    expect(aesCbcDecrypt(key, enc.subarray(0, enc.length - 1))).toBeNull();
    expect(aesCbcDecrypt(key, enc.subarray(0, 16))).toBeNull();
    expect(aesCbcDecrypt(randomBytes(7), enc)).toBeNull();
  });
});
