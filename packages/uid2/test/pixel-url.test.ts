// creativePixelUrl / tryCreativePixelUrl with the real codec: the URL carries a sharing token that
// decrypts back to the raw UID2, and never the raw UID2 itself.
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../src/keys/index.ts';
import { decryptToken, encryptRawUid } from '../src/token/index.ts';
import {
  creativePixelUrl,
  PixelTemplateError,
  PixelTokenError,
  tryCreativePixelUrl,
  type RawUidEncrypter,
} from '../src/pixel-url.ts';
import { vectors } from './vectors.ts';

const ring = KeyRing.fromResponseBody(vectors.keys);
const { raw_uid: RAW_UID, now_ms: NOW } = vectors.sharing_encrypt[0]!;
const sharing: RawUidEncrypter = { encrypt: (raw) => encryptRawUid(raw, ring, { now: NOW }) };

function tokenIn(url: string, param = 'uid2'): string {
  const token = new URL(url).searchParams.get(param);
  expect(token).not.toBeNull();
  return token!;
}

function expectNoRawUid(url: string): void {
  expect(url).not.toContain(RAW_UID);
  expect(url).not.toContain(encodeURIComponent(RAW_UID));
}

describe('creativePixelUrl', () => {
  it.each([
    'https://measure.example/px?c=42&uid2=${UID2_TOKEN}',
    'https://measure.example/px?c=42&uid2=%%UID2_TOKEN%%',
  ])('fills %s with a sharing token that decrypts to the raw UID2', (template) => {
    const url = creativePixelUrl(template, RAW_UID, sharing);
    expectNoRawUid(url);
    expect(url).not.toContain('UID2_TOKEN');
    expect(new URL(url).searchParams.get('c')).toBe('42');
    const decrypted = decryptToken(tokenIn(url), ring, { now: NOW, client: 'sharing' });
    expect(decrypted).toMatchObject({ status: 'Success', uid: RAW_UID, siteId: ring.callerSiteId });
  });

  it('fills every macro with the same token, URL-encoded', () => {
    let calls = 0;
    const plusSlash: RawUidEncrypter = {
      encrypt: () => {
        calls++;
        return { status: 'Success', token: 'A3ab+c/d=' };
      },
    };
    const url = creativePixelUrl('https://m.example/p?a=${UID2_TOKEN}&b=%%UID2_TOKEN%%&c=${UID2_TOKEN}', RAW_UID, plusSlash);
    expect(url).toBe('https://m.example/p?a=A3ab%2Bc%2Fd%3D&b=A3ab%2Bc%2Fd%3D&c=A3ab%2Bc%2Fd%3D');
    expect(calls).toBe(1);
    expect(tokenIn(url, 'b')).toBe('A3ab+c/d=');
  });

  it('throws PixelTokenError with the status when encryption fails, without the raw UID2 in the message', () => {
    const notReady: RawUidEncrypter = { encrypt: (raw) => encryptRawUid(raw, null, { now: NOW }) };
    try {
      creativePixelUrl('https://m.example/p?uid2=${UID2_TOKEN}', RAW_UID, notReady);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PixelTokenError);
      expect((error as PixelTokenError).status).toBe('NotInitialized');
      expect((error as PixelTokenError).code).toBe('pixel-token');
      expect((error as Error).message).not.toContain(RAW_UID);
    }
    const expiredKeys: RawUidEncrypter = { encrypt: (raw) => encryptRawUid(raw, ring, { now: 4_102_444_800_000 }) };
    expect(() => creativePixelUrl('https://m.example/p?uid2=%%UID2_TOKEN%%', RAW_UID, expiredKeys)).toThrow(/KeysNotSynced/);
  });

  it('throws PixelTemplateError for a template without a macro, before encrypting', () => {
    let encrypted = false;
    const spy: RawUidEncrypter = {
      encrypt: (raw) => {
        encrypted = true;
        return sharing.encrypt(raw);
      },
    };
    for (const template of ['https://m.example/p?uid2=', 'https://m.example/p?uid2={UID2_TOKEN}', 'https://m.example/p?uid2=%%uid2_token%%']) {
      expect(() => creativePixelUrl(template, RAW_UID, spy)).toThrow(PixelTemplateError);
    }
    expect(encrypted).toBe(false);
  });
});

describe('tryCreativePixelUrl', () => {
  it('returns the URL with status Success', () => {
    const result = tryCreativePixelUrl('https://m.example/p?uid2=${UID2_TOKEN}', RAW_UID, sharing);
    expect(result.status).toBe('Success');
    expectNoRawUid(result.url!);
    expect(decryptToken(tokenIn(result.url!), ring, { now: NOW }).uid).toBe(RAW_UID);
  });

  it('returns the failure status and no URL instead of throwing', () => {
    const notAuthorized: RawUidEncrypter = { encrypt: (raw) => encryptRawUid(raw, ring, { now: NOW, keysetId: 424242 }) };
    expect(tryCreativePixelUrl('https://m.example/p?uid2=${UID2_TOKEN}', RAW_UID, notAuthorized)).toEqual({
      status: 'NotAuthorizedForKey',
      url: null,
    });
    const throwing: RawUidEncrypter = {
      encrypt: () => {
        throw new Error('encrypter bug');
      },
    };
    expect(tryCreativePixelUrl('https://m.example/p?uid2=${UID2_TOKEN}', RAW_UID, throwing)).toEqual({
      status: 'EncryptionFailure',
      url: null,
    });
    const lying: RawUidEncrypter = { encrypt: () => ({ status: 'Success', token: null }) };
    expect(tryCreativePixelUrl('https://m.example/p?uid2=${UID2_TOKEN}', RAW_UID, lying).url).toBeNull();
  });
});
