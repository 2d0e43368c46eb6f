// Byte layout constants of advertising tokens (operator-api.md §9). All integers big-endian.
import type { IdentityScope, IdentityType } from '../types.ts';

/** Byte 1 of a v3 token. */
export const TOKEN_VERSION_BYTE_V3 = 112;
/** Byte 1 of a v4 token. */
export const TOKEN_VERSION_BYTE_V4 = 128;
/** Byte 0 of a legacy v2 token. */
export const TOKEN_VERSION_BYTE_V2 = 2;

/** identity byte, version byte, master key id (4). */
export const V3_HEADER_LENGTH = 6;
/** expires(8) created(8) operator site(4) type(1) version(4) key id(4) site key id(4). */
export const MASTER_PAYLOAD_HEADER_LENGTH = 33;
/** site id(4) publisher id(8) client key id(4) privacy bits(4) established(8) refreshed(8). */
export const SITE_PAYLOAD_HEADER_LENGTH = 36;

const TWO_32 = 4294967296;

// Integer reads straight from the bytes: a token decrypt reads 17 integers, and Buffer's read methods
// (argument validation, bounds checks, a call each) cost more than the shifts. Callers check the
// bounds first (every length is checked before any read); these do not.

/** Big-endian int32 at `offset`. */
export function readInt32(b: Uint8Array, offset: number): number {
  return ((b[offset] as number) << 24) | ((b[offset + 1] as number) << 16) | ((b[offset + 2] as number) << 8) | (b[offset + 3] as number);
}

/** Big-endian uint32 at `offset`. */
export function readUint32(b: Uint8Array, offset: number): number {
  return readInt32(b, offset) >>> 0;
}

/** Reads an int64 that is known to fit in a double (ms timestamps), without BigInt. */
export function readInt64(b: Uint8Array, offset: number): number {
  return readInt32(b, offset) * TWO_32 + readUint32(b, offset + 4);
}

/** Writes a safe integer as int64 without BigInt. */
export function writeInt64(buf: Buffer, value: number, offset: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_32, offset + 4);
}

/** Identity byte: (scope << 4) | (type << 2) | 3 (the operator sets the low two bits and clears the top three). */
export function identityByte(scope: IdentityScope, type: IdentityType): number {
  return ((scope === 'EUID' ? 1 : 0) << 4) | ((type === 'Phone' ? 1 : 0) << 2) | 3;
}

export function scopeFromIdentityByte(b: number): IdentityScope {
  return (b >> 4) & 1 ? 'EUID' : 'UID2';
}

/** Type bits 2..3 of the identity byte; null for the undefined values 2 and 3. */
export function typeFromIdentityByte(b: number): IdentityType | null {
  const t = (b >> 2) & 3;
  return t === 0 ? 'Email' : t === 1 ? 'Phone' : null;
}

/** Bits of the identity byte the operator always writes the same way: the low two set, the top three clear. */
export const IDENTITY_BYTE_FIXED_MASK = 0xe3;
export const IDENTITY_BYTE_FIXED_VALUE = 0x03;

/**
 * Scope and type bits (2..4) of an identity byte or of a v3/v4 raw UID's prefix byte: both put the
 * scope at bit 4 and the type at bits 2..3 (a v4 raw UID adds environment and version bits above).
 */
export function scopeAndTypeBits(b: number): number {
  return (b >> 2) & 7;
}
