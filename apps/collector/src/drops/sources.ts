// Where token files are dropped: a local directory (the embedded default, no server needed) or an S3
// bucket (s3-source.ts, loaded only when configured: the AWS SDK is large). Both show the same key
// space: <siteId>/<segment>/<name>, relative to the directory or the bucket prefix.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { replaceFile } from '../owner-file.ts';

export interface DropObject {
  /** Relative to the source root: <siteId>/<segment>/<name>. */
  key: string;
  etag: string;
  size: number;
}

export interface DropSource {
  readonly kind: 'dir' | 's3';
  /** Every object under the root (reports and the failed area included; the ingester filters). */
  list(): AsyncIterable<DropObject>;
  /** The object's bytes, as of `etag` (S3: If-Match, so a replaced object fails instead of mixing). */
  read(object: DropObject): Promise<AsyncIterable<Buffer>>;
  /** Writes a small text object (a report). */
  writeText(key: string, text: string): Promise<void>;
  /** Moves an object (to the failed area). */
  move(from: string, to: string): Promise<void>;
  close(): void;
}

/** Files being written are not taken: dot files and *.tmp / *.part (write, then rename into place). */
export function isInProgressName(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return base.startsWith('.') || base.endsWith('.tmp') || base.endsWith('.part');
}

export class DirectorySource implements DropSource {
  readonly kind = 'dir' as const;

  constructor(readonly root: string) {}

  async *list(): AsyncIterable<DropObject> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
    for (const path of files) {
      let s;
      try {
        s = await stat(path);
      } catch {
        continue; // moved away meanwhile
      }
      // A file's identity is its size and modification time (the ETag of a directory).
      yield { key: relative(this.root, path).split(sep).join('/'), etag: `${s.size}-${Math.trunc(s.mtimeMs * 1000)}`, size: s.size };
    }
  }

  async read(object: DropObject): Promise<AsyncIterable<Buffer>> {
    const stream = createReadStream(join(this.root, object.key), { highWaterMark: 256 * 1024 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return stream as AsyncIterable<Buffer>;
  }

  async writeText(key: string, text: string): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await replaceFile(path, text); // atomic, owner-only, on disk before the ledger says done
  }

  async move(from: string, to: string): Promise<void> {
    const target = join(this.root, to);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await rename(join(this.root, from), target);
  }

  close(): void {}
}

