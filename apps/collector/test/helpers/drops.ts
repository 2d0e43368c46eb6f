// Helpers for file-drop tests: token files in the formats senders use, dropped the way a sender must
// (written under a temporary name, then renamed into place), and waiting for the report.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function csvFile(tokens: readonly string[], extraColumn = true): string {
  const head = extraColumn ? 'row,token\n' : 'token\n';
  return head + tokens.map((t, i) => (extraColumn ? `${i},${t}` : t)).join('\n') + '\n';
}

export function ndjsonFile(tokens: readonly string[]): string {
  return tokens.map((t) => JSON.stringify({ token: t })).join('\n') + '\n';
}

export const gz = (text: string): Buffer => gzipSync(text);

/** Drops a file into a drop directory atomically (temp name, then rename), as the sender CLI does. */
export function dropFile(root: string, key: string, content: string | Buffer): void {
  const path = join(root, key);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${Date.now()}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export async function waitFor<T>(probe: () => T | null | undefined | Promise<T | null | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The parsed report at `key` in a drop directory, once it exists. */
export function readReport(root: string, key: string): Record<string, any> | null {
  const path = join(root, key);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>) : null;
}
