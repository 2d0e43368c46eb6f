// Token text -> bytes, with the version detection the operator and SDKs use (operator-api.md §9.1):
// decode the first 4 characters (base64url if they contain '-' or '_', else base64); byte 0 == 2 is a
// v2 token, byte 1 == 112 a v3 token, byte 1 == 128 a v4 token. v2 and v3 are standard padded base64
// (as the SDKs' decoders insist), v4 is base64url but the SDKs also take standard base64, padded or not.
// Unlike the SDKs we decode strictly: junk characters, spaces or mixed alphabets are InvalidPayload.
import { decodeBase64, decodeBase64Url } from '../encoding/base64.ts';
import { TOKEN_VERSION_BYTE_V2, TOKEN_VERSION_BYTE_V3, TOKEN_VERSION_BYTE_V4 } from './layout.ts';

export type DecodedTokenString =
  | { ok: true; version: 2 | 3 | 4; bytes: Buffer }
  | { ok: false; status: 'InvalidPayload' | 'VersionNotSupported' };

const INVALID: DecodedTokenString = Object.freeze({ ok: false, status: 'InvalidPayload' });
const UNSUPPORTED: DecodedTokenString = Object.freeze({ ok: false, status: 'VersionNotSupported' });

const DASH = 45;
const UNDERSCORE = 95;

export function decodeTokenString(token: string): DecodedTokenString {
  if (typeof token !== 'string' || token.length < 4) return INVALID;
  const c0 = token.charCodeAt(0);
  const c1 = token.charCodeAt(1);
  const c2 = token.charCodeAt(2);
  const c3 = token.charCodeAt(3);
  const urlHeader = c0 === DASH || c0 === UNDERSCORE || c1 === DASH || c1 === UNDERSCORE || c2 === DASH || c2 === UNDERSCORE || c3 === DASH || c3 === UNDERSCORE;
  const header = urlHeader ? decodeBase64Url(token.slice(0, 4)) : decodeBase64(token.slice(0, 4));
  if (header === null || header.length < 2) return INVALID;
  let version: 2 | 3 | 4;
  let bytes: Uint8Array | null;
  if (header[0] === TOKEN_VERSION_BYTE_V2) {
    version = 2;
    bytes = decodeBase64(token, { padding: 'required' });
  } else if (header[1] === TOKEN_VERSION_BYTE_V3) {
    version = 3;
    bytes = decodeBase64(token, { padding: 'required' });
  } else if (header[1] === TOKEN_VERSION_BYTE_V4) {
    version = 4;
    // The usual form first; a string mixing both alphabets fails both.
    bytes = decodeBase64Url(token) ?? decodeBase64(token);
  } else {
    return UNSUPPORTED;
  }
  // Our decoders return Buffers; the codec reads integers through Buffer methods.
  return bytes === null ? INVALID : { ok: true, version, bytes: bytes as Buffer };
}
