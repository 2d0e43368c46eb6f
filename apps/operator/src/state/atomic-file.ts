// Owner-only files that survive a crash mid-write: write a temp file beside the target, fsync, rename.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, chmodSync, appendFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OperatorError } from '../errors.ts';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Creates the directory (and parents) owner-only. An existing directory is tightened to 0700 only when
 * it is ours to tighten: owned by this user and either empty or already an operator data dir. Anything
 * else (say `/tmp`, given by mistake) is refused rather than chmod-ed under other programs' feet.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw new OperatorError('BAD_CONFIG', `${dir} is not a directory`);
  if ((stat.mode & 0o7777) === DIR_MODE) return;
  const owned = typeof process.getuid !== 'function' || stat.uid === process.getuid();
  const entries = readdirSync(dir);
  if (!owned || (entries.length > 0 && !entries.includes('state.json'))) {
    throw new OperatorError('BAD_CONFIG', `data dir ${dir} is shared or holds other files; give the operator a directory of its own`);
  }
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
