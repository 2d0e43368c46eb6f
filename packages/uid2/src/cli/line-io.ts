// Streaming line input and JSON-lines output for the batch commands, so a file of millions of tokens
// is processed in constant memory: lines are read one at a time, results are written in chunks and
// the writer waits for 'drain' whenever the pipe is full.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Values from the command line if any, else the non-empty lines of `input` (trimmed; CRLF is fine). */
export async function* argsOrLines(args: readonly string[], input: Readable): AsyncGenerator<string> {
  if (args.length > 0) {
    yield* args;
    return;
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    const value = line.trim();
    if (value !== '') yield value;
  }
}

const CHUNK = 64 * 1024;

export class LineWriter {
  readonly #out: Writable;
  #buffer = '';

  constructor(out: Writable) {
    this.#out = out;
  }

  async writeLine(line: string): Promise<void> {
    this.#buffer += line + '\n';
    if (this.#buffer.length >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#buffer === '') return;
    const chunk = this.#buffer;
    this.#buffer = '';
    if (!this.#out.write(chunk)) await once(this.#out, 'drain');
  }
}

/** Maps each value (arguments, else stdin lines) to one output line on `out`, streaming. */
export async function mapToLines(
  args: readonly string[],
  input: Readable,
  out: Writable,
  toLine: (value: string) => string,
): Promise<void> {
  const writer = new LineWriter(out);
  for await (const value of argsOrLines(args, input)) await writer.writeLine(toLine(value));
  await writer.flush();
}
