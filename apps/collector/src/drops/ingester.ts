// The drop ingester: polls a DropSource and ingests each new token file exactly once, through the same
// IngestBatch as the bulk API (decrypt -> authorise -> opt-out -> durable write).
//
// Layout, relative to the drop root (directory or bucket prefix):
//   <siteId>/<segment>/<name>.csv|.ndjson|.jsonl[.gz]    a sender's drop (sender = the folder it is in)
//   <siteId>/<segment>/<name>.report.json                the report, written beside it when done
//   <siteId>/failed/<segment>/<name> (+ .report.json)    a file that could not be read, with its report
//
// Per object: claim it in the ledger; a gzip file is first read through once to the end (a corrupt or
// truncated one fails before a single line is applied); then chunks of lines go through the intake and
// a checkpoint follows each durable chunk. A failure of the store or the source (S3 down) releases the
// claim and the object is resumed from its checkpoint on a later pass; only an unreadable file fails.
import { randomUUID } from 'node:crypto';
import { SEGMENT_NAME } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { SenderAcl } from '../authorise.ts';
import type { IngestBatch, RejectReason } from '../share/intake.ts';
import { addCounts, emptyCounts, ledgerId, type DropCounts, type DropLedger, type RejectedLine } from './ledger.ts';
import { decodedBytes, formatOf, tokenLines, TokenFileError, type TokenFileFormat } from './parse.ts';
import { isInProgressName, type DropObject, type DropSource } from './sources.ts';

export const REPORT_SUFFIX = '.report.json';
export const FAILED_DIR = 'failed';
/** Chunks of a file being decided and committed at once (each holds at most `chunkLines` lines). */
const CHUNKS_IN_FLIGHT = 4;

export interface DropReport {
  object: string;
  etag: string;
  sender: number | null;
  segment: string | null;
  status: 'done' | 'failed';
  /** Why the whole file failed (only when status is failed). */
  error?: string;
  lines: number;
  written: number;
  held: number;
  rejected: Record<RejectReason, number>;
  /** Rejected lines, in order, up to the configured limit; `rejectedLinesTruncated` says if more. */
  rejectedLines: Array<{ line: number; reason: RejectReason }>;
  rejectedLinesTruncated: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface DropIngesterOptions {
  source: DropSource;
  ledger: DropLedger;
  ingest: IngestBatch;
  acl: SenderAcl;
  metrics: CollectorMetrics;
  log: Logger;
  pollMs: number;
  chunkLines: number;
  claimTtlMs: number;
  reportMaxLines: number;
  /** Longest token accepted (config `limits.tokenMaxBytes`). Default 1024. */
  tokenMaxBytes?: number;
  /** Called once per finished object (tests, progress). */
  onFinished?: (report: DropReport) => void;
}

/** A source or store failure: the object is retried later from its checkpoint. */
class Interrupted extends Error {}

interface Placement {
  sender: number;
  segment: string;
  format: TokenFileFormat;
}

export class DropIngester {
  readonly owner = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastListError = 0;

  constructor(private readonly o: DropIngesterOptions) {}

  start(): void {
    // Ledger entries from before they had a bounded life get one (once per start, off the ingest path).
    void this.o.ledger.sweepUnexpiring?.().then(
      (n) => n && this.o.log.info({ entries: n }, 'drop ledger: entries without an expiry given the retention'),
      (err: Error) => this.o.log.warn({ err: { message: err.message } }, 'drop ledger: could not sweep entries without an expiry; will try at the next start'),
    );
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pass().then(() => {}).finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One listing of the source; every new object in it is ingested. Never rejects. */
  async pass(): Promise<number> {
    let done = 0;
    try {
      for await (const object of this.o.source.list()) {
        if (this.stopped) break;
        if (!this.isCandidate(object.key)) continue;
        if (await this.ingestObject(object)) done++;
      }
    } catch (err) {
      // The source is down (S3 stopped): say so at most once a minute, try again next poll.
      if (Date.now() - this.lastListError > 60_000) {
        this.o.log.warn({ source: this.o.source.kind, err: { message: (err as Error).message } }, 'drop source cannot be listed; retrying');
        this.lastListError = Date.now();
      }
    }
    return done;
  }

  private isCandidate(key: string): boolean {
    if (key.endsWith(REPORT_SUFFIX) || isInProgressName(key)) return false;
    const parts = key.split('/');
    return !(parts.length >= 2 && parts[1] === FAILED_DIR);
  }

  private placement(key: string): Placement | string {
    const parts = key.split('/');
    if (parts.length !== 3) return 'a drop goes in <siteId>/<segment>/<name>';
    const [site, segment, name] = parts as [string, string, string];
    const sender = /^\d{1,10}$/.test(site) ? Number(site) : NaN;
    if (!Number.isSafeInteger(sender) || sender <= 0) return `"${site}" is not a sender site id`;
    if (!SEGMENT_NAME.test(segment)) return `"${segment}" is not a segment name`;
    if (!this.o.acl.allows(sender, segment)) return `sender ${sender} may not write segment "${segment}"`;
    const format = formatOf(name);
    if (format === null) return 'the name must end in .csv, .ndjson or .jsonl, optionally followed by .gz';
    return { sender, segment, format };
  }

  /** True when the object was finished (done or failed) by this call. */
  private async ingestObject(object: DropObject): Promise<boolean> {
    const { ledger, claimTtlMs } = this.o;
    const id = ledgerId(object.key, object.etag);
    let entry = await ledger.get(id);
    if (entry && entry.state !== 'active') return false;
    if (!(await ledger.claim(id, this.owner, claimTtlMs))) return false; // another collector has it
    entry = await ledger.get(id); // progress may have moved while we were not the owner
    if (entry && entry.state !== 'active') {
      await ledger.release(id, this.owner);
      return false;
    }
    const startedAt = entry?.startedAt ?? Date.now();
    const place = this.placement(object.key);
    try {
      if (typeof place === 'string') return await this.fail(object, id, null, place, entry?.counts ?? emptyCounts(), startedAt);
      if (!entry || entry.line === 0) await this.verifyCompressed(object);
      return await this.ingestLines(object, id, place, entry, startedAt);
    } catch (err) {
      if (err instanceof TokenFileError && err.code !== 'READ_FAILED') {
        return await this.fail(object, id, typeof place === 'string' ? null : place, err.message, (await ledger.get(id))?.counts ?? emptyCounts(), startedAt);
      }
      // Interrupted, a source read error, a store error: resume from the checkpoint on a later pass.
      this.o.log.warn({ object: object.key, err: { message: (err as Error).message } }, 'drop ingestion interrupted; will resume from its checkpoint');
      await ledger.release(id, this.owner).catch(() => {});
      return false;
    }
  }

  /**
   * Reads a gzip object to its end once, so a corrupt one fails before anything is applied; for any
   * other object it stops after the first bytes. One read: the same one finds out whether it is gzip.
   */
  private async verifyCompressed(object: DropObject): Promise<void> {
    for await (const _ of decodedBytes(await this.read(object), { gzipOnly: true })) {
      // only the CRC and the length at the end matter here
    }
  }

  /**
   * The object's bytes, checked against the size it was listed with: a read that ends early without
   * an error (a connection closed mid-body under load was seen to do that to an S3 GET) fails as a read
   * error at its end, before the parser completes the cut-off last line, so nothing of it is applied
   * as if the file ended there; the object resumes from its checkpoint on a later pass.
   */
  private async read(object: DropObject): Promise<AsyncIterable<Buffer>> {
    let body: AsyncIterable<Buffer>;
    try {
      body = await this.o.source.read(object);
    } catch (err) {
      throw new Interrupted(`cannot read ${object.key}: ${(err as Error).message}`, { cause: err });
    }
    return wholeObject(body, object);
  }

  private async ingestLines(
    object: DropObject,
    id: string,
    place: Placement,
    entry: Awaited<ReturnType<DropLedger['get']>>,
    startedAt: number,
  ): Promise<boolean> {
    const { ledger, ingest, claimTtlMs } = this.o;
    const skipTo = entry?.line ?? 0;
    let counts = entry?.counts ?? emptyCounts();
    let listed = entry?.rejectedLines.length ?? 0;
    // Up to CHUNKS_IN_FLIGHT chunks in flight: the next one decrypts while earlier ones wait for their
    // opt-out answers and commit (with every UID2 new, each chunk asks the operator, and two in flight
    // left the event loop idle during those calls). Checkpoints follow in line order, each after its
    // own chunk is durable.
    let previous: Promise<void> = Promise.resolve();
    const inFlight: Array<Promise<void>> = [];
    for await (const lines of tokenLines(await this.read(object), place.format, { chunkLines: this.o.chunkLines, tokenMaxBytes: this.o.tokenMaxBytes })) {
      if (this.stopped) throw new Interrupted('stopping');
      const fresh = lines[lines.length - 1]!.line <= skipTo ? [] : lines.filter((l) => l.line > skipTo);
      if (fresh.length === 0) continue;
      const tokens: string[] = [];
      const lineOf: number[] = [];
      const rejected: RejectedLine[] = [];
      const delta = emptyCounts();
      delta.lines = fresh.length;
      for (const l of fresh) {
        if (l.token === null) {
          rejected.push([l.line, 'invalid']);
          delta.rejected.invalid++;
        } else {
          tokens.push(l.token);
          lineOf.push(l.line);
        }
      }
      if (rejected.length) this.o.metrics.bulkItem('file', 'invalid', rejected.length);
      const outcome = ingest({ route: 'file', senderSiteId: place.sender, segment: place.segment, tokens });
      outcome.catch(() => {});
      const lastLine = fresh[fresh.length - 1]!.line;
      // Decrypted already: release the chunk's token strings while it commits and the next one is read.
      tokens.length = 0;
      fresh.length = 0;
      lines.length = 0;
      const before = previous;
      previous = (async () => {
        const result = await outcome;
        await before;
        delta.written = result.written;
        delta.held = result.held;
        for (const r of result.rejected) {
          rejected.push([lineOf[r.index]!, r.reason]);
          delta.rejected[r.reason]++;
        }
        rejected.sort((a, b) => a[0] - b[0]);
        const room = Math.max(0, this.o.reportMaxLines - listed);
        const listedNow = rejected.slice(0, room);
        listed += listedNow.length;
        counts = addCounts(counts, delta);
        if (!(await ledger.checkpoint(id, this.owner, { line: lastLine, counts, rejectedLines: listedNow }, claimTtlMs))) {
          throw new Interrupted('the claim on this object lapsed and another collector took it over');
        }
      })();
      previous.catch(() => {});
      inFlight.push(previous);
      if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
    }
    await previous;
    const final = await ledger.get(id);
    const report = this.report(object, place, 'done', final?.counts ?? counts, final?.rejectedLines ?? [], startedAt);
    await this.writeReport(object.key + REPORT_SUFFIX, report);
    await ledger.finish(id, this.owner, 'done');
    this.finished(report);
    return true;
  }

  private async fail(object: DropObject, id: string, place: Placement | null, error: string, counts: DropCounts, startedAt: number): Promise<boolean> {
    const parts = object.key.split('/');
    const failedKey = parts.length >= 2 ? [parts[0], FAILED_DIR, ...parts.slice(1)].join('/') : `${FAILED_DIR}/${object.key}`;
    const report = this.report(object, place, 'failed', counts, [], startedAt, error);
    try {
      await this.o.source.move(object.key, failedKey);
      await this.writeReport(failedKey + REPORT_SUFFIX, report);
    } catch (err) {
      throw new Interrupted(`cannot move ${object.key} to the failed area: ${(err as Error).message}`, { cause: err });
    }
    await this.o.ledger.finish(id, this.owner, 'failed');
    this.o.log.warn({ object: object.key, failedKey, error }, 'dropped file could not be read; moved to the failed area with its report');
    this.finished(report);
    return true;
  }

  private report(
    object: DropObject,
    place: Placement | null,
    status: 'done' | 'failed',
    counts: DropCounts,
    rejectedLines: RejectedLine[],
    startedAt: number,
    error?: string,
  ): DropReport {
    const total = Object.values(counts.rejected).reduce((a, b) => a + b, 0);
    const parts = object.key.split('/');
    return {
      object: object.key,
      etag: object.etag,
      sender: place?.sender ?? (/^\d+$/.test(parts[0] ?? '') ? Number(parts[0]) : null),
      segment: place?.segment ?? null,
      status,
      ...(error !== undefined && { error }),
      lines: counts.lines,
      written: counts.written,
      held: counts.held,
      rejected: counts.rejected,
      rejectedLines: rejectedLines.map(([line, reason]) => ({ line, reason })),
      rejectedLinesTruncated: rejectedLines.length < total,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
    };
  }

  private async writeReport(key: string, report: DropReport): Promise<void> {
    try {
      await this.o.source.writeText(key, JSON.stringify(report, null, 2) + '\n');
    } catch (err) {
      throw new Interrupted(`cannot write the report ${key}: ${(err as Error).message}`, { cause: err });
    }
  }

  private finished(report: DropReport): void {
    this.o.metrics.dropFiles.labels(report.status).inc();
    this.o.log.info(
      { object: report.object, status: report.status, lines: report.lines, written: report.written, held: report.held, rejected: report.rejected },
      'dropped file finished',
    );
    this.o.onFinished?.(report);
  }
}

/** Yields `body` and fails at its end unless exactly `object.size` bytes came (see DropIngester#read). */
async function* wholeObject(body: AsyncIterable<Buffer>, object: DropObject): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    yield chunk;
  }
  if (bytes !== object.size) throw new Error(`${object.key} ended after ${bytes} of its ${object.size} bytes`);
}
