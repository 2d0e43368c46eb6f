// Raw UID2 derivation (spec §7). Salts and v4 key material are used as their TEXT bytes, never decoded.
//   FLH  = SHA-256( b64(identity hash) || first_level salt )
//   v2   = SHA-256( b64(FLH) || bucket salt )                      32 bytes
//   v3   = (scope << 4 | type << 2) || v2                           33 bytes
//   v4   = meta || key id(3) || iv(12) || AES-CTR(L16) || checksum  33 bytes (bucket with key material)
import { createCipheriv, hash } from 'node:crypto';

export type IdentityKind = 'Email' | 'Phone';
export type Scope = 'UID2' | 'EUID';
export type IdentityEnvironment = 'test' | 'integ' | 'prod';

const SCOPE_BITS: Record<Scope, number> = { UID2: 0, EUID: 1 };
const TYPE_BITS: Record<IdentityKind, number> = { Email: 0, Phone: 1 };
const ENV_BITS: Record<IdentityEnvironment, number> = { test: 0, integ: 1, prod: 2 };

/** SHA-256 of the parts' bytes (strings as UTF-8). One-shot crypto.hash: the mapping hot path runs it twice per identifier. */
function sha256(...parts: (Uint8Array | string)[]): Buffer {
  if (parts.every((p) => typeof p === 'string')) return hash('sha256', parts.join(''), 'buffer');
  return hash('sha256', Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))), 'buffer');
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** `(scope << 4) | (type << 2)`: the v3 raw UID prefix; tokens add `| 3` for their identity byte. */
export function identityPrefix(scope: Scope, kind: IdentityKind): number {
  return (SCOPE_BITS[scope] << 4) | (TYPE_BITS[kind] << 2);
}

export function firstLevelHash(identityHash: Uint8Array, firstLevelSalt: string): Buffer {
  return sha256(b64(identityHash), firstLevelSalt);
}

/** The 20-bit bucket index of spec §7 step 3, reduced modulo the bucket count unless it is 2^20. */
export function saltBucketIndex(flh: Uint8Array, bucketCount: number): number {
  const idx = (flh[0]! << 12) | (flh[1]! << 4) | (flh[2]! & 0x0f);
  return bucketCount === 1 << 20 ? idx : idx % bucketCount;
}

export function rawUidV2(flh: Uint8Array, salt: string): Buffer {
  return sha256(b64(flh), salt);
}

export function rawUidV3(flh: Uint8Array, salt: string, scope: Scope, kind: IdentityKind): Buffer {
  return Buffer.concat([Buffer.of(identityPrefix(scope, kind)), rawUidV2(flh, salt)]);
}

export interface V4KeyMaterial {
  id: number;
  /** 32 characters used as the AES-256 key bytes */
  key: string;
  salt: string;
}

export function rawUidV4(
  flh: Uint8Array,
  material: V4KeyMaterial,
  scope: Scope,
  kind: IdentityKind,
  environment: IdentityEnvironment,
): Buffer {
  const meta = Buffer.of((ENV_BITS[environment] << 6) | (1 << 5) | identityPrefix(scope, kind));
  const keyId = Buffer.of((material.id >>> 16) & 0xff, (material.id >>> 8) & 0xff, material.id & 0xff);
  const last16 = flh.subarray(flh.length - 16);
  const iv = sha256(material.salt, last16, meta, keyId).subarray(0, 12);
  const counterBlock = Buffer.concat([iv, Buffer.alloc(4)]);
  const cipher = createCipheriv('aes-256-ctr', Buffer.from(material.key, 'utf8'), counterBlock);
  const encrypted = Buffer.concat([cipher.update(last16), cipher.final()]);
  const body = Buffer.concat([meta, keyId, iv, encrypted]);
  let checksum = 0;
  for (const byte of body) checksum ^= byte;
  return Buffer.concat([body, Buffer.of(checksum)]);
}
