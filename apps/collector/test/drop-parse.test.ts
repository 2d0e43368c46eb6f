// The streaming token-file parser: line numbers as an editor shows them, whatever the chunking; CSV
// header and quoting, NDJSON, gzip by magic bytes, overlong lines rejected without buffering them, and
// the errors that make a whole file unreadable.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { csvFields, decodedBytes, formatOf, numberedLines, tokenLines, TokenFileError, type TokenLine } from '../src/drops/parse.ts';

const T1 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1';
const T2 = 'BBBB+/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=';

/** Feeds `bytes` in chunks of `size` (1 = every byte boundary). */
function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function all(source: Buffer[], format: 'csv' | 'ndjson', options = {}): Promise<TokenLine[]> {
  const out: TokenLine[] = [];
  for await (const batch of tokenLines(source, format, options)) out.push(...batch);
  return out;
}

describe('numberedLines', () => {
  it('numbers lines the same for every chunking, with CRLF and without a final newline', async () => {
    const text = Buffer.from('a\r\nbb\n\nccc');
    for (const size of [1, 2, 3, 100]) {
      const got: Array<[number, string | null]> = [];
      for await (const l of numberedLines(chunks(text, size) as unknown as AsyncIterable<Buffer>)) got.push(l);
      expect(got).toEqual([[1, 'a'], [2, 'bb'], [3, ''], [4, 'ccc']]);
    }
  });

  it('an overlong line comes back as null and the next line keeps its number', async () => {
    const text = Buffer.from(`short\n${'x'.repeat(100)}\nafter\n`);
    for (const size of [1, 7, 1000]) {
      const got: Array<[number, string | null]> = [];
      for await (const l of numberedLines(chunks(text, size) as unknown as AsyncIterable<Buffer>, 20)) got.push(l);
      expect(got).toEqual([[1, 'short'], [2, null], [3, 'after']]);
    }
  });
});

describe('tokenLines', () => {
  it('CSV: the token column by header name (any position, any case, quoted), BOM, blank lines skipped', async () => {
    const csv = `\ufeffid,"Token",note\n1,${T1},x\n\n2,"${T2}","a, b"\n3,not a token,\n4,,\n`;
    expect(await all([Buffer.from(csv)], 'csv')).toEqual([
      { line: 2, token: T1 },
      { line: 4, token: T2 },
      { line: 5, token: null },
      { line: 6, token: null },
    ]);
  });

  it('NDJSON, gzipped (found by magic bytes, chunked at every byte)', async () => {
    const nd = gzipSync(`{"token":"${T1}"}\n{"token":7}\n[1]\n{"token":"${T2}","x":1}\n`);
    expect(await all(chunks(nd, 1), 'ndjson')).toEqual([
      { line: 1, token: T1 },
      { line: 2, token: null },
      { line: 3, token: null },
      { line: 4, token: T2 },
    ]);
  });

  it('yields arrays of at most chunkLines', async () => {
    const csv = 'token\n' + Array.from({ length: 12 }, () => T1).join('\n');
    const sizes: number[] = [];
    for await (const b of tokenLines([Buffer.from(csv)], 'csv', { chunkLines: 5 })) sizes.push(b.length);
    expect(sizes).toEqual([5, 5, 2]);
  });

  it('files that cannot be read as a whole: no token column, not NDJSON, corrupt or truncated gzip', async () => {
    const code = async (source: Buffer[], format: 'csv' | 'ndjson') => {
      try {
        await all(source, format);
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(TokenFileError);
        return (err as TokenFileError).code;
      }
    };
    expect(await code([Buffer.from('id,uid\n1,2\n')], 'csv')).toBe('NO_TOKEN_COLUMN');
    expect(await code([Buffer.from('')], 'csv')).toBe('NO_TOKEN_COLUMN');
    expect(await code([Buffer.from('hello\n{"token":"x"}\n')], 'ndjson')).toBe('NOT_NDJSON');
    const gz = gzipSync(`token\n${T1}\n`.repeat(1000));
    expect(await code([gz.subarray(0, gz.length - 10)], 'csv')).toBe('NOT_GZIP');
    const corrupt = Buffer.from(gz);
    corrupt[40] = corrupt[40]! ^ 0xff;
    expect(await code([corrupt], 'csv')).toBe('NOT_GZIP');
    expect(await code([Buffer.from('')], 'ndjson')).toBe('ok'); // an empty NDJSON file has no lines
  });
});

describe('names and fields', () => {
  it('formatOf reads the name; csvFields handles quotes', () => {
    expect(formatOf('a.csv')).toBe('csv');
    expect(formatOf('a.CSV.gz')).toBe('csv');
    expect(formatOf('a.ndjson.gz')).toBe('ndjson');
    expect(formatOf('a.jsonl')).toBe('ndjson');
    expect(formatOf('a.json')).toBeNull();
    expect(formatOf('a.csv.report.json')).toBeNull();
    expect(csvFields('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
  });
});

describe('decodedBytes with gzipOnly (the ingester checks a gzip drop whole before applying any of it)', () => {
  /** A source that counts the chunks taken from it and whether it was closed early. */
  function counted(parts: Buffer[]) {
    const seen = { taken: 0, closed: false };
    const source: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: async () => (i < parts.length ? (seen.taken++, { done: false, value: parts[i++]! }) : { done: true, value: undefined }),
          return: async () => ((seen.closed = true), { done: true, value: undefined }),
        };
      },
    };
    return { source, seen };
  }

  it('reads a gzip source to its end in the same read that found its magic bytes', async () => {
    const text = Buffer.from(`token\n${T1}\n${T2}\n`.repeat(2000));
    const gz = gzipSync(text);
    const { source, seen } = counted(chunks(gz, 1000));
    const out: Buffer[] = [];
    for await (const c of decodedBytes(source, { gzipOnly: true })) out.push(c);
    expect(Buffer.concat(out).equals(text)).toBe(true);
    expect(seen.taken).toBe(Math.ceil(gz.length / 1000));
  });

  it('stops a plain source after its first bytes (split across chunks too) and closes it', async () => {
    for (const size of [1, 1000]) {
      const { source, seen } = counted(chunks(Buffer.from(`token\n${T1}\n`.repeat(500)), size));
      const out: Buffer[] = [];
      for await (const c of decodedBytes(source, { gzipOnly: true })) out.push(c);
      expect(out).toEqual([]);
      expect(seen.taken).toBe(size === 1 ? 2 : 1);
      expect(seen.closed).toBe(true);
    }
  });

  it('a source that fails mid-gzip is a read failure (resumed later), not a corrupt file', async () => {
    const gz = gzipSync(Buffer.from(`token\n${T1}\n`.repeat(5000)));
    const source = (async function* () {
      yield gz.subarray(0, 1000);
      throw new Error('connection reset');
    })();
    const err = await (async () => { for await (const _ of decodedBytes(source)); })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenFileError);
    expect((err as TokenFileError).code).toBe('READ_FAILED');
  });

  it('still fails a truncated gzip source', async () => {
    const gz = gzipSync(Buffer.from(`token\n${T1}\n`.repeat(500)));
    const { source } = counted([gz.subarray(0, gz.length - 20)]);
    await expect((async () => { for await (const _ of decodedBytes(source, { gzipOnly: true })); })()).rejects.toThrow(TokenFileError);
  });
});
