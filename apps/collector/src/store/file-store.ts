// The embedded segment store: an append-only log with group commit, an in-memory index rebuilt from the
// log on start, and compaction. Needs no server.
//
// Why files and not SQLite: on this machine an fd kept open with batched writes + fdatasync sustains
// ~790k events/s against ~520k for better-sqlite3 in WAL mode (perf-anchors.md §3), and better-sqlite3
// would add a 62 s native compile. Our access pattern (append, rebuild, scan a segment) fits a log.
//
// Group commit: events arriving while a commit is in flight join the next batch; one positional write
// makes the whole batch durable, and only then is the index updated and every caller resolved. The log
// is opened O_DSYNC, so that write returns only once its data is on disk, as write + fdatasync would,
// but in one thread-pool job instead of two: under load each job costs an event-loop turn to come
// back, and the turn, not the disk, was most of a commit's latency (bench/collector.bench.ts).
// A kill -9 can tear at most the tail of an unanswered batch; open() truncates that tail.
import { constants, closeSync, fdatasync, fstatSync, fsync, ftruncate, mkdirSync, chmodSync, openSync, read, rename, rmSync, write, close, fchmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StoreError } from '../errors.ts';
import {
  LOG_HEADER, TICK_LINE, eventOf, eventRecord, memberOfEvent, heldEventOf, heldRecord, memberOf, memberRecord, parseRecord, type LogRecord,
} from './file-log.ts';
import { GroupCommit } from './group-commit.ts';
import { mergeMember, type HeldEvent, type Member, type MembersOptions, type SegmentEvent, type SegmentSize, type SegmentStore } from './segment-store.ts';

const writeP = promisify(write);
const readP = promisify(read);
const fdatasyncP = promisify(fdatasync);
const fsyncP = promisify(fsync);
const ftruncateP = promisify(ftruncate);
const renameP = promisify(rename);
const closeP = promisify(close);

/** The log: read-write, positional writes (no O_APPEND), each write durable on return (O_DSYNC). */
const LOG_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC;

/** A rough size of one live record in the log, used to decide when compaction pays off. */
const LIVE_RECORD_BYTES = 130;

/** A commit's first buffer; it grows for a larger batch. Kept for reuse up to COMMIT_BUFFER_MAX_KEPT. */
const COMMIT_BUFFER_BYTES = 1 << 20;
const COMMIT_BUFFER_MAX_KEPT = 8 << 20;
/** As many as commits run at once (the group commit's concurrency). */
const COMMIT_BUFFERS_KEPT = 4;
/** Lines serialised into one string before it is copied into the commit's buffer. */
const LINES_PER_COPY = 128;

/**
 * A batch's log lines, into `buf` (or a larger buffer when it does not fit): [buffer, bytes used].
 * The lines are copied in a few small strings: one string of the whole batch (~650 KB for 5,000 events)
 * plus its Buffer.from copy, both new every commit, cost about three times as much per record (a
 * microbenchmark; in profiles of bench/share.bench.ts the commit's share of the collector's CPU fell from
 * 5.8 % to 3.7 %). A batch with no record (sync()) writes the tick line.
 */
function encodeRecords(records: readonly LogRecord[], buf: Buffer): [Buffer, number] {
  let used = 0;
  const append = (text: string) => {
    const need = used + Buffer.byteLength(text);
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, buf.length * 2));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    used += buf.write(text, used, 'utf8');
  };
  let text = records.length === 0 ? TICK_LINE : '';
  for (let i = 0; i < records.length; i++) {
    text += JSON.stringify(records[i]) + '\n';
    if (i % LINES_PER_COPY === LINES_PER_COPY - 1) {
      append(text);
      text = '';
    }
  }
  if (text) append(text);
  return [buf, used];
}

export interface FileStoreOptions {
  dir: string;
  ttlMs: number;
  compactMinBytes?: number;
  /** Open for reading only (export while a collector is running): no writes, no tail repair. */
  readOnly?: boolean;
  /** Called after every commit with its duration (s) and record count. */
  onCommit?: (seconds: number, records: number) => void;
  /** Warnings (corrupt lines, compaction failures). Never given raw UID2s. */
  warn?: (message: string, details?: Record<string, unknown>) => void;
}

export class FileStore implements SegmentStore {
  readonly kind = 'file';
  readonly ttlMs: number;
  readonly logPath: string;
  private readonly dir: string;
  private readonly compactPath: string;
  private readonly compactMinBytes: number;
  private readonly readOnly: boolean;
  private readonly warn: NonNullable<FileStoreOptions['warn']>;

  private fd = -1;
  /** Bytes of the log that are durable and in the index. */
  private durableBytes = 0;
  /** Bytes reserved by commits (in flight or done); the next batch is written at this offset. */
  private reservedBytes = 0;
  /** Where each batch's bytes end, for deliverRecords. */
  private readonly commitEnds = new WeakMap<LogRecord[], number>();
  /** Offset of the earliest failed write since the last repair, or null. */
  private failedAt: number | null = null;
  private readonly index = new Map<string, Map<string, Member>>();
  private readonly heldEvents = new Map<number, SegmentEvent>();
  private nextHeldId = 1;
  private liveRecords = 0;

  private readonly commits: GroupCommit<LogRecord>;
  /** Buffers of finished commits, reused for the next ones (one per commit in flight). */
  private readonly commitBuffers: Buffer[] = [];
  private compacting: Promise<void> | null = null;
  private compactRetryAt = 0;
  private broken: Error | null = null;
  private closing = false;
  private closed = false;
  /** Lines that could not be parsed during the last open (excluding a torn tail). */
  corruptLines = 0;

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.ttlMs = options.ttlMs;
    this.logPath = join(options.dir, 'segments.log');
    this.compactPath = join(options.dir, 'segments.log.compact');
    this.compactMinBytes = options.compactMinBytes ?? 64 * 1024 * 1024;
    this.readOnly = options.readOnly ?? false;
    this.warn = options.warn ?? (() => {});
    this.commits = new GroupCommit((records) => this.commitRecords(records), {
      // Several commits in flight: a batch is written as soon as it forms. Each O_DSYNC write is durable
      // on its own; the index and the callers still see the batches in log order.
      concurrency: 4,
      deliver: (records) => this.deliverRecords(records),
      ...(options.onCommit && { onCommitted: options.onCommit }),
    });
  }

  async open(): Promise<void> {
    if (this.readOnly) {
      if (!existsSync(this.logPath)) return; // nothing written yet: an empty store
      this.fd = openSync(this.logPath, 'r');
      await this.replay();
      closeSync(this.fd);
      this.fd = -1;
      return;
    }
    // Raw UID2s live here: the directory is owner-only, the log owner-read/write only.
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    // A compaction that died before its rename left a partial copy; the log itself is intact.
    rmSync(this.compactPath, { force: true });
    this.fd = openSync(this.logPath, LOG_FLAGS, 0o600);
    fchmodSync(this.fd, 0o600);
    await this.replay();
    if (this.durableBytes === 0) {
      const header = Buffer.from(LOG_HEADER);
      await this.writeAll(this.fd, header, 0);
      await fdatasyncP(this.fd);
      this.durableBytes = header.length;
      this.reservedBytes = header.length;
    }
  }

  private async replay(): Promise<void> {
    const total = fstatSync(this.fd).size;
    const chunk = Buffer.allocUnsafe(1 << 20);
    let offset = 0; // file offset of the next read
    let carry: Buffer = Buffer.alloc(0); // bytes after the last newline seen so far
    let goodEnd = 0; // file offset just past the last complete line
    let first = true;
    while (offset < total) {
      const { bytesRead } = await readP(this.fd, chunk, 0, Math.min(chunk.length, total - offset), offset);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const dataStart = offset - carry.length;
      let start = 0;
      let nl = data.indexOf(10, start);
      while (nl !== -1) {
        const line = data.toString('utf8', start, nl);
        if (first) {
          first = false;
          if (line + '\n' !== LOG_HEADER) throw new StoreError('STORE_CORRUPT', `${this.logPath} is not a collector segment log`);
        } else {
          const record = parseRecord(line);
          if (record) this.apply(record);
          else this.corruptLines++;
        }
        goodEnd = dataStart + nl + 1;
        start = nl + 1;
        nl = data.indexOf(10, start);
      }
      carry = Buffer.from(data.subarray(start));
      offset += bytesRead;
    }
    if (this.corruptLines > 0) this.warn('segment log had unreadable lines; they were skipped', { lines: this.corruptLines });
    if (goodEnd < total && !this.readOnly) {
      // The torn tail of a batch that was never acknowledged (crash mid-write). Drop it.
      this.warn('segment log ended in a partial record (crash during a write); truncating it', { bytes: total - goodEnd });
      await ftruncateP(this.fd, goodEnd);
      await fdatasyncP(this.fd);
    }
    this.durableBytes = goodEnd;
    this.reservedBytes = goodEnd;
  }

  /** Applies one durable record to the in-memory index. Used by replay and after each commit. */
  private apply(r: LogRecord): void {
    switch (r[0]) {
      case 'e': {
        const seg = this.segmentMap(r[1]);
        const had = seg.get(r[2]);
        if (had) mergeMember(had, eventOf(r));
        else {
          // A new member straight from the record: no event object in between (the bulk routes' common case).
          seg.set(r[2], memberOfEvent(r));
          this.liveRecords++;
        }
        break;
      }
      case 'm': {
        const m = memberOf(r);
        const seg = this.segmentMap(m.segment);
        const had = seg.get(m.uid);
        if (!had) {
          seg.set(m.uid, m);
          this.liveRecords++;
        } else {
          // A snapshot member replayed next to the events it summarises: merge both ends.
          mergeMember(had, { ...m, at: m.firstSeen });
          mergeMember(had, { ...m, at: m.lastSeen });
        }
        break;
      }
      case 'h': {
        if (!this.heldEvents.has(r[1])) this.liveRecords++;
        this.heldEvents.set(r[1], heldEventOf(r));
        if (r[1] >= this.nextHeldId) this.nextHeldId = r[1] + 1;
        break;
      }
      case 'r':
        if (this.heldEvents.delete(r[1])) this.liveRecords--;
        if (r[1] >= this.nextHeldId) this.nextHeldId = r[1] + 1;
        break;
      case 'x':
        if (this.index.get(r[1])?.delete(r[2])) this.liveRecords--;
        break;
    }
  }

  private segmentMap(segment: string): Map<string, Member> {
    let seg = this.index.get(segment);
    if (!seg) {
      seg = new Map();
      this.index.set(segment, seg);
    }
    return seg;
  }

  // --- writes -------------------------------------------------------------------------------------

  private enqueue(records: LogRecord[]): Promise<void> {
    if (this.closed || this.readOnly) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    if (this.broken) return Promise.reject(new StoreError('STORE_WRITE_FAILED', 'segment log is not writable', { cause: this.broken }));
    return this.commits.add(records);
  }

  /**
   * One group commit: a positional O_DSYNC write at the next free offset (reserved now, so commits in
   * flight together never overlap). If any write fails, every later one fails too (their bytes follow
   * a hole), the store refuses writes, and once nothing is in flight the log is cut back to the last
   * good record. Events of failed batches were never answered, so nothing answered is lost.
   */
  private async commitRecords(records: LogRecord[]): Promise<void> {
    // Only sync() callers (requests that keep nothing): a tick line, so that they wait for the same
    // kind of durable write as a request that keeps something, and fail with it. A lone prober sees
    // no difference; the line is dropped by the next compaction.
    const space = this.commitBuffers.pop() ?? Buffer.allocUnsafeSlow(COMMIT_BUFFER_BYTES);
    const [buf, used] = encodeRecords(records, space);
    const at = this.reservedBytes;
    this.reservedBytes += used;
    this.commitEnds.set(records, this.reservedBytes);
    try {
      await this.writeAll(this.fd, buf.subarray(0, used), at);
    } catch (err) {
      this.failWrites(at, err);
      throw new StoreError('STORE_WRITE_FAILED', 'could not write the segment log', { cause: err });
    } finally {
      // Written (or failed): the bytes are no longer needed, the buffer serves a later commit.
      if (this.commitBuffers.length < COMMIT_BUFFERS_KEPT && buf.length <= COMMIT_BUFFER_MAX_KEPT) this.commitBuffers.push(buf);
    }
    if (this.failedAt !== null && this.failedAt < at) {
      throw new StoreError('STORE_WRITE_FAILED', 'an earlier write to the segment log failed');
    }
  }

  /** In log order, after a commit: the bytes are durable, so the index may show them. */
  private deliverRecords(records: LogRecord[]): void {
    for (const r of records) this.apply(r);
    this.durableBytes = this.commitEnds.get(records) ?? this.durableBytes;
    this.maybeCompact();
  }

  private failWrites(at: number, err: unknown): void {
    if (this.failedAt === null || at < this.failedAt) this.failedAt = at;
    if (this.broken) return;
    this.broken = err instanceof Error ? err : new Error(String(err));
    void this.repair();
  }

  /** After a failed write: wait for the commits in flight, then cut the log back and accept writes again. */
  private async repair(): Promise<void> {
    await this.commits.drain();
    const cut = this.failedAt ?? this.durableBytes;
    try {
      await ftruncateP(this.fd, cut);
      this.durableBytes = cut;
      this.reservedBytes = cut;
      this.failedAt = null;
      this.broken = null;
      this.warn('a segment log write failed; the log was cut back to its last good record', { bytes: cut });
    } catch {
      this.warn('segment log could not be repaired after a failed write; refusing further writes');
    }
  }

  private async writeAll(fd: number, buf: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await writeP(fd, buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  }

  write(event: SegmentEvent): Promise<void> {
    return this.enqueue([eventRecord(event)]);
  }

  writeMany(events: readonly SegmentEvent[]): Promise<void> {
    return events.length ? this.enqueue(events.map(eventRecord)) : Promise.resolve();
  }

  hold(event: SegmentEvent): Promise<void> {
    return this.enqueue([heldRecord(this.nextHeldId++, event)]);
  }

  holdMany(events: readonly SegmentEvent[]): Promise<void> {
    return events.length ? this.enqueue(events.map((e) => heldRecord(this.nextHeldId++, e))) : Promise.resolve();
  }

  sync(): Promise<void> {
    return this.enqueue([]);
  }

  get healthy(): boolean {
    return this.fd !== -1 && !this.closed && !this.closing && this.broken === null;
  }

  async held(limit: number): Promise<HeldEvent[]> {
    const out: HeldEvent[] = [];
    for (const [id, event] of this.heldEvents) {
      if (out.length >= limit) break;
      out.push({ id: String(id), event: { ...event } });
    }
    return out;
  }

  async heldCount(): Promise<number> {
    return this.heldEvents.size;
  }

  release(ids: string[], admit: SegmentEvent[]): Promise<void> {
    const records: LogRecord[] = admit.map(eventRecord);
    for (const id of ids) records.push(['r', Number(id)]);
    return records.length ? this.enqueue(records) : Promise.resolve();
  }

  remove(segment: string, uids: string[]): Promise<void> {
    return uids.length ? this.enqueue(uids.map((uid) => ['x', segment, uid] as LogRecord)) : Promise.resolve();
  }

  // --- reads --------------------------------------------------------------------------------------

  private live(m: Member, now: number): boolean {
    return m.lastSeen >= now - this.ttlMs;
  }

  async size(segment: string, now = Date.now()): Promise<number> {
    const seg = this.index.get(segment);
    if (!seg) return 0;
    let n = 0;
    for (const m of seg.values()) if (this.live(m, now)) n++;
    return n;
  }

  async segments(now = Date.now()): Promise<SegmentSize[]> {
    const out: SegmentSize[] = [];
    for (const name of [...this.index.keys()].sort()) {
      const members = await this.size(name, now);
      if (members > 0) out.push({ segment: name, members });
    }
    return out;
  }

  async *members(segment: string, options: MembersOptions = {}): AsyncIterable<Member[]> {
    const now = options.now ?? Date.now();
    const batchSize = options.batchSize ?? 1000;
    // A snapshot of references: writes during a long export do not disturb the iteration.
    const all = [...(this.index.get(segment)?.values() ?? [])];
    let batch: Member[] = [];
    for (const m of all) {
      if (!this.live(m, now)) continue;
      batch.push({ ...m });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  /** Log size in bytes (tests and metrics). */
  get logBytes(): number {
    return this.durableBytes;
  }

  // --- compaction ---------------------------------------------------------------------------------

  private maybeCompact(): void {
    if (this.compacting || this.closing) return;
    if (this.durableBytes < this.compactMinBytes || this.durableBytes < this.compactRetryAt) return;
    if (this.durableBytes < 2 * this.liveRecords * LIVE_RECORD_BYTES) return;
    void this.compact().catch((err) => {
      // Try again only after the log has grown by another compactMinBytes.
      this.compactRetryAt = this.durableBytes + this.compactMinBytes;
      this.warn('segment log compaction failed; the log is unchanged', { error: String(err) });
    });
  }

  /**
   * Rewrites the log as one record per live member and held event, dropping expired members.
   * Commits continue into the old log while the snapshot is written; then commits pause briefly while
   * the old log's tail (everything after the snapshot point) is copied over and the new file renamed in.
   * Replaying that tail over the snapshot is idempotent (merges take min/max), so overlap is harmless.
   */
  async compact(now = Date.now()): Promise<void> {
    // One compaction at a time: they share the temporary file.
    while (this.compacting) await this.compacting.catch(() => {});
    if (this.readOnly || this.closing) return;
    const run = this.runCompaction(now);
    this.compacting = run;
    try {
      await run;
    } finally {
      if (this.compacting === run) this.compacting = null;
    }
  }

  private async runCompaction(now: number): Promise<void> {
    const snapshotPoint = this.durableBytes;
    const fd = openSync(this.compactPath, 'w', 0o600);
    let ok = false;
    try {
      let pos = 0;
      let buf = LOG_HEADER;
      const emit = async (force: boolean) => {
        if (buf.length >= 1 << 20 || (force && buf.length)) {
          const b = Buffer.from(buf);
          buf = '';
          await this.writeAll(fd, b, pos);
          pos += b.length;
        }
      };
      for (const [name, seg] of this.index) {
        for (const [uid, m] of seg) {
          if (!this.live(m, now)) {
            seg.delete(uid);
            continue;
          }
          buf += JSON.stringify(memberRecord(m)) + '\n';
          await emit(false);
        }
        if (seg.size === 0) this.index.delete(name);
      }
      for (const [id, e] of this.heldEvents) {
        buf += JSON.stringify(heldRecord(id, e)) + '\n';
        await emit(false);
      }
      await emit(true);

      // Pause commits, let the one in flight finish, then copy what it and its predecessors appended.
      await this.commits.pause();
      const tail = this.durableBytes - snapshotPoint;
      if (tail > 0) {
        const copy = Buffer.allocUnsafe(Math.min(tail, 1 << 20));
        for (let off = 0; off < tail; ) {
          const n = Math.min(copy.length, tail - off);
          const { bytesRead } = await readP(this.fd, copy, 0, n, snapshotPoint + off);
          await this.writeAll(fd, copy.subarray(0, bytesRead), pos);
          pos += bytesRead;
          off += bytesRead;
        }
      }
      await fsyncP(fd);
      await renameP(this.compactPath, this.logPath);
      // The rename itself must survive a crash: sync the directory entry.
      const dirFd = openSync(this.dir, 'r');
      try {
        await fsyncP(dirFd);
      } finally {
        closeSync(dirFd);
      }
      // Reopen the renamed file with the log's flags (O_DSYNC); the copy's descriptor is done.
      const old = this.fd;
      this.fd = openSync(this.logPath, LOG_FLAGS, 0o600);
      closeSync(fd);
      this.durableBytes = pos;
      this.reservedBytes = pos;
      let live = this.heldEvents.size;
      for (const seg of this.index.values()) live += seg.size;
      this.liveRecords = live;
      ok = true;
      await closeP(old);
    } finally {
      if (!ok) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        rmSync(this.compactPath, { force: true });
      }
      this.commits.resume();
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    while (this.compacting) await this.compacting.catch(() => {});
    // Commit whatever is queued, then refuse new writes.
    await this.commits.drain();
    this.closed = true;
    if (this.fd >= 0) {
      await closeP(this.fd);
      this.fd = -1;
    }
  }
}
