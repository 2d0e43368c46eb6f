// `collector export`: reads the store directly (the file store read-only, so it can run beside a live
// collector), checks every member against opt-out again, and writes CSV or NDJSON to an owner-only file.
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { OptOutStatusClient } from '@uid2-pixels/uid2';
import type { CollectorConfig } from '../config.ts';
import { SEGMENT_NAME } from '../config.ts';
import { UsageError } from '../errors.ts';
import { exportSegment, type ExportFormat, type ExportProgress } from '../export.ts';
import { OptoutGate } from '../optout-gate.ts';
import { createStore } from '../store/create.ts';
import { ProgressBar } from './progress.ts';

export async function runExport(
  config: CollectorConfig,
  options: { segment: string | undefined; format: string | undefined; out: string | undefined },
): Promise<ExportProgress> {
  const { segment, format, out } = options;
  if (!segment) throw new UsageError('export needs --segment <name>');
  if (!SEGMENT_NAME.test(segment)) throw new UsageError(`--segment "${segment}" is not a segment name`);
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('export needs --format csv or --format ndjson');

  // The file store is opened read-only: a running collector keeps writing; removals of members found
  // opted out are then left to the collector's own next export (read-only cannot write).
  const store = createStore(config, { readOnly: true });
  await store.open();
  const operator = { baseUrl: config.operator.url, apiKey: config.operator.apiKey, secret: config.operator.secret, timeoutMs: config.operator.timeoutMs };
  const gate = new OptoutGate({ source: new OptOutStatusClient(operator), cacheTtlSeconds: 60, batchWindowMs: 0, maxBatch: 5000 });
  // Raw UID2s: owner-only, whether the file is new or already existed.
  const fd = out ? openSync(out, 'w', 0o600) : 1;
  if (out) fchmodSync(fd, 0o600);
  const bar = new ProgressBar('members');
  try {
    const result = await exportSegment({
      store,
      removeOptedOut: config.store.kind !== 'file',
      gate,
      segment,
      format: format as ExportFormat,
      write: (chunk) => {
        writeSync(fd, chunk);
      },
      onProgress: (p) => bar.update(p.read, p.total, p.optedOut ? `(${p.optedOut} opted out, left out)` : ''),
      batchSize: 5000,
    });
    bar.finish(result.read, result.total, `exported ${result.written}${result.optedOut ? `, ${result.optedOut} opted out and left out` : ''}`);
    return result;
  } finally {
    if (out) closeSync(fd);
    gate.close();
    await store.close();
  }
}
