// Sending as token files: raw UID2s are encrypted and written as gzipped CSV (a `token` column) or
// NDJSON files into the prefix a receiver gave this sender, in a directory or an S3 bucket, as
// <to>/<segment>/<name>-<part>.csv.gz. Each part is written to a local temp file first, then put in
// place in one step (rename in a directory, one PutObject in S3), so a receiver never sees half a file.
// Memory stays flat: one batch of tokens at a time, streamed through gzip to disk.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Uid2Error } from '../errors.ts';
import { encryptInBatches, type SharingEncrypter } from './encrypt-stream.ts';
import { retryWithBackoff } from '../retry.ts';

export interface S3Destination {
  bucket: string;
  /** Key prefix ('' or ending in '/'). */
  prefix: string;
  region?: string;
  /** An S3-compatible endpoint; credentials come from the AWS environment (AWS_ACCESS_KEY_ID, ...). */
  endpoint?: string;
  forcePathStyle?: boolean;
}

export type FileDestination = { kind: 'dir'; path: string } | ({ kind: 's3' } & S3Destination);

/** `s3://bucket/prefix` or a directory path. */
export function parseDestination(to: string): FileDestination {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(to);
  if (!m) return { kind: 'dir', path: to };
  const prefix = m[2] ?? '';
  return { kind: 's3', bucket: m[1]!, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

export interface ShareFileOptions {
  rawUids: AsyncIterable<string> | Iterable<string>;
  sharing: SharingEncrypter;
  to: FileDestination;
  segment: string;
  /** File name stem; parts are <name>-00001.csv.gz, ... Default uid2-share-<UTC time>. */
  name?: string;
  format?: 'csv' | 'ndjson';
  /** Tokens per file at most. Default 1,000,000. */
  linesPerFile?: number;
  /** Retries of one upload after the first attempt. Default 10. */
  retries?: number;
  onProgress?: (p: { read: number; delivered: number }) => void;
}

export interface ShareFileSummary {
  command: 'share file';
  read: number;
  notEncrypted: number;
  /** Tokens in files that were put in place. */
  delivered: number;
  /** Tokens in files that could not be put in place. */
  undelivered: number;
  files: string[];
  retries: number;
  error?: string;
  seconds: number;
}

interface Putter {
  put(key: string, localFile: string): Promise<void>;
  close(): void;
}

async function dirPutter(root: string): Promise<Putter> {
  return {
    async put(key, localFile) {
      const target = join(root, key);
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.${key.split('/').pop()}.part`);
      await writeCopy(localFile, tmp);
      await rename(tmp, target);
    },
    close() {},
  };
}

async function writeCopy(from: string, to: string): Promise<void> {
  const out = createWriteStream(to, { mode: 0o600 });
  for await (const chunk of createReadStream(from)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function s3Putter(d: S3Destination): Promise<Putter> {
  // The S3 client is an optional peer dependency: only senders that drop files into S3 install it.
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3').catch((cause: unknown) => {
    throw new Uid2Error('S3_CLIENT_MISSING', 'sharing files to S3 needs the AWS SDK: npm install @aws-sdk/client-s3', { cause });
  });
  const client = new S3Client({
    region: d.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(d.endpoint && { endpoint: d.endpoint }),
    forcePathStyle: d.forcePathStyle ?? false,
    maxAttempts: 1, // retried below, with backoff, by this tool
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    async put(key, localFile) {
      const { size } = await stat(localFile);
      await client.send(new PutObjectCommand({ Bucket: d.bucket, Key: d.prefix + key, Body: createReadStream(localFile), ContentLength: size, ContentType: 'application/gzip' }));
    },
    close: () => client.destroy(),
  };
}

export async function shareViaFiles(options: ShareFileOptions): Promise<ShareFileSummary> {
  const started = performance.now();
  const format = options.format ?? 'csv';
  const perFile = options.linesPerFile ?? 1_000_000;
  const retries = options.retries ?? 10;
  const name = options.name ?? `uid2-share-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  const summary: ShareFileSummary = { command: 'share file', read: 0, notEncrypted: 0, delivered: 0, undelivered: 0, files: [], retries: 0, seconds: 0 };
  const putter = options.to.kind === 'dir' ? await dirPutter(options.to.path) : await s3Putter(options.to);
  const work = await mkdtemp(join(tmpdir(), 'uid2-share-'));
  let part = 0;
  let gzip: ReturnType<typeof createGzip> | null = null;
  let out: ReturnType<typeof createWriteStream> | null = null;
  let local = '';
  let inFile = 0;

  const open = () => {
    part++;
    local = join(work, `part-${part}`);
    gzip = createGzip();
    out = createWriteStream(local, { mode: 0o600 });
    gzip.pipe(out);
    inFile = 0;
    if (format === 'csv') gzip.write('token\n');
  };
  const closeAndPut = async () => {
    const z = gzip!;
    const file = out!;
    gzip = null;
    out = null;
    const written = once(file, 'close'); // every byte on disk and the fd closed
    z.end();
    await written;
    const key = `${options.segment}/${name}-${String(part).padStart(5, '0')}.${format}.gz`;
    try {
      await retryWithBackoff(() => putter.put(key, local), { retries, baseDelayMs: 250, maxDelayMs: 10_000, onRetry: () => summary.retries++ });
      summary.files.push(key);
      summary.delivered += inFile;
    } catch (err) {
      summary.undelivered += inFile;
      summary.error ??= `could not put ${key}: ${(err as Error).message}`;
    }
    await rm(local, { force: true });
    options.onProgress?.({ read: summary.read, delivered: summary.delivered });
  };

  try {
    for await (const b of encryptInBatches(options.rawUids, options.sharing, 5000)) {
      summary.read += b.read;
      summary.notEncrypted += b.failed;
      let text = '';
      for (const t of b.tokens) {
        if (gzip === null) open();
        text += format === 'csv' ? `${t}\n` : `{"token":"${t}"}\n`;
        inFile++;
        if (inFile >= perFile) {
          if (!gzip!.write(text)) await once(gzip!, 'drain');
          text = '';
          await closeAndPut();
        }
      }
      if (text && gzip) if (!(gzip as ReturnType<typeof createGzip>).write(text)) await once(gzip!, 'drain');
      options.onProgress?.({ read: summary.read, delivered: summary.delivered });
    }
    if (gzip !== null) await closeAndPut();
  } finally {
    putter.close();
    await rm(work, { recursive: true, force: true });
  }
  summary.seconds = Math.round((performance.now() - started) / 10) / 100;
  return summary;
}
