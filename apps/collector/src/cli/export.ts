// `collector export`: reads the store directly (the file store read-only, so it can run beside a live
// collector), checks every member against opt-out again, and writes CSV or NDJSON to an owner-only file.
// Output goes to a temporary owner-only file first: `--out` gets it by rename and stdout gets a copy,
// both only once the export has succeeded, so a failure leaves no partial file and prints nothing.
import { closeSync, createReadStream, existsSync, fchmodSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OptOutStatusClient } from '@uid2-pixels/uid2';
import type { CollectorConfig } from '../config.ts';
import { SEGMENT_NAME } from '../config.ts';
import { UsageError } from '../errors.ts';
import { assertSegmentExists, exportSegment, UnknownSegmentError, type ExportFormat, type ExportProgress } from '../export.ts';
import { OptoutGate } from '../optout-gate.ts';
import { createStore, fileStoreDir } from '../store/create.ts';
import { ProgressBar } from './progress.ts';

/** A file store's data directory must exist: a mistyped --data-dir otherwise reads as "no members". */
function assertDataDir(config: CollectorConfig): void {
  if (config.store.kind !== 'file') return;
  const dataDir = resolve(config.dataDir);
  if (!existsSync(fileStoreDir(config))) {
    throw new UsageError(
      `no collector data in ${dataDir} (${existsSync(dataDir) ? 'it has no segments/ directory' : 'it does not exist'}): ` +
        'give the data directory the collector runs with, by --data-dir, COLLECTOR_DATA_DIR or "dataDir" in --config',
    );
  }
}

/** The temporary file next to `out` (same file system, so the rename is atomic), or in the system's. */
function temporaryPath(out: string | undefined): { path: string; cleanup: () => void } {
  if (out) {
    const path = join(dirname(resolve(out)), `.${basename(out)}.${process.pid}.partial`);
    return { path, cleanup: () => rmSync(path, { force: true }) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'collector-export-'));
  return { path: join(dir, 'export'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runExport(
  config: CollectorConfig,
  options: { segment: string | undefined; format: string | undefined; out: string | undefined },
): Promise<ExportProgress> {
  const { segment, format, out } = options;
  if (!segment) throw new UsageError('export needs --segment <name>');
  if (!SEGMENT_NAME.test(segment)) throw new UsageError(`--segment "${segment}" is not a segment name`);
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('export needs --format csv or --format ndjson');
  if (out && !existsSync(dirname(resolve(out)))) throw new UsageError(`--out ${out}: the directory ${dirname(resolve(out))} does not exist`);
  assertDataDir(config);

  // The file store is opened read-only: a running collector keeps writing; removals of members found
  // opted out are then left to the collector's own next export (read-only cannot write).
  const store = createStore(config, { readOnly: true });
  await store.open();
  const operator = { baseUrl: config.operator.url, apiKey: config.operator.apiKey, secret: config.operator.secret, timeoutMs: config.operator.timeoutMs };
  const gate = new OptoutGate({ source: new OptOutStatusClient(operator), cacheTtlSeconds: 60, batchWindowMs: 0, maxBatch: 5000 });
  const temp = temporaryPath(out);
  let fd = -1;
  try {
    try {
      await assertSegmentExists(store, segment);
    } catch (err) {
      if (err instanceof UnknownSegmentError) throw new UsageError(err.message);
      throw err;
    }
    // Raw UID2s: owner-only from the first byte.
    fd = openSync(temp.path, 'w', 0o600);
    fchmodSync(fd, 0o600);
    const bar = new ProgressBar('members');
    const file = fd;
    const result = await exportSegment({
      store,
      removeOptedOut: config.store.kind !== 'file',
      gate,
      segment,
      format: format as ExportFormat,
      write: (chunk) => {
        writeSync(file, chunk);
      },
      onProgress: (p) => bar.update(p.read, p.total, p.optedOut ? `(${p.optedOut} opted out, left out)` : ''),
      batchSize: 5000,
    });
    closeSync(fd);
    fd = -1;
    if (out) renameSync(temp.path, out);
    else await pipeline(createReadStream(temp.path), process.stdout, { end: false });
    bar.finish(result.read, result.total, `exported ${result.written}${result.optedOut ? `, ${result.optedOut} opted out and left out` : ''}`);
    return result;
  } finally {
    if (fd !== -1) closeSync(fd);
    temp.cleanup();
    gate.close();
    await store.close();
  }
}
