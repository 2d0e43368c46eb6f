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

/** Value of a base64 character in either alphabet ('+'/'-' = 62, '/'/'_' = 63), or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43 || c === 45) return 62; // + -
  if (c === 47 || c === 95) return 63; // / _
  return -1;
}

/** Where decodeTokenInto reports the version found, or why there is none. */
export interface TokenTextSink {
  version: 2 | 3 | 4 | null;
  status: 'Success' | 'InvalidPayload' | 'VersionNotSupported' | (string & {});
}

/**
 * The hot-path form: returns the token bytes and writes the version into `sink`, or returns null and
 * writes the failure status. No result object is allocated per token.
 */
export function decodeTokenInto(token: string, sink: TokenTextSink): Buffer | null {
  if (typeof token !== 'string' || token.length < 4) {
    sink.status = 'InvalidPayload';
    return null;
  }
  // The first two bytes come from the first three characters; the fourth must be a base64 character
  // too (the SDKs decode all four). Read directly rather than slicing and decoding a 4-char string:
  // this runs for every token. Which alphabet the header used does not matter here, because the strict
  // decode of the whole token below rejects any string that is not one alphabet throughout.
  const s0 = sextet(token.charCodeAt(0));
  const s1 = sextet(token.charCodeAt(1));
  const s2 = sextet(token.charCodeAt(2));
  if (s0 < 0 || s1 < 0 || s2 < 0 || sextet(token.charCodeAt(3)) < 0) {
    sink.status = 'InvalidPayload';
    return null;
  }
  const b0 = (s0 << 2) | (s1 >> 4);
  const b1 = ((s1 & 15) << 4) | (s2 >> 2);
  let bytes: Uint8Array | null;
  if (b0 === TOKEN_VERSION_BYTE_V2) {
    sink.version = 2;
    bytes = decodeBase64(token, { padding: 'required' });
  } else if (b1 === TOKEN_VERSION_BYTE_V3) {
    sink.version = 3;
    bytes = decodeBase64(token, { padding: 'required' });
  } else if (b1 === TOKEN_VERSION_BYTE_V4) {
    sink.version = 4;
    // The usual form first; a string mixing both alphabets fails both.
    bytes = decodeBase64Url(token) ?? decodeBase64(token);
  } else {
    sink.status = 'VersionNotSupported';
    return null;
  }
  if (bytes === null) {
    sink.version = null;
    sink.status = 'InvalidPayload';
    return null;
  }
  // Our decoders return Buffers; the codec reads integers through Buffer methods.
  return bytes as Buffer;
}

/** Token text -> version and bytes, or the status that explains why not. */
export function decodeTokenString(token: string): DecodedTokenString {
  const sink: TokenTextSink = { version: null, status: 'Success' };
  const bytes = decodeTokenInto(token, sink);
  if (bytes === null || sink.version === null) return sink.status === 'VersionNotSupported' ? UNSUPPORTED : INVALID;
  return { ok: true, version: sink.version, bytes };
}
