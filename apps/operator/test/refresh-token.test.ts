import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeInnerRefreshToken,
  encodeInnerRefreshToken,
  unwrapRefreshToken,
  wrapRefreshToken,
  WRAPPED_REFRESH_TOKEN_LENGTH,
  type RefreshKey,
  type RefreshTokenFields,
} from '../src/tokens/refresh-token.ts';

const key: RefreshKey = { id: 102, secret: randomBytes(32) };
const keys = (id: number) => (id === key.id ? key : null);
const fields: RefreshTokenFields = {
  scope: 'UID2',
  kind: 'Phone',
  expires: 1724981814352,
  created: 1724895414352,
  siteId: 123,
  privacyBits: 3,
  established: 1724895414351,
  firstLevelHash: Buffer.from('OR3qyrarTj14fivTZlzpC15dzCcsjMJxcEeWcHk8VHk=', 'base64'),
};

describe('refresh tokens (spec §5)', () => {
  it('inner v3 token: 168 chars, A3/B3 prefix, round trip', () => {
    const inner = encodeInnerRefreshToken(fields, key);
    expect(inner).toHaveLength(168);
    expect(inner.startsWith('B3')).toBe(true); // UID2 phone
    expect(encodeInnerRefreshToken({ ...fields, kind: 'Email' }, key).startsWith('A3')).toBe(true);
    const decoded = decodeInnerRefreshToken(inner, keys);
    expect(decoded).toEqual({ ok: true, keyId: 102, fields });
  });

  it('wrapper: 388 chars, key id at bytes 1..4, unwraps to the inner token and response key', () => {
    const inner = encodeInnerRefreshToken(fields, key);
    const wrapped = wrapRefreshToken(inner, key, 'UID2');
    expect(wrapped.token).toHaveLength(WRAPPED_REFRESH_TOKEN_LENGTH);
    expect(Buffer.from(wrapped.token, 'base64').readInt32BE(1)).toBe(102);
    const opened = unwrapRefreshToken(wrapped.token, keys);
    expect(opened.ok && opened.innerToken).toBe(inner);
    expect(opened.ok && Buffer.from(opened.responseKey).toString('base64')).toBe(wrapped.responseKey);
  });

  it('rejects tampering, unknown keys and other versions with the operator messages', () => {
    const wrapped = wrapRefreshToken(encodeInnerRefreshToken(fields, key), key, 'UID2').token;
    const bytes = Buffer.from(wrapped, 'base64');
    bytes[100] = bytes[100]! ^ 1;
    expect(unwrapRefreshToken(bytes.toString('base64'), keys)).toEqual({ ok: false, message: 'Invalid data: Check encryption method and encryption key.' });
    expect(unwrapRefreshToken(wrapped, () => null)).toEqual({ ok: false, message: 'Invalid key: Generator of this token (Key ID: 102) does not exist.' });
    const inner = Buffer.from(encodeInnerRefreshToken(fields, key), 'base64');
    inner[1] = 128;
    expect(decodeInnerRefreshToken(inner.toString('base64'), keys)).toEqual({ ok: false });
    expect(decodeInnerRefreshToken('not base64!', keys)).toEqual({ ok: false });
  });
});
