// The drop ledger: what has been done with each dropped object, keyed by its key and ETag (a file
// replaced under the same name is a new object), and who is working on it.
//
// An ingester claims an object, then checkpoints after each chunk of lines has been made durable: the
// last line consumed, the running counts and the rejected lines of that chunk. A `kill -9` loses at
// most the chunk after the last checkpoint; the next ingester (this process after a restart, or another
// collector once the claim has lapsed) starts after the checkpointed line, so nothing is lost, and the
// counts in the ledger include each line exactly once. A chunk re-ingested after a crash rewrites the
// same memberships, which changes nothing (a membership is keyed by segment and UID2).
//
// Two homes: an append-only file beside the embedded store (one collector; claims are in memory), and
// Redis for a fleet (claims with a lease; a checkpoint is accepted only from the claim's owner).
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { readTextIfExists, replaceFile } from '../owner-file.ts';
import type { Redis, Cluster } from 'ioredis';
import type { RejectReason } from '../share/intake.ts';

export interface DropCounts {
  /** Data lines consumed (blank lines are not counted). */
  lines: number;
  written: number;
  held: number;
  rejected: Record<RejectReason, number>;
}

export type RejectedLine = [line: number, reason: RejectReason];

export interface LedgerEntry {
  state: 'active' | 'done' | 'failed';
  /** The last physical line number consumed. */
  line: number;
  counts: DropCounts;
  /** Rejected lines listed so far (bounded by the caller). */
  rejectedLines: RejectedLine[];
  startedAt: number;
}

export interface CheckpointDelta {
  line: number;
  counts: DropCounts;
  rejectedLines: RejectedLine[];
}

export interface DropLedger {
  get(id: string): Promise<LedgerEntry | null>;
  /** True when `owner` now holds the claim on `id` (fresh, lapsed, or already its own). */
  claim(id: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Records progress and renews the claim; false when the claim was lost (another took over). */
  checkpoint(id: string, owner: string, delta: CheckpointDelta, ttlMs: number): Promise<boolean>;
  /** Marks the object finished for good. */
  finish(id: string, owner: string, state: 'done' | 'failed'): Promise<void>;
  release(id: string, owner: string): Promise<void>;
  /** Gives a bounded life to entries written before there was one (Redis); the count it touched. */
  sweepUnexpiring?(): Promise<number>;
  close(): Promise<void>;
}

export const emptyCounts = (): DropCounts => ({ lines: 0, written: 0, held: 0, rejected: { invalid: 0, expired: 0, not_authorised: 0, opted_out: 0 } });

export function addCounts(a: DropCounts, b: DropCounts): DropCounts {
  return {
    lines: a.lines + b.lines,
    written: a.written + b.written,
    held: a.held + b.held,
    rejected: {
      invalid: a.rejected.invalid + b.rejected.invalid,
      expired: a.rejected.expired + b.rejected.expired,
      not_authorised: a.rejected.not_authorised + b.rejected.not_authorised,
      opted_out: a.rejected.opted_out + b.rejected.opted_out,
    },
  };
}

export const ledgerId = (key: string, etag: string): string => `${key}\n${etag}`;

// --- the embedded home ----------------------------------------------------------------------------
// <dir>/ledger.log, owner-only, one JSON array per line:
//   ["c", id, line, counts, rejectedLines, startedAt]   checkpoint (counts are running totals)
//   ["f", id, state]                                     finished: done | failed

export class FileLedger implements DropLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly claims = new Map<string, string>();
  private fh: FileHandle | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    const text = await readTextIfExists(this.path);
    for (const line of text.split('\n')) {
      let r: unknown[];
      try {
        r = JSON.parse(line) as unknown[];
      } catch {
        continue; // a torn tail: that checkpoint was never relied on
      }
      const id = r[1] as string;
      if (r[0] === 'c') {
        const prev = this.entries.get(id);
        this.entries.set(id, {
          state: 'active',
          line: r[2] as number,
          counts: r[3] as DropCounts,
          rejectedLines: [...(prev?.rejectedLines ?? []), ...(r[4] as RejectedLine[])],
          startedAt: r[5] as number,
        });
      } else if (r[0] === 'f') {
        const e = this.entries.get(id) ?? { state: 'active', line: 0, counts: emptyCounts(), rejectedLines: [], startedAt: Date.now() };
        e.state = r[2] as 'done' | 'failed';
        e.rejectedLines = []; // the report is out; only the fact is kept
        this.entries.set(id, e);
      }
    }
    // Rewrite compactly: finished objects as one line each, active ones with their full progress.
    let out = '';
    for (const [id, e] of this.entries) {
      out += JSON.stringify(['c', id, e.line, e.counts, e.rejectedLines, e.startedAt]) + '\n';
      if (e.state !== 'active') out += JSON.stringify(['f', id, e.state]) + '\n';
    }
    await replaceFile(this.path, out);
    this.fh = await open(this.path, 'a', 0o600);
  }

  private append(record: unknown[]): Promise<void> {
    const text = JSON.stringify(record) + '\n';
    const next = this.chain.then(async () => {
      await this.fh!.write(text);
      await this.fh!.datasync();
    });
    // One failed write (disk full, EIO) fails its caller only; the chain stays usable for the next.
    this.chain = next.catch(() => {});
    return next;
  }

  async get(id: string): Promise<LedgerEntry | null> {
    return this.entries.get(id) ?? null;
  }

  async claim(id: string, owner: string): Promise<boolean> {
    const holder = this.claims.get(id);
    if (holder !== undefined && holder !== owner) return false;
    this.claims.set(id, owner);
    return true;
  }

  async checkpoint(id: string, owner: string, delta: CheckpointDelta): Promise<boolean> {
    if (this.claims.get(id) !== owner) return false;
    const prev = this.entries.get(id);
    const startedAt = prev?.startedAt ?? Date.now();
    await this.append(['c', id, delta.line, delta.counts, delta.rejectedLines, startedAt]);
    this.entries.set(id, { state: 'active', line: delta.line, counts: delta.counts, rejectedLines: [...(prev?.rejectedLines ?? []), ...delta.rejectedLines], startedAt });
    return true;
  }

  async finish(id: string, _owner: string, state: 'done' | 'failed'): Promise<void> {
    await this.append(['f', id, state]);
    const e = this.entries.get(id) ?? { state, line: 0, counts: emptyCounts(), rejectedLines: [], startedAt: Date.now() };
    e.state = state;
    e.rejectedLines = [];
    this.entries.set(id, e);
    this.claims.delete(id);
  }

  async release(id: string, owner: string): Promise<void> {
    if (this.claims.get(id) === owner) this.claims.delete(id);
  }

  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.fh?.close();
    this.fh = null;
  }
}

// --- the fleet's home -----------------------------------------------------------------------------
// Per object, under one hash tag so a Redis Cluster keeps them in one slot:
//   P:{drop:<h>}:e      HASH  state, line, counts, startedAt          TTL: the retention (below)
//   P:{drop:<h>}:r      LIST  rejected lines (JSON pairs)             TTL: the retention (deleted when finished)
//   P:{drop:<h>}:claim  STRING owner, with the lease as its TTL
//
// Retention. An entry must outlive its object: a done entry that expired while its object is still in
// the bucket would have the object ingested again. The ingester looks every entry up on each listing
// of the source (ledger.get, every pollMs), and that look-up renews the entry to the full retention
// whenever less than RENEW_BELOW of it is left. So an entry expires only once its object has not been
// listed for most of the retention: it was deleted from the bucket (the usual end of a drop), or no
// collector ingested drops for that long. Checkpoints and finish renew it too. Entries written before
// retention existed (no TTL) get one the first time they are looked up, and sweepUnexpiring() gives one
// to those whose object is gone (never looked up again).

// KEYS: e, r, claim. ARGV: owner, lease ms, line, counts, startedAt, retention ms, then rejected lines.
const CHECKPOINT_LUA = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
if redis.call('HEXISTS', KEYS[1], 'startedAt') == 0 then redis.call('HSET', KEYS[1], 'startedAt', ARGV[5]) end
redis.call('HSET', KEYS[1], 'state', 'active', 'line', ARGV[3], 'counts', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
for i = 7, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
if #ARGV >= 7 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 1`;

// KEYS: e, r, claim. ARGV: state, owner, retention ms. The report is out: only the fact is kept.
const FINISH_LUA = `
redis.call('HSET', KEYS[1], 'state', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1`;

// KEYS: e, r. ARGV: retention ms, renew below ms. The entry and its rejected lines; renews both to the
// full retention when less than the threshold is left (or none is set: an entry from before retention).
const LOOKUP_LUA = `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {h, {}} end
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
end
return {h, redis.call('LRANGE', KEYS[2], 0, -1)}`;

const CLAIM_LUA = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

type LedgerRedis = (Redis | Cluster) & {
  dropCheckpoint(e: string, r: string, c: string, ...args: Array<string | number>): Promise<number>;
  dropFinish(e: string, r: string, c: string, state: string, owner: string, retentionMs: number): Promise<number>;
  dropLookup(e: string, r: string, retentionMs: number, renewBelowMs: number): Promise<[string[], string[]]>;
  dropClaim(c: string, owner: string, ttl: number): Promise<number>;
  dropRelease(c: string, owner: string): Promise<number>;
};

/** How long a ledger entry lives after its object was last listed (or its last checkpoint). */
export const DEFAULT_DROP_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** A look-up renews an entry once less than this share of the retention is left (a write per entry per tenth, not per poll). */
const RENEW_BELOW = 0.9;

export class RedisLedger implements DropLedger {
  private readonly redis: LedgerRedis;
  private readonly retentionMs: number;

  constructor(redis: Redis | Cluster, private readonly prefix: string, options: { retentionMs?: number } = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_DROP_RETENTION_MS;
    redis.defineCommand('dropCheckpoint', { numberOfKeys: 3, lua: CHECKPOINT_LUA });
    redis.defineCommand('dropFinish', { numberOfKeys: 3, lua: FINISH_LUA });
    redis.defineCommand('dropLookup', { numberOfKeys: 2, lua: LOOKUP_LUA });
    redis.defineCommand('dropClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
    redis.defineCommand('dropRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    this.redis = redis as LedgerRedis;
  }

  private keys(id: string) {
    const base = `${this.prefix}:{drop:${createHash('sha256').update(id).digest('base64url')}}`;
    return { e: `${base}:e`, r: `${base}:r`, c: `${base}:claim` };
  }

  async get(id: string): Promise<LedgerEntry | null> {
    const k = this.keys(id);
    const [flat, r] = await this.redis.dropLookup(k.e, k.r, this.retentionMs, Math.floor(this.retentionMs * RENEW_BELOW));
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
    if (!h.state) return null;
    return {
      state: h.state as LedgerEntry['state'],
      line: Number(h.line ?? 0),
      counts: h.counts ? (JSON.parse(h.counts) as DropCounts) : emptyCounts(),
      rejectedLines: r.map((x) => JSON.parse(x) as RejectedLine),
      startedAt: Number(h.startedAt ?? Date.now()),
    };
  }

  async claim(id: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.dropClaim(this.keys(id).c, owner, ttlMs)) === 1;
  }

  async checkpoint(id: string, owner: string, delta: CheckpointDelta, ttlMs: number): Promise<boolean> {
    const k = this.keys(id);
    const ok = await this.redis.dropCheckpoint(
      k.e, k.r, k.c, owner, ttlMs, delta.line, JSON.stringify(delta.counts), Date.now(), this.retentionMs,
      ...delta.rejectedLines.map((x) => JSON.stringify(x)),
    );
    return ok === 1;
  }

  async finish(id: string, owner: string, state: 'done' | 'failed'): Promise<void> {
    const k = this.keys(id);
    await this.redis.dropFinish(k.e, k.r, k.c, state, owner, this.retentionMs);
  }

  async release(id: string, owner: string): Promise<void> {
    await this.redis.dropRelease(this.keys(id).c, owner);
  }

  /** SCANs every node for ledger keys without a TTL (written by a release without retention) and sets it. */
  async sweepUnexpiring(): Promise<number> {
    const nodes = this.redis.isCluster ? (this.redis as Cluster).nodes('master') : [this.redis as Redis];
    const pattern = `${this.prefix}:{drop:*}:[er]`;
    let touched = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          // -1: no TTL. A checkpoint that set one meanwhile set the same retention, so the race is harmless.
          if ((await node.pttl(key)) === -1 && (await node.pexpire(key, this.retentionMs)) === 1) touched++;
        }
      } while (cursor !== '0');
    }
    return touched;
  }

  async close(): Promise<void> {}
}
