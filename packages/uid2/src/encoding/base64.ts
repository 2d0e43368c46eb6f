// Strict base64 / base64url codecs.
//
// Why not Buffer.from(s, 'base64') alone: Node's decoder is lenient. It skips characters outside the
// alphabet, accepts both alphabets at once, stops at the first '=' and ignores garbage after it. For
// tokens that leniency means two different strings decode to the same bytes and junk slips through,
// so every decoder here validates the whole string first and only then lets Buffer do the fast work.

/** 0..63 for alphabet characters, 255 for everything else (including '='). */
const INVALID = 255;

function buildTable(last2: string): Uint8Array {
  const table = new Uint8Array(256).fill(INVALID);
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${last2}`;
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const STANDARD = buildTable('+/');
const URL_SAFE = buildTable('-_');

/** How '=' padding is treated: must be present, may be present, or must be absent. */
export type Base64Padding = 'required' | 'optional' | 'forbidden';

export interface Base64DecodeOptions {
  padding?: Base64Padding;
}

/** 61 = '='. Kept as a constant so the validation loop compares numbers, not strings. */
const EQ = 61;

/**
 * Validates `s` against one alphabet and returns the number of data characters (without padding),
 * or -1 when the string is not canonical base64 under the given padding rule.
 */
function validate(s: string, table: Uint8Array, padding: Base64Padding): number {
  const len = s.length;
  let dataLen = len;
  if (len > 0 && s.charCodeAt(len - 1) === EQ) {
    dataLen = len - 1;
    if (len > 1 && s.charCodeAt(len - 2) === EQ) dataLen = len - 2;
  }
  const padLen = len - dataLen;
  const rem = dataLen & 3;
  // A single leftover character cannot encode a whole byte.
  if (rem === 1) return -1;
  if (padLen > 0) {
    if (padding === 'forbidden') return -1;
    // Padding must complete the final quantum exactly: "xx==" or "xxx=".
    if ((len & 3) !== 0 || padLen !== (rem === 2 ? 2 : rem === 3 ? 1 : -1)) return -1;
  } else if (padding === 'required' && rem !== 0) {
    return -1;
  }
  for (let i = 0; i < dataLen; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || table[c] === INVALID) return -1;
  }
  // Canonical form: the unused low bits of the last character must be zero, so that exactly one
  // string maps to each byte sequence (a flipped trailing bit must not decode to the same token).
  if (rem !== 0) {
    const last = table[s.charCodeAt(dataLen - 1)] as number;
    if ((last & (rem === 2 ? 0x0f : 0x03)) !== 0) return -1;
  }
  return dataLen;
}

/**
 * Decodes standard-alphabet base64 (`+`, `/`). Padding is optional by default; `{ padding: 'required' }`
 * matches decoders such as Python's b64decode that insist on it. Returns null on any malformed input:
 * characters outside the alphabet (spaces, newlines, `-`/`_`), wrong or misplaced padding, a dangling
 * character, or non-zero trailing bits.
 */
export function decodeBase64(s: string, opts?: Base64DecodeOptions): Uint8Array | null {
  if (typeof s !== 'string') return null;
  if (validate(s, STANDARD, opts?.padding ?? 'optional') < 0) return null;
  return Buffer.from(s, 'base64');
}

/** Decodes URL-safe base64 (`-`, `_`); padding optional by default, same strictness as decodeBase64. */
export function decodeBase64Url(s: string, opts?: Base64DecodeOptions): Uint8Array | null {
  if (typeof s !== 'string') return null;
  if (validate(s, URL_SAFE, opts?.padding ?? 'optional') < 0) return null;
  return Buffer.from(s, 'base64url');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard base64 with `=` padding (the form UID2 uses for secrets, raw UIDs, v3 tokens, envelopes). */
export function encodeBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}

/** URL-safe base64 without padding (the form of v4 advertising tokens). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}
