// The bulk API's fast path for {"tokens":[...]} bodies: it must give exactly what JSON.parse gives, or
// step aside (null) so that JSON.parse decides.
import { describe, expect, it } from 'vitest';
import { compactTokens } from '../src/share/compact-tokens.ts';

const body = (text: string) => Buffer.from(text, 'utf8');

describe('compactTokens', () => {
  it('cuts the tokens of a JSON.stringify body out of its bytes, as JSON.parse reads them', () => {
    const tokens = ['AgAAAA+/=', 'A4AAA-_x', '', 'x'.repeat(2000)];
    const text = JSON.stringify({ tokens });
    expect(compactTokens(body(text), 10)).toEqual((JSON.parse(text) as { tokens: string[] }).tokens);
    expect(compactTokens(body('{"tokens":["one"]}'), 1)).toEqual(['one']);
  });

  it.each([
    ['whitespace', '{ "tokens": ["a"] }'],
    ['a trailing newline', '{"tokens":["a"]}\n'],
    ['an escape', '{"tokens":["a\\"b"]}'],
    ['a unicode escape', '{"tokens":["\\u0041"]}'],
    ['a non-ASCII character', '{"tokens":["é"]}'],
    ['a control character', '{"tokens":["a\tb"]}'],
    ['a space in a token', '{"tokens":["a b"]}'],
    ['another key after', '{"tokens":["a"],"x":1}'],
    ['another key before', '{"x":1,"tokens":["a"]}'],
    ['a number item', '{"tokens":["a",1]}'],
    ['a null item', '{"tokens":[null]}'],
    ['an empty array', '{"tokens":[]}'],
    ['an unterminated string', '{"tokens":["abc'],
    ['a missing close', '{"tokens":["a"]'],
    ['a trailing comma', '{"tokens":["a",]}'],
    ['something after the object', '{"tokens":["a"]}{}'],
    ['a nested array', '{"tokens":[["a"]]}'],
  ])('steps aside for %s', (_name, text) => {
    expect(compactTokens(body(text), 100)).toBeNull();
  });

  it('steps aside for more than maxTokens tokens (JSON.parse then answers 413)', () => {
    expect(compactTokens(body(JSON.stringify({ tokens: ['a', 'b', 'c'] })), 2)).toBeNull();
    expect(compactTokens(body(JSON.stringify({ tokens: ['a', 'b'] })), 2)).toEqual(['a', 'b']);
  });
});
