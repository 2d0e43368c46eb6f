// Exporting a segment: every live member, re-checked against opt-out on the way out (a UID2 that opted
// out since it was written is left out and removed from the store). Used by `collector export` and by
// the admin API. Output: CSV with a header row, or NDJSON; times as ISO 8601.
import { CollectorError } from './errors.ts';
import type { OptoutGate } from './optout-gate.ts';
import type { Member, SegmentStore } from './store/segment-store.ts';

export type ExportFormat = 'csv' | 'ndjson';

const CSV_HEADER = 'uid,segment,first_seen,last_seen,sender_site_id,last_kind,identity_type,token_version\n';

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

function formatMember(m: Member, format: ExportFormat): string {
  const first = new Date(m.firstSeen).toISOString();
  const last = new Date(m.lastSeen).toISOString();
  if (format === 'ndjson') {
    return JSON.stringify({
      uid: m.uid, segment: m.segment, firstSeen: first, lastSeen: last, senderSiteId: m.senderSiteId,
      lastKind: m.kind, identityType: m.identityType, tokenVersion: m.tokenVersion,
    }) + '\n';
  }
  return [csvField(m.uid), csvField(m.segment), first, last, m.senderSiteId, m.kind, m.identityType, m.tokenVersion].join(',') + '\n';
}

export interface ExportProgress {
  /** Members read so far. */
  read: number;
  /** Members written out so far. */
  written: number;
  /** Members left out because they opted out. */
  optedOut: number;
  /** Live members when the export started (the progress bar's 100 %). */
  total: number;
}

export interface ExportOptions {
  store: SegmentStore;
  gate: Pick<OptoutGate, 'checkMany'>;
  segment: string;
  format: ExportFormat;
  /** Receives output text; resolves when it may be given more (backpressure). */
  write: (chunk: string) => Promise<void> | void;
  onProgress?: (p: ExportProgress) => void;
  batchSize?: number;
  /** Remove members found opted out from the store (default true; a read-only store cannot). */
  removeOptedOut?: boolean;
}

/** The segment asked for holds no live member and was never written: `known` lists those that exist. */
export class UnknownSegmentError extends CollectorError {
  constructor(readonly segment: string, readonly known: string[]) {
    super('UNKNOWN_SEGMENT', `no segment "${segment}" here; ${known.length ? `known segments: ${known.join(', ')}` : 'no segment has been written yet'}`);
    this.name = 'UnknownSegmentError';
  }
}

/** Throws UnknownSegmentError unless the store holds live members of `segment`. */
export async function assertSegmentExists(store: SegmentStore, segment: string): Promise<void> {
  const known = (await store.segments()).map((s) => s.segment);
  if (!known.includes(segment)) throw new UnknownSegmentError(segment, known);
}

/**
 * Streams a segment out. The first write (the CSV header with it) comes only after the first batch is
 * checked against opt-out, so an operator that is down fails the export before anything is written.
 * Rejects (possibly after writing part of it) if the operator cannot be asked later on.
 */
export async function exportSegment(options: ExportOptions): Promise<ExportProgress> {
  const { store, gate, segment, format } = options;
  const now = Date.now();
  const progress: ExportProgress = { read: 0, written: 0, optedOut: 0, total: await store.size(segment, now) };
  options.onProgress?.({ ...progress });
  let headerDue = format === 'csv';
  const write = (chunk: string) => {
    if (!headerDue) return options.write(chunk);
    headerDue = false;
    return options.write(CSV_HEADER + chunk);
  };
  // Batches of at most 5000: the operator's /v2/optout/status limit.
  for await (const batch of store.members(segment, { now, batchSize: Math.min(options.batchSize ?? 1000, 5000) })) {
    const verdicts = await gate.checkMany(batch.map((m) => m.uid), { fresh: true });
    const out: string[] = [];
    const leavers: string[] = [];
    for (const m of batch) {
      if (verdicts.get(m.uid) === false) out.push(formatMember(m, format));
      else leavers.push(m.uid);
    }
    if (out.length) await write(out.join(''));
    if (leavers.length && options.removeOptedOut !== false) await store.remove(segment, leavers);
    progress.read += batch.length;
    progress.written += out.length;
    progress.optedOut += leavers.length;
    options.onProgress?.({ ...progress });
  }
  if (headerDue) await write('');
  return progress;
}
