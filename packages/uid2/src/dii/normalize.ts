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

// One regular expression (the browser snippet inlines this file and its size is a promise), written so
// that it cannot backtrack quadratically: each run of spaces sits next to a class that excludes the
// space (` *` then `[^@ ]`; `[^@ ]` then ` *$`), so long runs of spaces cost one pass. (An earlier
// `^ *([^@]*)@([^@]*?) *$` took ~2 s for 40,000 spaces, and the operator runs this on request input.)

/** Normalises an email address for hashing; returns null when the address is not valid. */
export function normalizeEmail(input: string): string | null {
  // Leading spaces skipped; local part up to the only '@'; the domain loses its trailing spaces.
  const m = /^ *([^@ ][^@]*)@([^@]*[^@ ]) *$/.exec(input.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  const domain = m?.[2];
  const local = domain == 'gmail.com' ? m![1]!.split('+')[0]!.replace(/\./g, '') : m?.[1];
  return local && domain ? local + '@' + domain : null;
}

/**
 * True when the input is an E.164 phone number as the operator accepts it: '+' then 10 to 15 ASCII
 * digits and nothing else. Phones cannot be normalised (a missing country code cannot be guessed).
 * Deliberate divergence from the Python SDK, whose str.isdigit() also accepts Arabic-Indic, fullwidth
 * and superscript digits: we accept only 0-9, as the operator does.
 */
export const isNormalizedPhone = (input: string): boolean => /^\+[0-9]{10,15}$/.test(input);

const BASE64_SHA256 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * True when the input has the shape of a hashed DII as /v2/token/generate accepts it: a SHA-256
 * digest as 44-character standard base64 (with its '=' pad) or as 64 hex digits (either case).
 */
export function isDiiHash(input: string): boolean {
  return BASE64_SHA256.test(input) || HEX_SHA256.test(input);
}
