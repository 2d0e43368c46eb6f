// The Redis drop ledger has a bounded life that cannot cost exactly-once: entries expire after the
// retention, but every listing that still finds the object renews its entry, so a file left in the
// bucket is never ingested again; the entry of a file that left the bucket runs down and expires.
// Real parts: redis-server (single and a three-node cluster), the collector in-process with the Redis
// store and a drop directory, the local operator over HTTP.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { emptyCounts, ledgerId, RedisLedger } from '../src/drops/ledger.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { csvFile, dropFile, readReport, waitFor } from './helpers/drops.ts';
import { scrapedTotal } from './helpers/http.ts';
import { captureLogs } from './helpers/logs.ts';
import { startRedis, startRedisCluster, type RedisClusterHandle, type RedisHandle } from './helpers/redis.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

const DAY = 24 * 60 * 60 * 1000;
let redis: RedisHandle;
let cluster: RedisClusterHandle;
const clients: Array<Redis | Cluster> = [];
let prefixN = 0;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

const wheres = [
  { name: 'redis', connect: () => new Redis(redis.url) },
  { name: 'redis-cluster', connect: () => new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) }))) },
];

describe.each(wheres)('RedisLedger retention: $name', ({ connect }) => {
  const setup = () => {
    const client = connect();
    clients.push(client);
    const prefix = `dl${++prefixN}`;
    return { client, prefix, ledger: new RedisLedger(client, prefix, { retentionMs: 10 * DAY }) };
  };
  // The ledger's key layout (ledger.ts): one hash tag per object, from the SHA-256 of its id.
  const keysOf = async (_client: Redis | Cluster, prefix: string, id: string) => {
    const base = `${prefix}:{drop:${createHash('sha256').update(id).digest('base64url')}}`;
    return { e: `${base}:e`, r: `${base}:r`, claim: `${base}:claim` };
  };

  it('checkpoints and finish give the entry the retention; a look-up renews it only once most of it has run down', async () => {
    const { client, prefix, ledger } = setup();
    const id = ledgerId('101/seg/a.csv', 'etag-1');
    const k = await keysOf(client, prefix, id);
    expect(await ledger.claim(id, 'me', 60_000)).toBe(true);
    expect(await ledger.checkpoint(id, 'me', { line: 10, counts: emptyCounts(), rejectedLines: [[3, 'invalid']] }, 60_000)).toBe(true);
    for (const key of [k.e, k.r]) expect(await client.pttl(key)).toBeGreaterThan(9 * DAY);
    await ledger.finish(id, 'me', 'done');
    expect(await client.exists(k.r, k.claim)).toBe(0);
    expect(await client.pttl(k.e)).toBeGreaterThan(9 * DAY);

    // Time passed (half the retention left): the next look-up (a listing that still finds the object) renews it.
    await client.pexpire(k.e, 5 * DAY);
    expect((await ledger.get(id))?.state).toBe('done');
    expect(await client.pttl(k.e)).toBeGreaterThan(9 * DAY);
    // Most of it left: not rewritten on every poll.
    await client.pexpire(k.e, 9.5 * DAY);
    await ledger.get(id);
    expect(await client.pttl(k.e)).toBeLessThanOrEqual(9.5 * DAY);
  });

  it('entries written before there was a retention get one: on look-up, or by the sweep when never looked up again', async () => {
    const { client, prefix, ledger } = setup();
    const listed = ledgerId('101/seg/still-here.csv', 'e1');
    const gone = ledgerId('101/seg/deleted.csv', 'e2');
    const active = ledgerId('101/seg/half-done.csv', 'e3');
    const [kl, kg, ka] = await Promise.all([keysOf(client, prefix, listed), keysOf(client, prefix, gone), keysOf(client, prefix, active)]);
    // What the previous release left: hashes and a rejected-lines list without any TTL.
    await client.hset(kl.e, 'state', 'done', 'line', '5', 'counts', JSON.stringify(emptyCounts()), 'startedAt', '1');
    await client.hset(kg.e, 'state', 'done', 'line', '5', 'counts', JSON.stringify(emptyCounts()), 'startedAt', '1');
    await client.hset(ka.e, 'state', 'active', 'line', '5', 'counts', JSON.stringify(emptyCounts()), 'startedAt', '1');
    await client.rpush(ka.r, JSON.stringify([2, 'invalid']));
    const unrelated = `${prefix}:{segment}:last`;
    await client.zadd(unrelated, 1, 'member');

    expect((await ledger.get(listed))?.state).toBe('done');
    expect(await client.pttl(kl.e)).toBeGreaterThan(9 * DAY);
    expect(await client.pttl(kg.e)).toBe(-1);

    expect(await ledger.sweepUnexpiring()).toBe(3); // gone's and active's hash, active's list
    for (const key of [kg.e, ka.e, ka.r]) expect(await client.pttl(key)).toBeGreaterThan(9 * DAY);
    expect(await client.pttl(unrelated)).toBe(-1);
    expect(await ledger.sweepUnexpiring()).toBe(0);
    expect((await ledger.get(active))?.rejectedLines).toEqual([[2, 'invalid']]);
  });
});

describe('a collector fleet member ingesting drops with the Redis ledger', () => {
  let op: TestOperator;
  let collector: RunningCollector;
  let acme: SharingClient;
  let dataDir: string;
  let client: Redis;
  const prefix = 'dropret';
  const RETENTION_DAYS = 7;
  const RETENTION_MS = RETENTION_DAYS * 24 * 3600_000;

  beforeAll(async () => {
    op = await startTestOperator();
    acme = await sender(op, SITES.acme);
    dataDir = tempDir();
    const base = collectorConfig(op, dataDir, { store: { kind: 'redis', url: redis.url, keyPrefix: prefix } });
    // Not the default retention, so that the entries' lives show the config reaches the ledger.
    collector = await startCollector({ config: { ...base, drops: { ...base.drops, source: 'dir', pollMs: 100, ledgerRetentionDays: RETENTION_DAYS } }, logger: captureLogs('warn').logger });
    client = new Redis(redis.url);
    clients.push(client);
  }, 30_000);

  afterAll(async () => {
    await collector?.close();
    await op?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const drops = () => join(dataDir, 'drops');
  const done = () => scrapedTotal(collector.url, ADMIN_TOKEN, 'collector_drop_files_total', { result: 'done' });
  const ledgerKeys = async () => (await client.keys(`${prefix}:{drop:*}:e`)).sort();
  const ingest = async (key: string) => {
    dropFile(drops(), key, csvFile(Array.from({ length: 5 }, () => encryptFor(acme, makeRawUid()))));
    return waitFor(() => readReport(drops(), `${key}.report.json`), `report ${key}`);
  };

  it('a file left in the bucket keeps its entry alive (never ingested again); a removed file’s entry runs down', async () => {
    const kept = `${SITES.acme}/acme-vip-kept/day-1.csv`;
    const first = await ingest(kept);
    expect(first).toMatchObject({ status: 'done', written: 5 });
    const [entry] = await ledgerKeys();
    expect(entry).toBeDefined();
    expect(await client.pttl(entry!)).toBeGreaterThan(RETENTION_MS * 0.9);
    expect(await client.pttl(entry!)).toBeLessThanOrEqual(RETENTION_MS);

    // Most of the retention has passed while the file stayed: the next listing renews the entry.
    await client.pexpire(entry!, RETENTION_MS / 2);
    await waitFor(async () => ((await client.pttl(entry!)) > RETENTION_MS * 0.9 ? true : null), 'the entry renewed by a listing');
    expect(await done()).toBe(1);
    expect(readReport(drops(), `${kept}.report.json`)).toEqual(first);

    // The sender removes the file (and its report): nothing renews the entry any more.
    rmSync(join(drops(), kept));
    rmSync(join(drops(), `${kept}.report.json`));
    await client.pexpire(entry!, RETENTION_MS / 2);
    // A later file's report proves a whole listing (and more) ran after the removal.
    await ingest(`${SITES.acme}/acme-vip-kept/day-2.csv`);
    await ingest(`${SITES.acme}/acme-vip-kept/day-3.csv`);
    expect(await client.pttl(entry!)).toBeLessThanOrEqual(RETENTION_MS / 2);
    expect(await done()).toBe(3);
    expect(readFileSync(join(drops(), `${SITES.acme}/acme-vip-kept/day-2.csv.report.json`), 'utf8')).toContain('"status": "done"');
  });
});
