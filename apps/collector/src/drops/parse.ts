// Token files, streamed: CSV with a `token` column, or NDJSON objects with a `token` field, either
// optionally gzipped (recognised by its magic bytes, whatever the name says). Lines are numbered as a
// text editor numbers them (1-based, the CSV header is line 1), so a report can point a sender at them.
// Memory stays flat whatever the file size: one chunk and one line at a time, and a line longer than
// `maxLineBytes` is skipped (and rejected) without being buffered.
//
// What makes a whole file unreadable (it goes to the failed area) rather than a line rejected: a CSV
// without a `token` column in its header, an NDJSON file whose first line is not a JSON object, a gzip
// stream that is corrupt or truncated, a file name of neither format.
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DEFAULT_TOKEN_MAX_BYTES, isTokenShaped } from '../token-shape.ts';

export type TokenFileFormat = 'csv' | 'ndjson';

export class TokenFileError extends Error {
  readonly code: 'UNSUPPORTED_NAME' | 'NO_TOKEN_COLUMN' | 'NOT_NDJSON' | 'NOT_GZIP' | 'READ_FAILED';
  constructor(code: TokenFileError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenFileError';
    this.code = code;
  }
}

/** The format a drop's name announces: name.csv, name.ndjson or name.jsonl, each optionally .gz. */
export function formatOf(name: string): TokenFileFormat | null {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.csv')) return 'csv';
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return 'ndjson';
  return null;
}

/** One data line: its token, or null when the line is malformed (rejected as invalid). */
export interface TokenLine {
  line: number;
  token: string | null;
}

export interface ParseOptions {
  /** Lines longer than this are rejected unread. Default 64 KiB. */
  maxLineBytes?: number;
  /** Data lines per yielded array. Default 5000. */
  chunkLines?: number;
  /** Longest token accepted (config `limits.tokenMaxBytes`). Default 1024. */
  tokenMaxBytes?: number;
}

/**
 * The bytes of a drop, gunzipped when they start with the gzip magic. Errors surface as TokenFileError.
 * `gzipOnly`: a source that is not gzip yields nothing (and is closed after its first bytes), so that a
 * caller can read a gzip drop through to its end in the same read that finds out it is one.
 */
export async function* decodedBytes(
  source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>,
  options: { gzipOnly?: boolean } = {},
): AsyncGenerator<Buffer> {
  const it: AsyncIterator<Buffer | Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (async function* () { yield* source; })()[Symbol.asyncIterator]();
  let first: Buffer | null = null;
  try {
    // The first two bytes decide; they may arrive in separate chunks.
    while (first === null || first.length < 2) {
      const next = await it.next();
      if (next.done) break;
      first = first === null ? Buffer.from(next.value) : Buffer.concat([first, next.value]);
    }
  } catch (err) {
    throw new TokenFileError('READ_FAILED', `the file could not be read: ${(err as Error).message}`, { cause: err });
  }
  if (first === null) return;
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({ next: () => it.next() as Promise<IteratorResult<Buffer>>, return: async () => (await it.return?.(), { done: true, value: undefined }) }),
  };
  if (!(first[0] === 0x1f && first[1] === 0x8b)) {
    if (options.gzipOnly) {
      await it.return?.();
      return;
    }
    yield first;
    try {
      for await (const chunk of rest) yield Buffer.from(chunk);
    } catch (err) {
      throw new TokenFileError('READ_FAILED', `the file could not be read: ${(err as Error).message}`, { cause: err });
    }
    return;
  }
  const gunzip = createGunzip();
  // A failure to read the source is not a fault of the file: it must surface as READ_FAILED (the
  // ingester resumes the object later), not as a corrupt gzip (which sends it to the failed area).
  let readError: unknown = null;
  const feed = (async () => {
    try {
      if (!gunzip.write(first)) await new Promise((r) => gunzip.once('drain', r));
      for await (const chunk of rest) if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    } catch (err) {
      readError = err;
      gunzip.destroy(err as Error);
    }
  })();
  try {
    for await (const chunk of gunzip as Readable) yield chunk as Buffer;
  } catch (err) {
    if (readError !== null) throw new TokenFileError('READ_FAILED', `the file could not be read: ${(readError as Error).message}`, { cause: readError });
    const e = err as NodeJS.ErrnoException;
    throw new TokenFileError('NOT_GZIP', `the gzip stream is corrupt or truncated (${e.code ?? e.message})`, { cause: err });
  } finally {
    gunzip.destroy();
    await feed.catch(() => {});
  }
}

/**
 * Splits bytes into lines (without \n or \r\n), numbered from 1; an overlong line comes back as null.
 * Chunk by chunk, into two arrays it reuses: a file of millions of lines costs no object per line here
 * (no tuple, no promise per line), which keeps the garbage collector's work, and the heap, small.
 */
export class LineSplitter {
  /** After push()/end(): the numbers and texts of the lines completed, in order. Reused by the next call. */
  readonly numbers: number[] = [];
  readonly texts: Array<string | null> = [];
  private carry: Buffer | null = null;
  private overlong = false;
  private n = 0;

  constructor(private readonly maxLineBytes = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.numbers.length = 0;
    this.texts.length = 0;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      this.n++;
      if (this.overlong) {
        this.overlong = false;
        this.emit(null);
      } else {
        let line = this.carry === null ? chunk.subarray(start, nl) : Buffer.concat([this.carry, chunk.subarray(start, nl)]);
        this.carry = null;
        if (line.length > this.maxLineBytes) this.emit(null);
        else {
          if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
          this.emit(line.toString('utf8'));
        }
      }
      start = nl + 1;
    }
    if (start < chunk.length && !this.overlong) {
      const tail = chunk.subarray(start);
      this.carry = this.carry === null ? Buffer.from(tail) : Buffer.concat([this.carry, tail]);
      if (this.carry.length > this.maxLineBytes) {
        this.carry = null;
        this.overlong = true;
      }
    }
  }

  /** The last line, when the bytes did not end with a newline. */
  end(): void {
    this.numbers.length = 0;
    this.texts.length = 0;
    if (this.overlong) {
      this.n++;
      this.emit(null);
    } else if (this.carry !== null && this.carry.length) {
      let line = this.carry;
      if (line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      this.n++;
      this.emit(line.toString('utf8'));
    }
    this.carry = null;
  }

  private emit(text: string | null): void {
    this.numbers.push(this.n);
    this.texts.push(text);
  }
}

/** Splits bytes into lines (without \n or \r\n), numbered from 1. Overlong lines come back as null. */
export async function* numberedLines(bytes: AsyncIterable<Buffer>, maxLineBytes = 64 * 1024): AsyncGenerator<[number, string | null]> {
  const lines = new LineSplitter(maxLineBytes);
  for await (const chunk of bytes) {
    lines.push(chunk);
    for (let i = 0; i < lines.numbers.length; i++) yield [lines.numbers[i]!, lines.texts[i]!];
  }
  lines.end();
  for (let i = 0; i < lines.numbers.length; i++) yield [lines.numbers[i]!, lines.texts[i]!];
}

/** Splits one CSV record into fields (RFC 4180 quoting within a line; a token never needs more). */
export function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/**
 * The token of a line, or null when it is not token-shaped (isTokenShaped, as every route checks it).
 * A CSV field may be padded with spaces (`token, segment`), so it is trimmed; a JSON string is taken
 * exactly as written, as the bulk API takes the strings of a JSON body.
 */
function tokenOrNull(v: unknown, maxBytes: number, trim: boolean): string | null {
  if (typeof v !== 'string') return null;
  const t = trim ? v.trim() : v;
  return isTokenShaped(t, maxBytes) ? t : null;
}

/**
 * The data lines of a token file, in arrays of up to `chunkLines`. Blank lines are skipped (neither
 * counted nor rejected). Throws TokenFileError when the file as a whole cannot be read.
 */
export async function* tokenLines(
  source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>,
  format: TokenFileFormat,
  options: ParseOptions = {},
): AsyncGenerator<TokenLine[]> {
  const chunkLines = options.chunkLines ?? 5000;
  const tokenMaxBytes = options.tokenMaxBytes ?? DEFAULT_TOKEN_MAX_BYTES;
  let column = -1; // csv: index of the token column, once the header is read
  let sawFirst = false;
  let batch: TokenLine[] = [];
  const lines = new LineSplitter(options.maxLineBytes);
  /** Takes the lines the splitter completed into the batch. */
  const take = (): void => {
    for (let i = 0; i < lines.numbers.length; i++) {
      const line = lines.numbers[i]!;
      let text = lines.texts[i]!;
      if (text !== null) {
        if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        if (text.trim() === '') continue;
      }
      if (format === 'csv' && column === -1) {
        const header = text === null ? [] : csvFields(text).map((f) => f.trim().toLowerCase());
        column = header.indexOf('token');
        if (column === -1) throw new TokenFileError('NO_TOKEN_COLUMN', `line ${line}: the CSV header has no "token" column`);
        continue;
      }
      let token: string | null = null;
      if (text !== null) {
        if (format === 'csv') token = tokenOrNull(column === 0 && !text.includes(',') && !text.includes('"') ? text : csvFields(text)[column], tokenMaxBytes, true);
        else {
          let v: unknown;
          try {
            v = JSON.parse(text);
          } catch {
            v = undefined;
          }
          const isObject = typeof v === 'object' && v !== null && !Array.isArray(v);
          if (!sawFirst && !isObject) throw new TokenFileError('NOT_NDJSON', `line ${line}: not a JSON object; an NDJSON token file has one {"token": "..."} per line`);
          if (isObject) token = tokenOrNull((v as { token?: unknown }).token, tokenMaxBytes, false);
        }
      } else if (!sawFirst && format === 'ndjson') {
        throw new TokenFileError('NOT_NDJSON', `line ${line}: longer than the line limit; not an NDJSON token file`);
      }
      sawFirst = true;
      batch.push({ line, token });
    }
  };
  for await (const chunk of decodedBytes(source)) {
    lines.push(chunk);
    take();
    // A chunk of the file may complete more than one batch of lines; they are yielded in order.
    while (batch.length >= chunkLines) {
      const full = batch.length === chunkLines ? batch : batch.slice(0, chunkLines);
      batch = batch.length === chunkLines ? [] : batch.slice(chunkLines);
      yield full;
    }
  }
  lines.end();
  take();
  if (format === 'csv' && column === -1) throw new TokenFileError('NO_TOKEN_COLUMN', 'the file is empty: a CSV token file needs a header with a "token" column');
  while (batch.length > chunkLines) {
    yield batch.slice(0, chunkLines);
    batch = batch.slice(chunkLines);
  }
  if (batch.length) yield batch;
}
