// encodeAdvertisingToken: the general v3/v4 advertising-token encoder (operator-api.md §9.1). The
// operator uses it for every token it issues; encryptRawUid uses it for sharing tokens.
import { aesGcmEncrypt, GCM_IV_LENGTH, GCM_TAG_LENGTH } from '../crypto/aes.ts';
import { decodeBase64, encodeBase64, encodeBase64Url } from '../encoding/base64.ts';
import { Uid2Error } from '../errors.ts';
import type { IdentityScope, IdentityType, Key } from '../types.ts';
import {
  identityByte,
  MASTER_PAYLOAD_HEADER_LENGTH,
  SITE_PAYLOAD_HEADER_LENGTH,
  TOKEN_VERSION_BYTE_V3,
  TOKEN_VERSION_BYTE_V4,
  V3_HEADER_LENGTH,
  writeInt64,
} from './layout.ts';

export class TokenEncodeError extends Uid2Error {
  declare readonly code: 'invalid-raw-uid' | 'invalid-field';
  constructor(code: 'invalid-raw-uid' | 'invalid-field', message: string) {
    super(code, message);
  }
}

export interface AdvertisingTokenFields {
  identityScope: IdentityScope;
  identityType: IdentityType;
  /** ms */
  expires: number;
  /** "token generated", ms */
  created: number;
  /** The publisher site the token is for. */
  siteId: number;
  privacyBits: number;
  /** ms */
  established: number;
  /** ms */
  refreshed: number;
  /** base64 of the raw UID: 32 bytes (v2 raw UID) or 33 (v3/v4 raw UID). */
  rawUid: string;
  operatorSiteId?: number;
  /** 1 = Service. */
  operatorType?: number;
  operatorVersion?: number;
  operatorKeyId?: number;
  publisherId?: number;
  clientKeyId?: number;
}

export interface EncodeOptions {
  /** 4 (default, what the operator emits: base64url unpadded) or 3 (standard base64, padded). */
  version?: 3 | 4;
  /** Fixed AES-GCM IVs (12 bytes each) for known-answer tests. Random when absent. */
  ivs?: { site: Uint8Array; master: Uint8Array };
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new TokenEncodeError('invalid-field', `${name} out of range`);
  return v;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const TIME_MAX = Number.MAX_SAFE_INTEGER;

/** Decodes a raw UID to its 32/33 bytes, or null. */
export function decodeRawUid(rawUid: string): Uint8Array | null {
  const bytes = decodeBase64(rawUid);
  return bytes !== null && (bytes.length === 32 || bytes.length === 33) ? bytes : null;
}

/**
 * Builds an advertising token. Throws TokenEncodeError for a raw UID that is not base64 of 32/33 bytes
 * or a field out of range (a programming error in the caller, never input from the wire).
 */
export function encodeAdvertisingToken(fields: AdvertisingTokenFields, masterKey: Key, siteKey: Key, opts?: EncodeOptions): string {
  const uid = decodeRawUid(fields.rawUid);
  if (uid === null) throw new TokenEncodeError('invalid-raw-uid', 'raw UID must be base64 of 32 or 33 bytes');
  const version = opts?.version ?? 4;

  const site = Buffer.allocUnsafe(SITE_PAYLOAD_HEADER_LENGTH + uid.length);
  site.writeInt32BE(checkInt('siteId', fields.siteId, INT32_MIN, INT32_MAX), 0);
  writeInt64(site, checkInt('publisherId', fields.publisherId ?? 0, 0, TIME_MAX), 4);
  site.writeInt32BE(checkInt('clientKeyId', fields.clientKeyId ?? 0, INT32_MIN, INT32_MAX), 12);
  site.writeUInt32BE(checkInt('privacyBits', fields.privacyBits, 0, UINT32_MAX), 16);
  writeInt64(site, checkInt('established', fields.established, 0, TIME_MAX), 20);
  writeInt64(site, checkInt('refreshed', fields.refreshed, 0, TIME_MAX), 28);
  site.set(uid, SITE_PAYLOAD_HEADER_LENGTH);
  const siteSealed = aesGcmEncrypt(siteKey.secret, site, opts?.ivs?.site);

  const master = Buffer.allocUnsafe(MASTER_PAYLOAD_HEADER_LENGTH + siteSealed.length);
  writeInt64(master, checkInt('expires', fields.expires, 0, TIME_MAX), 0);
  writeInt64(master, checkInt('created', fields.created, 0, TIME_MAX), 8);
  master.writeInt32BE(checkInt('operatorSiteId', fields.operatorSiteId ?? 0, INT32_MIN, INT32_MAX), 16);
  master[20] = checkInt('operatorType', fields.operatorType ?? 1, 0, 255);
  master.writeInt32BE(checkInt('operatorVersion', fields.operatorVersion ?? 0, INT32_MIN, INT32_MAX), 21);
  master.writeInt32BE(checkInt('operatorKeyId', fields.operatorKeyId ?? 0, INT32_MIN, INT32_MAX), 25);
  master.writeUInt32BE(checkInt('siteKey.id', siteKey.id, 0, UINT32_MAX), 29);
  master.set(siteSealed, MASTER_PAYLOAD_HEADER_LENGTH);
  const masterSealed = aesGcmEncrypt(masterKey.secret, master, opts?.ivs?.master);

  const token = Buffer.allocUnsafe(V3_HEADER_LENGTH + masterSealed.length);
  token[0] = identityByte(fields.identityScope, fields.identityType);
  token[1] = version === 3 ? TOKEN_VERSION_BYTE_V3 : TOKEN_VERSION_BYTE_V4;
  token.writeUInt32BE(checkInt('masterKey.id', masterKey.id, 0, UINT32_MAX), 2);
  token.set(masterSealed, V3_HEADER_LENGTH);
  return version === 3 ? encodeBase64(token) : encodeBase64Url(token);
}

/** Size of a token's bytes for a raw UID of `uidLength` bytes (163 or 164 for v4 in practice). */
export function advertisingTokenByteLength(uidLength: number): number {
  return V3_HEADER_LENGTH + 2 * (GCM_IV_LENGTH + GCM_TAG_LENGTH) + MASTER_PAYLOAD_HEADER_LENGTH + SITE_PAYLOAD_HEADER_LENGTH + uidLength;
}
