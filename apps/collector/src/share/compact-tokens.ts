// A fast path for the bulk API's usual body, {"tokens":["<token>","<token>",...]} exactly as
// JSON.stringify writes it: the tokens are cut straight out of the bytes, one small string each.
// JSON.parse(body.toString()) first makes the whole ~1 MB body one string, a large object every
// request, and cost about 1.2 µs per token (bench/share.bench.ts); this costs about a tenth of it.
//
// It answers only when the result is certainly what JSON.parse would give: every token made only of
// token characters (so no escape, quote, control or non-ASCII byte to interpret), nothing else in the
// body but the exact frame. Anything else (whitespace, other keys, other values, an empty array, a
// body of more than `maxTokens` tokens) returns null, and the caller parses the body with JSON.parse.
// It is a parser, not the shape check: an empty or overlong token is returned as JSON.parse would
// return it, and the caller applies isTokenShaped (token-shape.ts) to every token of either path.
import { TOKEN_CHARS } from '../token-shape.ts';

const OPEN = Buffer.from('{"tokens":["', 'latin1');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** The tokens of a compact {"tokens":[...]} body, or null when the body is anything else. */
export function compactTokens(body: Buffer, maxTokens: number): string[] | null {
  if (body.length < OPEN.length + 4 || !body.subarray(0, OPEN.length).equals(OPEN)) return null;
  const tokens: string[] = [];
  let start = OPEN.length; // just past an opening quote
  for (;;) {
    const end = body.indexOf(QUOTE, start);
    if (end === -1 || tokens.length === maxTokens) return null;
    const token = body.toString('latin1', start, end);
    // Token characters only: nothing JSON would read differently from its bytes ("" reads as "").
    if (token.length > 0 && !TOKEN_CHARS.test(token)) return null;
    tokens.push(token);
    const next = body[end + 1];
    if (next === COMMA) {
      if (body[end + 2] !== QUOTE) return null;
      start = end + 3;
    } else if (next === CLOSE_ARRAY) {
      return body[end + 2] === CLOSE_OBJECT && end + 3 === body.length ? tokens : null;
    } else return null;
  }
}
