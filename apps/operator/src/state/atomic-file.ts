// Owner-only files that survive a crash mid-write: write a temp file beside the target, fsync, rename.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, chmodSync, appendFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Creates the directory (and parents) owner-only; tightens the mode of an existing one. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE);
}

export function writeFileAtomic(path: string, content: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'w', FILE_MODE);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Appends one line; the file is created owner-only. A short line is written by one append call. */
export function appendLine(path: string, line: string): void {
  appendFileSync(path, `${line}\n`, { mode: FILE_MODE });
}
