// Small owner-only file helpers for the append-only logs beside the store (idempotency keys, the
// drop ledger): read one if it exists, and replace one atomically (write, fdatasync, rename).
import { mkdirSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file's text, or '' when it does not exist yet. Creates its directory (0700). */
export async function readTextIfExists(path: string): Promise<string> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return '';
  }
}

/** Replaces `path` with `text` (0600) so a crash leaves either the old or the new file. */
export async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
