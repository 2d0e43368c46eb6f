// One behavioural contract, run against every SegmentStore: the embedded file store, a real
// redis-server, and a real three-node Redis Cluster started on loopback ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/store/file-store.ts';
import { RedisStore } from '../src/store/redis-store.ts';
import { DAY_MS, type SegmentStore } from '../src/store/segment-store.ts';
import { collect, event, rawUid } from './helpers/events.ts';
import { startRedis, startRedisCluster, type RedisClusterHandle, type RedisHandle } from './helpers/redis.ts';

const TTL = 30 * DAY_MS;
let redis: RedisHandle;
let cluster: RedisClusterHandle;
const dirs: string[] = [];
let prefixN = 0;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type OnCommit = (seconds: number, records: number) => void;

interface Kind {
  name: string;
  /** A fresh, empty store, plus a way to open a second handle on the same data. `onCommit` sees each group commit. */
  make(onCommit?: OnCommit): { store: SegmentStore; reopen(): SegmentStore };
}

const kinds: Kind[] = [
  {
    name: 'file',
    make(onCommit) {
      const dir = mkdtempSync(join(tmpdir(), 'collector-store-'));
      dirs.push(dir);
      return { store: new FileStore({ dir, ttlMs: TTL, ...(onCommit && { onCommit }) }), reopen: () => new FileStore({ dir, ttlMs: TTL }) };
    },
  },
  {
    name: 'redis',
    make(onCommit) {
      const keyPrefix = `t${++prefixN}`;
      const mk = (c?: OnCommit) => new RedisStore({ kind: 'redis', url: redis.url, keyPrefix, ttlMs: TTL, ...(c && { onCommit: c }) });
      return { store: mk(onCommit), reopen: () => mk() };
    },
  },
  {
    name: 'redis-cluster',
    make(onCommit) {
      const keyPrefix = `t${++prefixN}`;
      const mk = (c?: OnCommit) => new RedisStore({ kind: 'redis-cluster', nodes: cluster.nodes, keyPrefix, ttlMs: TTL, ...(c && { onCommit: c }) });
      return { store: mk(onCommit), reopen: () => mk() };
    },
  },
];

describe.each(kinds)('SegmentStore contract: $name', (kind) => {
  it('writes memberships that a second handle on the same data reads back', async () => {
    const { store, reopen } = kind.make();
    await store.open();
    const a = event({ segment: 'seg-a' });
    const b = event({ segment: 'seg-a', kind: 'impression', identityType: 'Phone', tokenVersion: 3, senderSiteId: 102 });
    const c = event({ segment: 'seg-b' });
    await Promise.all([store.write(a), store.write(b), store.write(c)]);
    await store.close();

    const again = reopen();
    await again.open();
    expect(await again.size('seg-a')).toBe(2);
    expect(await again.segments()).toEqual([
      { segment: 'seg-a', members: 2 },
      { segment: 'seg-b', members: 1 },
    ]);
    const members = await collect(again.members('seg-a'));
    const byUid = new Map(members.map((m) => [m.uid, m]));
    expect(byUid.get(b.uid)).toEqual({
      uid: b.uid, segment: 'seg-a', firstSeen: b.at, lastSeen: b.at, senderSiteId: 102, kind: 'impression', identityType: 'Phone', tokenVersion: 3,
    });
    expect(byUid.get(a.uid)?.kind).toBe('conversion');
    await again.close();
  });

  it('sync() resolves with a commit (alone or joining writes), and healthy says whether it can commit', async () => {
    const { store } = kind.make();
    expect(store.healthy).toBe(false); // not open yet
    await store.open();
    expect(store.healthy).toBe(true);
    await store.sync();
    const e = event({ segment: 'synced' });
    let written = false;
    const w = store.write(e).then(() => (written = true));
    await store.sync();
    await w;
    expect(written).toBe(true);
    expect(await store.size('synced')).toBe(1);
    expect(await store.segments()).toEqual([{ segment: 'synced', members: 1 }]);
    await store.close();
    expect(store.healthy).toBe(false);
    await expect(store.sync()).rejects.toThrow();
  });

  it('keeps the first and last seen times whatever order events arrive in, and the latest details', async () => {
    const { store } = kind.make();
    await store.open();
    const uid = rawUid();
    const t = Date.now() - 10_000;
    await store.write(event({ uid, segment: 's', at: t + 5000, senderSiteId: 102, kind: 'impression' }));
    await store.write(event({ uid, segment: 's', at: t, senderSiteId: 101 }));
    await store.write(event({ uid, segment: 's', at: t + 2000, senderSiteId: 101 }));
    const [m] = await collect(store.members('s'));
    expect(m).toMatchObject({ uid, firstSeen: t, lastSeen: t + 5000, senderSiteId: 102, kind: 'impression' });
    expect(await store.size('s')).toBe(1);
    await store.close();
  });

  it('expires a membership TTL after its last event', async () => {
    const { store } = kind.make();
    await store.open();
    const now = Date.now();
    const old = event({ segment: 'ttl', at: now - TTL - 60_000 });
    const fresh = event({ segment: 'ttl', at: now - TTL + 60_000 });
    await Promise.all([store.write(old), store.write(fresh)]);
    expect(await store.size('ttl', now)).toBe(1);
    expect((await collect(store.members('ttl', { now }))).map((m) => m.uid)).toEqual([fresh.uid]);
    // Two minutes later the fresh one has expired too.
    expect(await store.size('ttl', now + 120_000)).toBe(0);
    expect(await store.segments(now + 120_000)).toEqual([]);
    await store.close();
  });

  it('holds events outside every segment until released, then admits only the ones it is told to', async () => {
    const { store, reopen } = kind.make();
    await store.open();
    const keep = event({ segment: 'held-seg' });
    const drop = event({ segment: 'held-seg' });
    await Promise.all([store.hold(keep), store.hold(drop)]);
    expect(await store.size('held-seg')).toBe(0);
    expect(await store.heldCount()).toBe(2);
    await store.close();

    const again = reopen();
    await again.open();
    const held = await again.held(10);
    expect(held.map((h) => h.event.uid).sort()).toEqual([keep.uid, drop.uid].sort());
    await again.release(held.map((h) => h.id), held.filter((h) => h.event.uid === keep.uid).map((h) => h.event));
    expect(await again.heldCount()).toBe(0);
    expect((await collect(again.members('held-seg'))).map((m) => m.uid)).toEqual([keep.uid]);
    await again.close();
  });

  it('writes and holds made together go in one group commit', async () => {
    const commits: number[] = [];
    const { store } = kind.make((_, records) => commits.push(records));
    await store.open();
    const written = event({ segment: 'mixed' });
    const before = commits.length;
    await Promise.all([store.write(written), store.hold(event({ segment: 'mixed' })), store.holdMany([event({ segment: 'mixed' }), event({ segment: 'mixed' })])]);
    expect(commits.slice(before)).toEqual([4]);
    expect(await store.heldCount()).toBe(3);
    expect((await collect(store.members('mixed'))).map((m) => m.uid)).toEqual([written.uid]);
    await store.close();
  });

  it('removes memberships', async () => {
    const { store } = kind.make();
    await store.open();
    const a = event({ segment: 'rm' });
    const b = event({ segment: 'rm' });
    await Promise.all([store.write(a), store.write(b)]);
    await store.remove('rm', [a.uid]);
    expect((await collect(store.members('rm'))).map((m) => m.uid)).toEqual([b.uid]);
    await store.close();
  });

  it('group-commits thousands of concurrent writes and loses none', async () => {
    const { store, reopen } = kind.make();
    await store.open();
    const events = Array.from({ length: 3000 }, (_, i) => event({ segment: `bulk-${i % 3}` }));
    await Promise.all(events.map((e) => store.write(e)));
    await store.close();
    const again = reopen();
    await again.open();
    const seen = new Set<string>();
    for (const s of ['bulk-0', 'bulk-1', 'bulk-2']) {
      for (const m of await collect(again.members(s, { batchSize: 250 }))) seen.add(`${m.segment}/${m.uid}`);
    }
    expect(seen.size).toBe(3000);
    for (const e of events) expect(seen.has(`${e.segment}/${e.uid}`)).toBe(true);
    await again.close();
  });

  it('rejects writes after close', async () => {
    const { store } = kind.make();
    await store.open();
    await store.close();
    await expect(store.write(event())).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
