// Refresh tokens (spec §5), an operator-only concept: clients never open them, they only send them back.
//
//   inner v3 token (124 bytes, standard base64, 168 chars):
//     identity byte | 0x70 | refresh key id(4) | AES-GCM(refresh key, 90-byte payload)
//   payload: expires(8) created(8) operator site(4)=0 type(1)=1 version(4)=0 key id(4)=0
//            publisher site(4) publisher id(8)=0 client key id(4)=0 privacy bits(4) established(8)
//            identity byte(1) first-level hash(32)
//   wrapper (291 bytes, 388 chars): scope byte | refresh key id(4) |
//     AES-GCM(refresh key, {"refresh_response_key":"<44>","refresh_token":"<168>"})
import { randomBytes } from 'node:crypto';
import { aesGcmDecrypt, aesGcmEncrypt } from '@uid2-pixels/uid2/crypto/aes';
import { decodeBase64, encodeBase64 } from '@uid2-pixels/uid2/encoding/base64';
import type { IdentityKind, Scope } from '../identity/raw-uid.ts';
import { identityPrefix } from '../identity/raw-uid.ts';

export const WRAPPED_REFRESH_TOKEN_LENGTH = 388;
const VERSION_V3 = 112;
const PAYLOAD_LENGTH = 90;
const INNER_LENGTH = 6 + 12 + PAYLOAD_LENGTH + 16;

export interface RefreshKey {
  id: number;
  secret: Uint8Array;
}

export interface RefreshTokenFields {
  scope: Scope;
  kind: IdentityKind;
  expires: number;
  created: number;
  siteId: number;
  privacyBits: number;
  established: number;
  firstLevelHash: Uint8Array;
}

const SCOPES: Scope[] = ['UID2', 'EUID'];
const KINDS: IdentityKind[] = ['Email', 'Phone'];

function identityByte(scope: Scope, kind: IdentityKind): number {
  return identityPrefix(scope, kind) | 3;
}

export function encodeInnerRefreshToken(fields: RefreshTokenFields, key: RefreshKey): string {
  const idByte = identityByte(fields.scope, fields.kind);
  const p = Buffer.alloc(PAYLOAD_LENGTH);
  p.writeBigInt64BE(BigInt(fields.expires), 0);
  p.writeBigInt64BE(BigInt(fields.created), 8);
  p.writeInt32BE(0, 16); // operator site id
  p.writeUInt8(1, 20); // operator type: Service
  p.writeInt32BE(0, 21); // operator version
  p.writeInt32BE(0, 25); // operator key id
  p.writeInt32BE(fields.siteId, 29);
  p.writeBigInt64BE(0n, 33); // publisher id
  p.writeInt32BE(0, 41); // client key id
  p.writeUInt32BE(fields.privacyBits >>> 0, 45);
  p.writeBigInt64BE(BigInt(fields.established), 49);
  p.writeUInt8(idByte, 57);
  p.set(fields.firstLevelHash.subarray(0, 32), 58);
  const header = Buffer.alloc(6);
  header.writeUInt8(idByte, 0);
  header.writeUInt8(VERSION_V3, 1);
  header.writeInt32BE(key.id, 2);
  return encodeBase64(Buffer.concat([header, aesGcmEncrypt(key.secret, p)]));
}

export type InnerDecodeResult = { ok: true; fields: RefreshTokenFields; keyId: number } | { ok: false };

/** Opens an inner v3 refresh token; anything else (bad base64, other version, unknown key) is invalid. */
export function decodeInnerRefreshToken(token: string, keyById: (id: number) => RefreshKey | null): InnerDecodeResult {
  const bytes = decodeBase64(token);
  if (!bytes || bytes.length !== INNER_LENGTH || bytes[1] !== VERSION_V3) return { ok: false };
  const buf = Buffer.from(bytes);
  const keyId = buf.readInt32BE(2);
  const key = keyById(keyId);
  if (!key) return { ok: false };
  const plain = aesGcmDecrypt(key.secret, buf.subarray(6));
  if (!plain || plain.length !== PAYLOAD_LENGTH) return { ok: false };
  const p = Buffer.from(plain);
  const idByte = p.readUInt8(57);
  if ((idByte & 0xfc) !== (buf[0]! & 0xfc)) return { ok: false };
  const scope = SCOPES[(idByte >> 4) & 1]!;
  const kind = KINDS[(idByte >> 2) & 1]!;
  if ((idByte & 0xe0) !== 0) return { ok: false };
  return {
    ok: true,
    keyId,
    fields: {
      scope,
      kind,
      expires: Number(p.readBigInt64BE(0)),
      created: Number(p.readBigInt64BE(8)),
      siteId: p.readInt32BE(29),
      privacyBits: p.readUInt32BE(45),
      established: Number(p.readBigInt64BE(49)),
      firstLevelHash: Buffer.from(p.subarray(58, 90)),
    },
  };
}

export interface WrappedRefreshToken {
  token: string;
  responseKey: string;
}

/** Wraps an inner token with a fresh refresh_response_key; compact JSON keeps it at 388 chars. */
export function wrapRefreshToken(innerToken: string, key: RefreshKey, scope: Scope): WrappedRefreshToken {
  const responseKey = encodeBase64(randomBytes(32));
  const json = `{"refresh_response_key":${JSON.stringify(responseKey)},"refresh_token":${JSON.stringify(innerToken)}}`;
  const header = Buffer.alloc(5);
  header.writeUInt8(scope === 'EUID' ? 0x10 : 0x00, 0);
  header.writeInt32BE(key.id, 1);
  const token = encodeBase64(Buffer.concat([header, aesGcmEncrypt(key.secret, Buffer.from(json, 'utf8'))]));
  return { token, responseKey };
}

/** Why a wrapped token could not be opened, with the real operator's 400 messages (spec §3.2 step 1). */
export type UnwrapResult =
  | { ok: true; innerToken: string; responseKey: Uint8Array }
  | { ok: false; message: string };

export function unwrapRefreshToken(wrapped: string, keyById: (id: number) => RefreshKey | null): UnwrapResult {
  const bytes = decodeBase64(wrapped);
  if (!bytes || bytes.length < 5) return { ok: false, message: 'Invalid body: Body is not valid base64.' };
  const buf = Buffer.from(bytes);
  const keyId = buf.readInt32BE(1);
  const key = keyById(keyId);
  if (!key) return { ok: false, message: `Invalid key: Generator of this token (Key ID: ${keyId}) does not exist.` };
  const plain = aesGcmDecrypt(key.secret, buf.subarray(5));
  if (!plain) return { ok: false, message: 'Invalid data: Check encryption method and encryption key.' };
  const bad = { ok: false as const, message: 'Invalid format: Payload is not valid json or missing required data.' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(plain).toString('utf8'));
  } catch {
    return bad;
  }
  const record = json as { refresh_response_key?: unknown; refresh_token?: unknown } | null;
  if (typeof record?.refresh_token !== 'string' || typeof record.refresh_response_key !== 'string') return bad;
  const responseKey = decodeBase64(record.refresh_response_key);
  if (!responseKey || responseKey.length !== 32) return bad;
  return { ok: true, innerToken: record.refresh_token, responseKey };
}
