import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from '../src/encoding/base64.ts';

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

describe('decodeBase64 (standard alphabet)', () => {
  it('decodes padded and unpadded forms of every length remainder', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      const padded = bytes.toString('base64');
      expect(hex(decodeBase64(padded))).toBe(bytes.toString('hex'));
      expect(hex(decodeBase64(padded.replace(/=+$/, '')))).toBe(bytes.toString('hex'));
    }
  });

  it('knows RFC 4648 test vectors', () => {
    const cases: Array<[string, string]> = [
      ['', ''], ['Zg==', 'f'], ['Zm8=', 'fo'], ['Zm9v', 'foo'], ['Zm9vYg==', 'foob'], ['Zm9vYmE=', 'fooba'], ['Zm9vYmFy', 'foobar'],
    ];
    for (const [b64, text] of cases) expect(Buffer.from(decodeBase64(b64)!).toString()).toBe(text);
  });

  it.each([
    ['space inside', 'Zm9v YmFy'],
    ['leading space', ' Zm9vYmFy'],
    ['trailing newline', 'Zm9vYmFy\n'],
    ['asterisk', 'Zm9v*mFy'],
    ['url alphabet -', 'ab-d'],
    ['url alphabet _', 'ab_d'],
    ['dangling char', 'Zm9vY'],
    ['too much padding', 'Zm8=='],
    ['too little padding', 'Zg='],
    ['padding in the middle', 'Zg==Zm9v'],
    ['three =', 'Z==='],
    ['only padding', '=='],
    ['non-ascii', 'Zm9vYmF\u00e9'],
    // Node truncates UTF-16 code units to 8 bits while decoding: U+012B would act as '+', so a
    // length check alone would pass it. The canonical re-encoding comparison must not.
    ['a code unit whose low byte is "+"', 'Zm9v\u012bmFy'],
    ['non-canonical trailing bits (2 chars)', 'Zh=='],
    ['non-canonical trailing bits (3 chars)', 'Zm9='],
  ])('rejects %s', (_name, s) => {
    expect(decodeBase64(s)).toBeNull();
  });

  it('can insist on padding (Python b64decode semantics) or forbid it', () => {
    expect(decodeBase64('Zg', { padding: 'required' })).toBeNull();
    expect(hex(decodeBase64('Zg==', { padding: 'required' }))).toBe('66');
    expect(decodeBase64('Zg==', { padding: 'forbidden' })).toBeNull();
    expect(hex(decodeBase64('Zg', { padding: 'forbidden' }))).toBe('66');
  });

  it('returns null instead of throwing for non-strings', () => {
    expect(decodeBase64(undefined as unknown as string)).toBeNull();
    expect(decodeBase64(42 as unknown as string)).toBeNull();
  });
});

describe('decodeBase64Url', () => {
  it('decodes - and _ and rejects + and /', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(hex(decodeBase64Url('-_-_'))).toBe('fbffbf');
    expect(decodeBase64Url('+/+/')).toBeNull();
    expect(hex(decodeBase64Url(encodeBase64Url(bytes)))).toBe('fbffbf');
  });
  it('accepts optional padding and rejects junk', () => {
    expect(hex(decodeBase64Url('Zg'))).toBe('66');
    expect(hex(decodeBase64Url('Zg=='))).toBe('66');
    expect(decodeBase64Url('Z g')).toBeNull();
    expect(decodeBase64Url('Zg=')).toBeNull();
    expect(decodeBase64Url('AA\u4e2dA')).toBeNull(); // U+4E2D's low byte is '-'
    expect(Buffer.from('AA\u4e2dA', 'base64url').length).toBe(3); // ...which Node would accept
  });
});

describe('encoders', () => {
  it('encodeBase64 pads, encodeBase64Url does not', () => {
    expect(encodeBase64(Uint8Array.from([0x66]))).toBe('Zg==');
    expect(encodeBase64Url(Uint8Array.from([0x66]))).toBe('Zg');
    expect(encodeBase64Url(Uint8Array.from([0xfb, 0xff]))).toBe('-_8');
  });
  it('encode a view of a larger buffer without its neighbours', () => {
    const big = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(encodeBase64(big.subarray(2, 5))).toBe(Buffer.from([3, 4, 5]).toString('base64'));
  });
  it('round-trip random data in both alphabets', () => {
    for (let i = 0; i < 200; i++) {
      const b = randomBytes(i % 70);
      expect(hex(decodeBase64(encodeBase64(b)))).toBe(b.toString('hex'));
      expect(hex(decodeBase64Url(encodeBase64Url(b)))).toBe(b.toString('hex'));
    }
  });
});
