// openAdvertisingToken: the pure decoding of an advertising token, shared by decryptToken (SDK
// semantics) and the operator's /v2/token/validate. It unwraps as far as the keys allow and reports
// where it stopped; it applies no clock, lifetime or permission rule (those are the callers' policies).
//
// v3/v4 (operator-api.md §9.1):
//   identity(1) version(1) masterKeyId(4) GCM(master){ expires(8) created(8) opSite(4) opType(1)
//     opVersion(4) opKeyId(4) siteKeyId(4) GCM(site){ siteId(4) publisherId(8) clientKeyId(4)
//     privacyBits(4) established(8) refreshed(8) rawUid(32|33) } }
// v2 (§9.4, decode only):
//   2(1) masterKeyId(4) CBC(master){ expires(8) siteKeyId(4) CBC(site){ siteId(4) len(4) uidText(len)
//     privacyBits(4) established(8) } }
import { aesCbcDecrypt, aesGcmDecrypt, GCM_IV_LENGTH, GCM_TAG_LENGTH, CBC_IV_LENGTH } from '../crypto/aes.ts';
import type { IdentityScope, IdentityType, Key, TokenVersion } from '../types.ts';
import {
  IDENTITY_BYTE_FIXED_MASK,
  IDENTITY_BYTE_FIXED_VALUE,
  MASTER_PAYLOAD_HEADER_LENGTH,
  readInt32,
  readInt64,
  readUint32,
  scopeFromIdentityByte,
  SITE_PAYLOAD_HEADER_LENGTH,
  typeFromIdentityByte,
  V3_HEADER_LENGTH,
} from './layout.ts';
import { decodeTokenInto } from './token-string.ts';
import { asBuffer } from '../encoding/bytes.ts';

export type KeyLookup = (keyId: number) => Key | undefined;

export type OpenStatus = 'Success' | 'InvalidPayload' | 'VersionNotSupported' | 'NotAuthorizedForMasterKey' | 'NotAuthorizedForKey';

/**
 * How far a token opened. Fields are null until the layer holding them was decrypted:
 * header fields (version, identity) after decoding, master fields (expires, created, operator,
 * siteKeyId, masterKey) after the master layer, site fields after the site layer. `status` is
 * Success only when every layer opened.
 */
export class OpenedAdvertisingToken {
  status: OpenStatus = 'InvalidPayload';
  version: TokenVersion | null = null;
  /** Byte 0 of a v3/v4 token, as read (outside both encryption layers); null for v2. */
  identityByte: number | null = null;
  /** From the token's identity byte (v3/v4); null for v2, which carries none. */
  identityScope: IdentityScope | null = null;
  identityType: IdentityType | null = null;
  masterKeyId: number | null = null;
  masterKey: Key | null = null;
  expires: number | null = null;
  /** "Token generated" time; null for v2 (it has none). */
  created: number | null = null;
  operatorSiteId: number | null = null;
  operatorType: number | null = null;
  operatorVersion: number | null = null;
  operatorKeyId: number | null = null;
  siteKeyId: number | null = null;
  siteKey: Key | null = null;
  siteId: number | null = null;
  publisherId: number | null = null;
  clientKeyId: number | null = null;
  privacyBits: number | null = null;
  established: number | null = null;
  /** null for v2. */
  refreshed: number | null = null;
  /** The raw UID as base64 text (what SDKs return as `uid`). */
  uid: string | null = null;
  /** The decrypted site payload (v3/v4), kept so rawUid costs nothing unless someone asks for it. */
  sitePayload: Buffer | null = null;

  /** The raw UID bytes (32 or 33); null for v2, whose payload carries only the base64 text. */
  get rawUid(): Uint8Array | null {
    return this.status === 'Success' && this.sitePayload !== null ? this.sitePayload.subarray(SITE_PAYLOAD_HEADER_LENGTH) : null;
  }
}

const MIN_GCM = GCM_IV_LENGTH + GCM_TAG_LENGTH;
const asciiStrict = new TextDecoder('utf-8', { fatal: true });

function openV3(bytes: Buffer, lookupKey: KeyLookup, out: OpenedAdvertisingToken, strictHeader: boolean): OpenedAdvertisingToken {
  const identity = bytes[0] as number;
  const type = typeFromIdentityByte(identity);
  // Smallest possible token: header + master GCM around (master header + site GCM around site header).
  if (type === null || bytes.length < V3_HEADER_LENGTH + MIN_GCM + MASTER_PAYLOAD_HEADER_LENGTH + MIN_GCM + SITE_PAYLOAD_HEADER_LENGTH) {
    return out;
  }
  out.identityByte = identity;
  out.identityScope = scopeFromIdentityByte(identity);
  out.identityType = type;
  const masterKeyId = readUint32(bytes, 2);
  out.masterKeyId = masterKeyId;
  // The clear header's fixed bits, checked before any key lookup so a bad header costs no crypto.
  if (strictHeader && (identity & IDENTITY_BYTE_FIXED_MASK) !== IDENTITY_BYTE_FIXED_VALUE) return out;
  const masterKey = lookupKey(masterKeyId);
  if (masterKey === undefined) {
    out.status = 'NotAuthorizedForMasterKey';
    return out;
  }
  out.masterKey = masterKey;
  const m = aesGcmDecrypt(masterKey.secret, bytes, V3_HEADER_LENGTH);
  if (m === null) return out;
  out.expires = readInt64(m, 0);
  out.created = readInt64(m, 8);
  out.operatorSiteId = readInt32(m, 16);
  out.operatorType = m[20] as number;
  out.operatorVersion = readInt32(m, 21);
  out.operatorKeyId = readInt32(m, 25);
  const siteKeyId = readUint32(m, 29);
  out.siteKeyId = siteKeyId;
  const siteKey = lookupKey(siteKeyId);
  if (siteKey === undefined) {
    out.status = 'NotAuthorizedForKey';
    return out;
  }
  out.siteKey = siteKey;
  const s = aesGcmDecrypt(siteKey.secret, m, MASTER_PAYLOAD_HEADER_LENGTH);
  if (s === null) return out;
  const uidLength = s.length - SITE_PAYLOAD_HEADER_LENGTH;
  // Raw UIDs are 32 bytes (v2 raw UID) or 33 (v3/v4 raw UID with its identity prefix byte).
  if (uidLength !== 32 && uidLength !== 33) return out;
  out.siteId = readInt32(s, 0);
  out.publisherId = readInt64(s, 4);
  out.clientKeyId = readInt32(s, 12);
  out.privacyBits = readUint32(s, 16);
  out.established = readInt64(s, 20);
  out.refreshed = readInt64(s, 28);
  out.sitePayload = s;
  out.uid = s.toString('base64', SITE_PAYLOAD_HEADER_LENGTH);
  out.status = 'Success';
  return out;
}

function openV2(bytes: Buffer, lookupKey: KeyLookup, out: OpenedAdvertisingToken): OpenedAdvertisingToken {
  // version(1) masterKeyId(4) IV(16) and at least one cipher block.
  if (bytes.length < 5 + CBC_IV_LENGTH + 16) return out;
  const masterKeyId = readUint32(bytes, 1);
  out.masterKeyId = masterKeyId;
  const masterKey = lookupKey(masterKeyId);
  if (masterKey === undefined) {
    out.status = 'NotAuthorizedForMasterKey';
    return out;
  }
  out.masterKey = masterKey;
  const masterPlain = aesCbcDecrypt(masterKey.secret, bytes.subarray(5));
  // expires(8) siteKeyId(4) then the site layer: IV(16) and at least one block.
  if (masterPlain === null || masterPlain.length < 12 + CBC_IV_LENGTH + 16) return out;
  const m = asBuffer(masterPlain);
  out.expires = readInt64(m, 0);
  const siteKeyId = readUint32(m, 8);
  out.siteKeyId = siteKeyId;
  const siteKey = lookupKey(siteKeyId);
  if (siteKey === undefined) {
    out.status = 'NotAuthorizedForKey';
    return out;
  }
  out.siteKey = siteKey;
  const sitePlain = aesCbcDecrypt(siteKey.secret, m.subarray(12));
  if (sitePlain === null || sitePlain.length < 8) return out;
  const s = asBuffer(sitePlain);
  const uidLength = readUint32(s, 4);
  // CBC has no integrity: bound every length by the bytes actually present.
  if (uidLength === 0 || uidLength > 64 || 8 + uidLength + 12 > s.length) return out;
  let uid: string;
  try {
    uid = asciiStrict.decode(s.subarray(8, 8 + uidLength));
  } catch {
    return out;
  }
  out.siteId = readInt32(s, 0);
  out.privacyBits = readUint32(s, 8 + uidLength);
  out.established = readInt64(s, 12 + uidLength);
  out.uid = uid;
  out.status = 'Success';
  return out;
}

/**
 * openAdvertisingToken without its last-resort try/catch. Every read is bounds-checked, so this should
 * never throw; the property tests call it directly to prove that the guard is never what saves us.
 * `strictHeader`: stop (InvalidPayload, masterKeyId read, nothing decrypted) when a v3/v4 identity
 * byte has a fixed bit the operator never writes that way. decryptToken asks for it; the plain decoder
 * (the operator's /v2/token/validate) reads byte 0 unchecked, as the SDKs and the operator do.
 */
export function openAdvertisingTokenUnguarded(token: string | Uint8Array, lookupKey: KeyLookup, strictHeader = false): OpenedAdvertisingToken {
  const out = new OpenedAdvertisingToken();
  let bytes: Buffer;
  if (typeof token === 'string') {
    const decoded = decodeTokenInto(token, out);
    if (decoded === null) return out;
    bytes = decoded;
  } else if (token instanceof Uint8Array && token.length >= 2) {
    bytes = asBuffer(token);
    out.version = bytes[0] === 2 ? 2 : bytes[1] === 112 ? 3 : bytes[1] === 128 ? 4 : null;
    if (out.version === null) {
      out.status = 'VersionNotSupported';
      return out;
    }
  } else {
    return out;
  }
  return out.version === 2 ? openV2(bytes, lookupKey, out) : openV3(bytes, lookupKey, out, strictHeader);
}

/**
 * Decodes and decrypts an advertising token (text, or its decoded bytes) with keys from `lookupKey`.
 * Never throws. Key activation and expiry are deliberately not checked: a token stays decryptable with
 * the key it was sealed with for as long as the key is published (as in every SDK).
 */
export function openAdvertisingToken(token: string | Uint8Array, lookupKey: KeyLookup): OpenedAdvertisingToken {
  try {
    return openAdvertisingTokenUnguarded(token, lookupKey);
  } catch {
    // Last guard only: every path bounds its reads, so reaching here is a bug, not an input.
    return new OpenedAdvertisingToken();
  }
}
