// Loads the --keys FILE of decrypt/encrypt: a /v2/key/sharing or /v2/key/bidstream response body (the
// `keys` object of the shared vectors, or what `uid2 keys` prints), optionally wrapped in {status, body}.
// Every problem is a UsageError naming the file and, for a malformed body, the field.
import { readFile, stat } from 'node:fs/promises';
import { KeyRing, KeysParseError } from '../keys/index.ts';
import { UsageError } from './usage.ts';

export async function loadKeyRing(path: string, warn: (line: string) => void): Promise<KeyRing> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`cannot read keys file ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`keys file ${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    const ring = KeyRing.fromResponseBody(body);
    await warnIfShared(path, warn);
    return ring;
  } catch (error) {
    if (error instanceof KeysParseError) {
      // The codec's message names the offending field ("... at keys[3].secret: ..."), never its value.
      throw new UsageError(`keys file ${path}: ${error.message}`);
    }
    throw error;
  }
}

/** Key files hold secrets; say so when other users can read this one. */
async function warnIfShared(path: string, warn: (line: string) => void): Promise<void> {
  try {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      warn(`uid2: warning: keys file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
    }
  } catch {
    // Already read successfully; a stat failure is not worth failing the command for.
  }
}
