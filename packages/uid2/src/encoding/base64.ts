// Strict base64 / base64url codecs.
//
// Why not Buffer.from(s, 'base64') alone: Node's decoder is lenient. It skips characters outside the
// alphabet, accepts both alphabets at once, stops at the first '=' and ignores garbage after it. For
// tokens that leniency means two different strings decode to the same bytes and junk slips through.
//
// How we stay strict and fast: let Buffer decode (native), then re-encode the bytes and require the
// input to be exactly that canonical text (with or without its '=' padding, as the caller allows).
// Whatever Buffer skipped or tolerated, a string that is not the canonical encoding of its own bytes
// cannot pass; and both directions run in native code, several times faster than a JS character loop
// (which matters: every token decrypt starts here).

import { asBuffer } from './bytes.ts';

/** How '=' padding is treated: must be present, may be present, or must be absent. */
export type Base64Padding = 'required' | 'optional' | 'forbidden';

export interface Base64DecodeOptions {
  padding?: Base64Padding;
}

/** 61 = '='. */
const EQ = 61;

/**
 * Whether `s` is `canonical` (the unpadded canonical text) plus an acceptable amount of '=' padding:
 * none, or exactly enough to reach a multiple of 4 characters.
 */
function matchesCanonical(s: string, canonical: string, padding: Base64Padding): boolean {
  const padLen = s.length - canonical.length;
  if (padLen === 0) return padding !== 'required' || (canonical.length & 3) === 0 ? s === canonical : false;
  if (padding === 'forbidden' || padLen < 0 || padLen > 2 || (s.length & 3) !== 0) return false;
  for (let i = canonical.length; i < s.length; i++) if (s.charCodeAt(i) !== EQ) return false;
  return s.startsWith(canonical);
}

/** base64 text without its trailing '=' (Buffer's 'base64' output is padded). */
function unpadded(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === EQ) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * Decodes standard-alphabet base64 (`+`, `/`). Padding is optional by default; `{ padding: 'required' }`
 * matches decoders such as Python's b64decode that insist on it. Returns null on any malformed input:
 * characters outside the alphabet (spaces, newlines, `-`/`_`), wrong or misplaced padding, a dangling
 * character, or non-zero trailing bits.
 */
export function decodeBase64(s: string, opts?: Base64DecodeOptions): Uint8Array | null {
  if (typeof s !== 'string') return null;
  const bytes = Buffer.from(s, 'base64');
  return matchesCanonical(s, unpadded(bytes.toString('base64')), opts?.padding ?? 'optional') ? bytes : null;
}

/** Decodes URL-safe base64 (`-`, `_`); padding optional by default, same strictness as decodeBase64. */
export function decodeBase64Url(s: string, opts?: Base64DecodeOptions): Uint8Array | null {
  if (typeof s !== 'string') return null;
  const bytes = Buffer.from(s, 'base64url');
  return matchesCanonical(s, bytes.toString('base64url'), opts?.padding ?? 'optional') ? bytes : null;
}

/** Standard base64 with `=` padding (the form UID2 uses for secrets, raw UIDs, v3 tokens, envelopes). */
export function encodeBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}

/** URL-safe base64 without padding (the form of v4 advertising tokens). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}
