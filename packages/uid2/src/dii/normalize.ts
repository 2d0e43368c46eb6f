// DII normalisation (spec operator-api.md §2). Pure string functions, no Node or DOM APIs, so the
// browser snippet can import this file alone and a bundler keeps only what it uses.
//
// The email rules are the operator's and the Python SDK's (they agree except for spaces inside the
// local part, where we follow the SDK, as the shared vectors do):
//   - only ASCII A-Z are lower-cased (other letters are left as they are);
//   - leading spaces (U+0020 only, not tabs or newlines) are skipped;
//   - the local part is everything before the first '@'; a second '@' makes the address invalid;
//   - spaces in the domain are kept when more characters follow and dropped at the end;
//   - for the domain exactly `gmail.com`, the local part loses every '.' and everything from the first '+';
//   - an empty local part or domain (after those rules) is invalid.

const AT = 0x40;
const DOT = 0x2e;
const PLUS = 0x2b;
const SPACE = 0x20;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const GMAIL_DOMAIN = 'gmail.com';

/** Normalises an email address for hashing; returns null when the address is not valid. */
export function normalizeEmail(input: string): string | null {
  const length = input.length;
  let i = 0;
  while (i < length && input.charCodeAt(i) === SPACE) i++;

  // Local part, twice: as written (lower-cased) and with the gmail rules applied.
  let local = '';
  let gmailLocal = '';
  let inPlusSuffix = false;
  for (; i < length; i++) {
    const c = input.charCodeAt(i);
    if (c === AT) break;
    const ch = c >= UPPER_A && c <= UPPER_Z ? String.fromCharCode(c + 32) : input[i]!;
    local += ch;
    if (c === PLUS) inPlusSuffix = true;
    else if (c !== DOT && !inPlusSuffix) gmailLocal += ch;
  }
  if (i >= length) return null; // no '@'
  i++; // skip the '@'

  let domain = '';
  let pendingSpaces = '';
  for (; i < length; i++) {
    const c = input.charCodeAt(i);
    if (c === AT) return null;
    if (c === SPACE) {
      pendingSpaces += ' ';
      continue;
    }
    if (pendingSpaces !== '') {
      domain += pendingSpaces;
      pendingSpaces = '';
    }
    domain += c >= UPPER_A && c <= UPPER_Z ? String.fromCharCode(c + 32) : input[i]!;
  }
  if (domain === '') return null;

  const localToUse = domain === GMAIL_DOMAIN ? gmailLocal : local;
  if (localToUse === '') return null;
  return `${localToUse}@${domain}`;
}

/**
 * True when the input is an E.164 phone number as the operator accepts it: '+' then 10 to 15 ASCII
 * digits and nothing else. Phones cannot be normalised (a missing country code cannot be guessed).
 * Deliberate divergence from the Python SDK, whose str.isdigit() also accepts Arabic-Indic, fullwidth
 * and superscript digits: we accept only 0-9, as the operator does.
 */
export function isNormalizedPhone(input: string): boolean {
  const length = input.length;
  if (length < 11 || length > 16 || input.charCodeAt(0) !== PLUS) return false;
  for (let i = 1; i < length; i++) {
    const c = input.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

const BASE64_SHA256 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * True when the input has the shape of a hashed DII as /v2/token/generate accepts it: a SHA-256
 * digest as 44-character standard base64 (with its '=' pad) or as 64 hex digits (either case).
 */
export function isDiiHash(input: string): boolean {
  return BASE64_SHA256.test(input) || HEX_SHA256.test(input);
}
