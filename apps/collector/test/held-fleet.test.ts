// Held events in a fleet: several collector processes run a held-event resolver over the one Redis
// stream P:{held}. Each held event must be asked of the operator, and counted, by exactly one of
// them; events a process read and never finished (it died) must be taken over by another. Real parts:
// redis-server (single and a three-node cluster), the local operator's /v2/optout/status over HTTP,
// one RedisStore (its own connection) per simulated collector process.
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptOutStatusClient } from '@uid2-pixels/uid2';
import { HeldResolver } from '../src/held-resolver.ts';
import { createLogger } from '../src/log.ts';
import { OptoutGate, type OptoutStatusSource } from '../src/optout-gate.ts';
import { HELD_GROUP, RedisStore, type RedisStoreOptions } from '../src/store/redis-store.ts';
import { DAY_MS, type SegmentEvent } from '../src/store/segment-store.ts';
import { killStarted, spawnCollector, waitReady, writeConfig } from './helpers/child.ts';
import { waitFor } from './helpers/drops.ts';
import { event } from './helpers/events.ts';
import { startRedis, startRedisCluster, type RedisClusterHandle, type RedisHandle } from './helpers/redis.ts';
import { pixelUrl, scrapedTotal, waitDecided } from './helpers/http.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

let op: TestOperator;
let redis: RedisHandle;
let cluster: RedisClusterHandle;
let optedOut: string;
let prefixN = 0;
const open: RedisStore[] = [];

beforeAll(async () => {
  [op, redis, cluster] = await Promise.all([startTestOperator(), startRedis(), startRedisCluster()]);
  optedOut = await optOutUser(op, 'held-fleet-leaver@example.com');
}, 60_000);

afterAll(async () => {
  for (const s of open) await s.close().catch(() => {});
  await Promise.all([op?.close(), redis?.stop(), cluster?.stop()]);
});

/** The real opt-out client over HTTP, counting how often each UID2 is asked across every "process". */
class CountingSource implements OptoutStatusSource {
  private readonly client: OptOutStatusClient;
  constructor(private readonly asked: Map<string, number>) {
    const lumen = op.credentials(SITES.lumen);
    this.client = new OptOutStatusClient({ ...lumen, timeoutMs: 5000 });
  }
  getOptOutTimes(uids: readonly string[]): Promise<Array<number | null>> {
    for (const u of uids) this.asked.set(u, (this.asked.get(u) ?? 0) + 1);
    return this.client.getOptOutTimes(uids);
  }
}

type Where = { name: string; options: () => Omit<RedisStoreOptions, 'keyPrefix' | 'ttlMs'> };
const wheres: Where[] = [
  { name: 'redis', options: () => ({ kind: 'redis', url: redis.url }) },
  { name: 'redis-cluster', options: () => ({ kind: 'redis-cluster', nodes: cluster.nodes }) },
];

async function store(where: Where, keyPrefix: string, claimIdleMs?: number): Promise<RedisStore> {
  const s = new RedisStore({ ...where.options(), keyPrefix, ttlMs: 30 * DAY_MS, ...(claimIdleMs !== undefined && { claimIdleMs }) } as RedisStoreOptions);
  await s.open();
  open.push(s);
  return s;
}

/** One collector process's resolver: its own store connection, gate (own verdict cache) and counts. */
async function process_(where: Where, keyPrefix: string, asked: Map<string, number>, claimIdleMs?: number) {
  const s = await store(where, keyPrefix, claimIdleMs);
  const decided = { admitted: 0, optedOut: 0 };
  const gate = new OptoutGate({ source: new CountingSource(asked), cacheTtlSeconds: 3600, batchWindowMs: 0, maxBatch: 1000 });
  const resolver = new HeldResolver({
    store: s,
    gate,
    intervalMs: 60_000,
    log: createLogger('silent'),
    batchSize: 25,
    onDecided: (admitted, out) => {
      decided.admitted += admitted.length;
      decided.optedOut += out;
    },
  });
  return { store: s, gate, resolver, decided };
}

const heldEvents = (n: number, segment: string): SegmentEvent[] => [
  event({ uid: optedOut, segment }),
  ...Array.from({ length: n - 1 }, () => event({ uid: makeRawUid(), segment })),
];

/** N held events in a new stream, read by a process that has not decided them yet (its pass started). */
async function heldAndRead(where: Where, segment: string, N: number) {
  const prefix = `hf${++prefixN}`;
  const writer = await store(where, prefix);
  await writer.holdMany(heldEvents(N, segment));
  const reader = await store(where, prefix);
  expect(await reader.held(100)).toHaveLength(N);
  return { prefix, writer, reader };
}

/** Every event of `segment` was asked once and decided by `heir`: N - 1 admitted, the opted-out one dropped. */
async function expectDecidedOnce(heir: { decided: { admitted: number; optedOut: number } }, asked: Map<string, number>, writer: RedisStore, segment: string, N: number) {
  expect(asked.size).toBe(N);
  expect([...asked.values()].every((n) => n === 1)).toBe(true);
  expect(heir.decided).toEqual({ admitted: N - 1, optedOut: 1 });
  expect(await writer.size(segment)).toBe(N - 1);
}

/** The names of the held stream's consumers. */
async function consumerNames(writer: RedisStore, prefix: string): Promise<string[]> {
  const consumers = (await writer.client.xinfo('CONSUMERS', `${prefix}:{held}`, HELD_GROUP)) as unknown[][];
  return consumers.map((c) => String(c[c.indexOf('name') + 1]));
}

describe.each(wheres)('held events over one stream: $name', (where) => {
  it('two processes resolving at once ask and count each held event exactly once', async () => {
    const prefix = `hf${++prefixN}`;
    const N = 200;
    const asked = new Map<string, number>();
    const writer = await store(where, prefix);
    const events = heldEvents(N, 'fleet-seg');
    await writer.holdMany(events);
    const a = await process_(where, prefix, asked);
    const b = await process_(where, prefix, asked);

    await Promise.all([a.resolver.runOnce(), b.resolver.runOnce(), a.resolver.runOnce()]);
    // A pass may end while the other process still works; run until the stream is empty.
    await waitFor(async () => {
      await Promise.all([a.resolver.runOnce(), b.resolver.runOnce()]);
      return (await writer.heldCount()) === 0 || null;
    }, 'every held event decided');

    expect([...asked.values()].filter((n) => n !== 1)).toEqual([]);
    expect(asked.size).toBe(N);
    expect(a.decided.admitted + b.decided.admitted).toBe(N - 1);
    expect(a.decided.optedOut + b.decided.optedOut).toBe(1);
    expect(await writer.size('fleet-seg')).toBe(N - 1);
    expect(await writer.client.xpending(`${prefix}:{held}`, HELD_GROUP)).toEqual([0, null, null, null]);
    for (const p of [a, b]) p.gate.close();
  });

  it('a process that stops gracefully hands the events it read back at once, and each is decided once', async () => {
    const N = 30;
    const asked = new Map<string, number>();
    // A process reads the held events (its pass has started), then is stopped (SIGTERM, a rolling restart).
    const { prefix, writer, reader: stopping } = await heldAndRead(where, 'handback-seg', N);
    await stopping.close();
    expect(await writer.client.xpending(`${prefix}:{held}`, HELD_GROUP)).toEqual([0, null, null, null]);
    expect(await writer.heldCount()).toBe(N);
    expect(await consumerNames(writer, prefix)).not.toContain(stopping.consumer);

    // The next process gets them on its first pass, long before any takeover by idle time (60 s here).
    const heir = await process_(where, prefix, asked, 60_000);
    await heir.resolver.runOnce();
    expect(await writer.heldCount()).toBe(0);
    await expectDecidedOnce(heir, asked, writer, 'handback-seg', N);
    heir.gate.close();
  });

  it('events read by a process that died are taken over by another once idle, and decided once', async () => {
    const N = 30;
    const asked = new Map<string, number>();
    // A process reads the held events (its pass has started), then dies before asking the operator.
    const { prefix, writer, reader: dying } = await heldAndRead(where, 'takeover-seg', N);
    const pending = (await writer.client.xpending(`${prefix}:{held}`, HELD_GROUP)) as [number, string, string, [string, string][]];
    expect(pending[0]).toBe(N);
    expect(pending[3]).toEqual([[dying.consumer, String(N)]]);
    dying.client.disconnect();

    // Another process takes them over once they have been idle for its claimIdleMs, and decides them.
    const heir = await process_(where, prefix, asked, 200);
    await waitFor(async () => {
      await heir.resolver.runOnce();
      return (await writer.heldCount()) === 0 || null;
    }, 'the dead process’s events taken over');
    await expectDecidedOnce(heir, asked, writer, 'takeover-seg', N);
    // The dead process's consumer, now with nothing pending, leaves the group (a later pass sweeps it).
    await waitFor(async () => {
      await heir.store.held(1);
      return !(await consumerNames(writer, prefix)).includes(dying.consumer) || null;
    }, 'the dead consumer swept');
    heir.gate.close();
  });

  it('a process whose pass failed (operator down) decides its own events on its next pass, without waiting to take them over', async () => {
    const prefix = `hf${++prefixN}`;
    const N = 12;
    const asked = new Map<string, number>();
    const writer = await store(where, prefix);
    await writer.holdMany(heldEvents(N, 'retry-seg'));
    const p = await process_(where, prefix, asked); // default claimIdleMs: 60 s
    await op.stop();
    try {
      await p.resolver.runOnce();
    } finally {
      await op.restart();
    }
    expect(await writer.heldCount()).toBe(N);
    const pending = (await writer.client.xpending(`${prefix}:{held}`, HELD_GROUP)) as [number, string, string, [string, string][]];
    expect(pending[3]).toEqual([[p.store.consumer, String(N)]]);
    await p.resolver.runOnce();
    expect(await writer.heldCount()).toBe(0);
    expect(p.decided).toEqual({ admitted: N - 1, optedOut: 1 });
    p.gate.close();
  });

  it('a stream held before the upgrade (no consumer group yet) is read from its start', async () => {
    const prefix = `hf${++prefixN}`;
    const N = 10;
    const writer = await store(where, prefix);
    const key = `${prefix}:{held}`;
    // What the previous release wrote: plain XADDs, no group.
    for (const e of heldEvents(N, 'old-seg')) await writer.client.xadd(key, '*', 'e', JSON.stringify(e));
    expect(await writer.client.exists(key)).toBe(1);

    const asked = new Map<string, number>();
    const p = await process_(where, prefix, asked);
    await p.resolver.runOnce();
    expect(await writer.heldCount()).toBe(0);
    expect(p.decided).toEqual({ admitted: N - 1, optedOut: 1 });
    expect(await writer.size('old-seg')).toBe(N - 1);
    p.gate.close();
  });
});

describe('collector --workers 2 with the Redis store', () => {
  it('each held pixel is asked of the operator and counted by one worker only', async () => {
    const dir = tempDir('collector-held-workers-');
    try {
      const acme = await sender(op, SITES.acme);
      const config = collectorConfig(op, `${dir}/data`, { workers: 2, logLevel: 'warn', store: { kind: 'redis', url: redis.url, keyPrefix: 'workers' } });
      const collector = await spawnCollector(['--config', writeConfig(dir, config)], { expectListening: 2 });
      await waitReady(collector.url);
      // Every pixel on a connection of its own, so the primary hands them to both workers in turn.
      const N = 60;
      const get = (url: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          req.on('error', reject);
          req.end();
        });
      const statuses = await Promise.all(Array.from({ length: N }, () => get(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }))));
      expect(statuses).toEqual(Array(N).fill(200));
      await waitDecided(collector.url, ADMIN_TOKEN);
      // New UID2s are all held, then decided: counted once each over both workers (the primary sums them).
      expect(await scrapedTotal(collector.url, ADMIN_TOKEN, 'collector_held_decided_total', {})).toBe(N);
      expect(await scrapedTotal(collector.url, ADMIN_TOKEN, 'collector_pixel_outcomes_total', { outcome: 'held' })).toBe(N);
    } finally {
      await killStarted();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
