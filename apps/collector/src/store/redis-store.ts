// The segment store for a fleet of collectors: one Redis, or a Redis Cluster.
//
// Key layout (P = keyPrefix). Every key of one segment carries the hash tag {segment}, so one segment
// lives in one cluster slot and a single script can update all of its keys atomically:
//   P:{segment}:last   ZSET  uid -> lastSeen (ms)     expiry, size (ZCOUNT) and export (ZSCAN) read it
//   P:{segment}:first  ZSET  uid -> firstSeen (ms)    ZADD LT keeps the earliest
//   P:{segment}:info   HASH  uid -> "site|kind|identityType|tokenVersion" of the latest event
//   P:segments         SET   segment names (its own slot; written once per segment per process)
//   P:{held}           STREAM events held until their opt-out status can be checked, read through the
//                             consumer group `resolvers` (one consumer per collector process)
// The Lua merge applies the same rule as mergeMember (segment-store.ts): earliest first, latest wins.
// Segment keys get a PEXPIRE of the membership TTL on every write, so an abandoned segment disappears.
//
// Held events in a fleet: every collector process runs a held-event resolver over the one stream, so
// they read it through a consumer group. XREADGROUP hands each new entry to exactly one process, which
// asks the operator about it and then XACKs and XDELs it. Entries a process has read but not finished
// stay in its pending list: it reads them again first on its next pass (which also refreshes their
// idle time), and XAUTOCLAIM hands those idle for `claimIdleMs` (their process died) to another one.
// A process that stops gracefully hands its pending entries back at once instead (close(): each is
// written again as a new entry, then acknowledged and deleted), so a rolling restart leaves nothing to
// wait out `claimIdleMs`; only a process that dies leaves entries to the takeover.
// The group is created from id 0, so a stream written before the group existed is read from its start.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, Cluster } from 'ioredis';
import { StoreError } from '../errors.ts';
import { GroupCommit } from './group-commit.ts';
import { kindCode, kindOf } from './file-log.ts';
import { type EventKind, type HeldEvent, type Member, type MembersOptions, type SegmentEvent, type SegmentSize, type SegmentStore } from './segment-store.ts';
import type { IdentityType, TokenVersion } from '@uid2-pixels/uid2';

// KEYS: last, first, info. ARGV: ttlMs, now, then (uid, at, info) triples.
// Also sweeps up to 100 expired members per call, so expired data leaves Redis without a separate job.
const MERGE_EVENTS_LUA = `
local ttl = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
for i = 3, #ARGV, 3 do
  local uid, at, info = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local cur = redis.call('ZSCORE', KEYS[1], uid)
  if (not cur) or at >= tonumber(cur) then
    redis.call('ZADD', KEYS[1], at, uid)
    redis.call('HSET', KEYS[3], uid, info)
  end
  redis.call('ZADD', KEYS[2], 'LT', at, uid)
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl), 'LIMIT', 0, 100)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return #expired
`;

// KEYS: the held stream. ARGV: group, idle ms. Each process start adds a consumer to the group (its
// name is new each time); this drops the ones with nothing pending that have been idle that long (a
// live one that is dropped is made again by its next read). Atomic, so a consumer cannot read an entry
// between the check and the delete (deleting a consumer forgets its pending entries).
const SWEEP_CONSUMERS_LUA = `
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if tonumber(f['pending']) == 0 and tonumber(f['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed = removed + 1
  end
end
return removed
`;

type Client = Redis | Cluster;
interface WithScripts {
  mergeEvents(last: string, first: string, info: string, ...args: (string | number)[]): Promise<number>;
  sweepConsumers(held: string, group: string, idleMs: number): Promise<number>;
}

interface CommonOptions {
  keyPrefix: string;
  ttlMs: number;
  onCommit?: (seconds: number, records: number) => void;
  /**
   * A held event read by another collector process and not finished for this long is taken over (its
   * process is taken for dead). Must exceed the longest pass over one batch (operator timeouts
   * included). Default 60 s.
   */
  claimIdleMs?: number;
}

export type RedisStoreOptions = CommonOptions & ({ kind: 'redis'; url: string } | { kind: 'redis-cluster'; nodes: string[] });

/** The consumer group every collector's held-event resolver reads P:{held} through. */
export const HELD_GROUP = 'resolvers';
export const DEFAULT_CLAIM_IDLE_MS = 60_000;

type StreamEntry = [id: string, fields: string[] | null];

/** The held event's JSON in a stream entry's fields, or undefined for an entry deleted while pending. */
function heldJson(fields: string[] | null): string | undefined {
  const i = fields ? fields.indexOf('e') : -1;
  return i >= 0 ? fields![i + 1] : undefined;
}

/** Runs a MULTI or pipeline and throws the first command's error (exec() resolves with them instead). */
async function execAll(batch: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  for (const [err] of (await batch.exec()) ?? []) if (err) throw err;
}

/** How long close() spends handing pending held events back before it leaves them to the takeover. */
const HAND_BACK_TIMEOUT_MS = 5_000;

/** A held event in the group commit (beside memberships): it goes to the held stream, not to its segment. */
class Hold {
  constructor(readonly event: SegmentEvent) {}
}
type Pending = SegmentEvent | Hold;

const encodeInfo = (e: { senderSiteId: number; kind: EventKind; identityType: IdentityType; tokenVersion: TokenVersion }) =>
  `${e.senderSiteId}|${kindCode(e.kind)}|${e.identityType === 'Email' ? 'e' : 'p'}|${e.tokenVersion}`;

function decodeInfo(info: string | null): Pick<Member, 'senderSiteId' | 'kind' | 'identityType' | 'tokenVersion'> {
  const [site, k, y, v] = (info ?? '0|c|e|4').split('|');
  return {
    senderSiteId: Number(site),
    kind: k === 'i' || k === 'a' || k === 'f' ? kindOf(k) : 'conversion',
    identityType: y === 'p' ? 'Phone' : 'Email',
    tokenVersion: Number(v) as TokenVersion,
  };
}

export class RedisStore implements SegmentStore {
  readonly kind: 'redis' | 'redis-cluster';
  readonly ttlMs: number;
  readonly client: Client;
  private readonly prefix: string;
  private readonly knownSegments = new Set<string>();
  private readonly commits: GroupCommit<Pending>;
  private closed = false;
  /** This process's name in the held stream's consumer group. */
  readonly consumer = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly claimIdleMs: number;
  private groupReady = false;
  /** Where the next XAUTOCLAIM scan of the pending list starts ('0-0': from the beginning). */
  private claimCursor = '0-0';
  /** Ids handed out by held() and not released yet (our pending entries: the consumer name is new each start). */
  private readonly mine = new Set<string>();
  /**
   * A read may have given us entries we never saw (its reply was lost: Redis went down after running
   * it, or there were more than one read returns), so our own pending list must be read again.
   */
  private pendingUnseen = false;
  private lastConsumerSweep = 0;

  constructor(options: RedisStoreOptions) {
    this.kind = options.kind;
    this.ttlMs = options.ttlMs;
    this.prefix = options.keyPrefix;
    this.claimIdleMs = options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
    // Fail a command after one retry instead of queueing pixels for minutes while Redis is away.
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, enableReadyCheck: true } as const;
    if (options.kind === 'redis') {
      this.client = new Redis(options.url, common);
    } else {
      const nodes = options.nodes.map((n) => {
        const i = n.lastIndexOf(':');
        return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
      });
      this.client = new Cluster(nodes, { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } });
    }
    // Errors surface through rejected commands; the event only stops ioredis printing them.
    this.client.on('error', () => {});
    this.client.defineCommand('mergeEvents', { numberOfKeys: 3, lua: MERGE_EVENTS_LUA });
    this.client.defineCommand('sweepConsumers', { numberOfKeys: 1, lua: SWEEP_CONSUMERS_LUA });
    this.commits = new GroupCommit(
      async (events) => {
        try {
          await this.commit(events);
        } catch (err) {
          throw new StoreError('STORE_WRITE_FAILED', `could not write to ${this.kind}: ${(err as Error).message}`, { cause: err });
        }
      },
      // Merges are order-independent, so rounds may overlap; callers are still answered in order.
      { concurrency: 4, ...(options.onCommit && { onCommitted: options.onCommit }) },
    );
  }

  private keys(segment: string) {
    const base = `${this.prefix}:{${segment}}`;
    return { last: `${base}:last`, first: `${base}:first`, info: `${base}:info` };
  }
  private get segmentsKey() {
    return `${this.prefix}:segments`;
  }
  private get heldKey() {
    return `${this.prefix}:{held}`;
  }

  async open(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.ping();
    } catch (err) {
      throw new StoreError('STORE_UNAVAILABLE', `cannot reach ${this.kind}: ${(err as Error).message}`, { cause: err });
    }
  }

  // --- writes (group commit) -----------------------------------------------------------------------

  private enqueue(events: readonly Pending[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return this.commits.add(events);
  }

  /**
   * One script call per segment (one slot each) and one pipeline of XADDs for the held events (one
   * slot: the stream's), all in flight together.
   */
  private async commit(items: Pending[]): Promise<void> {
    // Only sync() callers: one round to Redis, so they see what a write would (the same tick, or the failure).
    if (items.length === 0) {
      await this.client.ping();
      return;
    }
    const bySegment = new Map<string, (string | number)[]>();
    const holds: SegmentEvent[] = [];
    const now = Date.now();
    for (const item of items) {
      if (item instanceof Hold) {
        holds.push(item.event);
        continue;
      }
      let args = bySegment.get(item.segment);
      if (!args) {
        args = [this.ttlMs, now];
        bySegment.set(item.segment, args);
      }
      args.push(item.uid, item.at, encodeInfo(item));
    }
    const scripts = this.client as unknown as WithScripts;
    const calls: Promise<unknown>[] = [];
    const fresh: string[] = [];
    for (const [segment, args] of bySegment) {
      const k = this.keys(segment);
      calls.push(scripts.mergeEvents(k.last, k.first, k.info, ...args));
      if (!this.knownSegments.has(segment)) fresh.push(segment);
    }
    if (fresh.length) calls.push(this.client.sadd(this.segmentsKey, ...fresh));
    if (holds.length === 1) calls.push(this.client.xadd(this.heldKey, '*', 'e', JSON.stringify(holds[0])));
    else if (holds.length) {
      const pipeline = this.client.pipeline();
      for (const e of holds) pipeline.xadd(this.heldKey, '*', 'e', JSON.stringify(e));
      calls.push(execAll(pipeline));
    }
    await Promise.all(calls);
    for (const s of fresh) this.knownSegments.add(s);
  }

  write(event: SegmentEvent): Promise<void> {
    return this.enqueue([event]);
  }

  writeMany(events: readonly SegmentEvent[]): Promise<void> {
    return events.length ? this.enqueue(events) : Promise.resolve();
  }

  sync(): Promise<void> {
    return this.enqueue([]);
  }

  get healthy(): boolean {
    // ioredis: 'ready' once connected (and the ready check passed); 'reconnecting', 'close', 'end' otherwise.
    return !this.closed && this.client.status === 'ready';
  }

  hold(event: SegmentEvent): Promise<void> {
    return this.enqueue([new Hold(event)]);
  }

  /** The held events join the same group commit as memberships (one XADD pipeline per commit). */
  holdMany(events: readonly SegmentEvent[]): Promise<void> {
    return events.length ? this.enqueue(events.map((e) => new Hold(e))) : Promise.resolve();
  }

  /**
   * Up to `limit` held events for this process alone: first the ones it read before and has not
   * finished (a pass that failed), then ones another process left idle for claimIdleMs, then new ones.
   */
  async held(limit: number): Promise<HeldEvent[]> {
    try {
      return await this.claimHeld(limit);
    } catch (err) {
      // The stream (and its group) went away, e.g. a FLUSHALL: make the group again and read once more.
      if (!isNoGroup(err)) throw err;
      this.groupReady = false;
      return this.claimHeld(limit);
    }
  }

  private async claimHeld(limit: number): Promise<HeldEvent[]> {
    await this.ensureGroup();
    const key = this.heldKey;
    const out: HeldEvent[] = [];
    const gone: string[] = [];
    const seen = new Set<string>();
    const take = (entries: StreamEntry[] | null | undefined) => {
      for (const [id, fields] of entries ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        const json = heldJson(fields);
        if (json !== undefined) out.push({ id, event: JSON.parse(json) as SegmentEvent });
        else gone.push(id); // deleted while pending (e.g. by a collector of the old code): nothing to decide
      }
    };
    const read = async (from: string, count: number) => take(await this.readGroup(from, count));
    // 1. Our own pending entries (read again, which also resets their idle time: they stay ours).
    let moreOfOurs = false;
    if (this.mine.size || this.pendingUnseen) {
      await read('0', limit);
      this.mine.clear(); // only what that read returned is still ours (another process may have taken some over)
      moreOfOurs = out.length + gone.length >= limit;
    }
    // 2. Entries whose process stopped working on them: after one scan from the start, back to the start.
    if (out.length + gone.length < limit) {
      this.pendingUnseen = true; // until the claims below have been seen
      const [next, entries] = (await this.client.xautoclaim(key, HELD_GROUP, this.consumer, this.claimIdleMs, this.claimCursor, 'COUNT', limit - out.length - gone.length)) as [
        string,
        StreamEntry[],
        string[]?,
      ];
      this.claimCursor = next;
      take(entries);
    }
    // 3. New entries, each handed to one consumer of the group only.
    if (out.length + gone.length < limit) {
      this.pendingUnseen = true;
      await read('>', limit - out.length - gone.length);
    }
    for (const h of out) this.mine.add(h.id);
    this.pendingUnseen = moreOfOurs;
    if (gone.length) await this.client.xack(key, HELD_GROUP, ...gone);
    if (Date.now() - this.lastConsumerSweep > this.claimIdleMs) {
      this.lastConsumerSweep = Date.now();
      await (this.client as unknown as WithScripts).sweepConsumers(key, HELD_GROUP, this.claimIdleMs);
    }
    return out;
  }

  /** XREADGROUP as this process: from '>' the new entries, from an id its own pending ones after it. */
  private async readGroup(from: string, count: number): Promise<StreamEntry[]> {
    const reply = (await this.client.xreadgroup('GROUP', HELD_GROUP, this.consumer, 'COUNT', count, 'STREAMS', this.heldKey, from)) as
      | [string, StreamEntry[]][]
      | null;
    return reply?.[0]?.[1] ?? [];
  }

  /** Creates the consumer group from id 0 (entries held before it existed are read too); MKSTREAM for a new store. */
  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.client.xgroup('CREATE', this.heldKey, HELD_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  async heldCount(): Promise<number> {
    return this.client.xlen(this.heldKey);
  }

  /** Admits first, then acknowledges and deletes (one MULTI: one key), so a crash in between re-decides rather than loses. */
  async release(ids: string[], admit: SegmentEvent[]): Promise<void> {
    if (admit.length) await this.enqueue(admit);
    if (!ids.length) return;
    await execAll(this.client.multi().xack(this.heldKey, HELD_GROUP, ...ids).xdel(this.heldKey, ...ids));
    for (const id of ids) this.mine.delete(id);
  }

  async remove(segment: string, uids: string[]): Promise<void> {
    if (!uids.length) return;
    const k = this.keys(segment);
    // Same slot: one MULTI keeps the three keys consistent.
    await this.client.multi().zrem(k.last, ...uids).zrem(k.first, ...uids).hdel(k.info, ...uids).exec();
  }

  // --- reads --------------------------------------------------------------------------------------

  async size(segment: string, now = Date.now()): Promise<number> {
    return this.client.zcount(this.keys(segment).last, now - this.ttlMs, '+inf');
  }

  async segments(now = Date.now()): Promise<SegmentSize[]> {
    const names = (await this.client.smembers(this.segmentsKey)).sort();
    const sizes = await Promise.all(names.map((n) => this.size(n, now)));
    const out: SegmentSize[] = [];
    names.forEach((segment, i) => {
      if (sizes[i]! > 0) out.push({ segment, members: sizes[i]! });
    });
    return out;
  }

  async *members(segment: string, options: MembersOptions = {}): AsyncIterable<Member[]> {
    const now = options.now ?? Date.now();
    const batchSize = options.batchSize ?? 1000;
    const k = this.keys(segment);
    const cutoff = now - this.ttlMs;
    // ZSCAN may return an element twice while the set is rehashed; `seen` makes the export exact.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.client.zscan(k.last, cursor, 'COUNT', batchSize);
      cursor = next;
      const uids: string[] = [];
      const lasts: number[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const uid = flat[i]!;
        const last = Number(flat[i + 1]);
        if (last < cutoff || seen.has(uid)) continue;
        seen.add(uid);
        uids.push(uid);
        lasts.push(last);
      }
      if (!uids.length) continue;
      const [firsts, infos] = await Promise.all([this.client.zmscore(k.first, ...uids), this.client.hmget(k.info, ...uids)]);
      yield uids.map((uid, i) => ({
        uid,
        segment,
        firstSeen: firsts[i] != null ? Number(firsts[i]) : lasts[i]!,
        lastSeen: lasts[i]!,
        ...decodeInfo(infos[i] ?? null),
      }));
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.drain();
    this.closed = true;
    // Best effort, and bounded: if Redis is away now (a command would wait in ioredis's offline queue),
    // the entries stay pending and are taken over after claimIdleMs.
    if (this.groupReady && this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, HAND_BACK_TIMEOUT_MS)));
      await Promise.race([this.handBackHeld().catch(() => {}), timeout]);
      clearTimeout(timer);
    }
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /**
   * Gives every entry still pending under this process back to the group: written again as a new
   * entry (any consumer's next read gets it) and acknowledged and deleted, in one MULTI per page (one
   * key), so an entry is never lost and at worst decided twice (decisions are idempotent). Then drops
   * this consumer, which has nothing pending any more.
   */
  private async handBackHeld(): Promise<void> {
    const key = this.heldKey;
    for (let from = '0'; ; ) {
      const entries = await this.readGroup(from, 500);
      if (entries.length === 0) break;
      const tx = this.client.multi();
      for (const [, fields] of entries) {
        const json = heldJson(fields);
        if (json !== undefined) tx.xadd(key, '*', 'e', json);
      }
      const ids = entries.map(([id]) => id);
      await execAll(tx.xack(key, HELD_GROUP, ...ids).xdel(key, ...ids));
      from = ids[ids.length - 1]!;
    }
    await this.client.xgroup('DELCONSUMER', key, HELD_GROUP, this.consumer);
  }
}

const isNoGroup = (err: unknown): boolean => String((err as Error | undefined)?.message).startsWith('NOGROUP');
