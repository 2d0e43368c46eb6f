// The collector over HTTP with its Redis stores: a single redis-server and a three-node Redis Cluster,
// both real and started here. Two collectors share one Redis, as a fleet would.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { captureLogs } from './helpers/logs.ts';
import { runLoad } from './helpers/loadgen.ts';
import { adminJson, pixelUrl, see, sumSeries, waitDecided } from './helpers/http.ts';
import { startRedis, startRedisCluster, type RedisClusterHandle, type RedisHandle } from './helpers/redis.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';

let op: TestOperator;
let acme: SharingClient;
let bidwell: SharingClient;
let redis: RedisHandle;
let cluster: RedisClusterHandle;
const running: RunningCollector[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  [op, redis, cluster] = await Promise.all([startTestOperator(), startRedis(), startRedisCluster()]);
  [acme, bidwell] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell)]);
}, 60_000);

afterAll(async () => {
  for (const c of running) await c.close();
  await Promise.all([op?.close(), redis?.stop(), cluster?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function collector(store: object): Promise<RunningCollector> {
  const dir = tempDir();
  dirs.push(dir);
  const c = await startCollector({ config: collectorConfig(op, dir, { store: store as never }), logger: captureLogs('warn').logger });
  running.push(c);
  await untilSharingReady(c);
  return c;
}

async function exported(c: RunningCollector, segment: string, format: 'csv' | 'ndjson' = 'ndjson'): Promise<string> {
  const r = await fetch(`${c.url}/admin/segments/${segment}/export?format=${format}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(r.status).toBe(200);
  return r.text();
}

describe.each([
  { name: 'redis', store: () => ({ kind: 'redis', url: redis.url, keyPrefix: 'fleet' }) },
  { name: 'redis-cluster', store: () => ({ kind: 'redis-cluster', nodes: cluster.nodes, keyPrefix: 'fleet' }) },
])('collector fleet on $name', ({ store }) => {
  it('two collectors write into the same segments; either one reads them all back', async () => {
    const [one, two] = [await collector(store()), await collector(store())];
    const acmeUids = Array.from({ length: 40 }, () => makeRawUid());
    const dspUids = Array.from({ length: 25 }, () => makeRawUid('Phone'));
    const answers = await Promise.all([
      ...acmeUids.map((uid, i) => see(pixelUrl((i % 2 ? one : two).url, 'conversion', { uid2_token: encryptFor(acme, uid) }))),
      ...dspUids.map((uid, i) => see(pixelUrl((i % 2 ? two : one).url, 'impression', { uid2_token: encryptFor(bidwell, uid) }), { method: 'POST' })),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(40).fill(200), ...Array(25).fill(204)]);
    await waitDecided(one.url, ADMIN_TOKEN);

    expect(await adminJson(one.url, '/admin/segments', ADMIN_TOKEN)).toEqual({
      segments: [{ segment: 'acme-converters', members: 40 }, { segment: 'bidwell-impressions', members: 25 }],
      held: 0,
      optoutChecked: true,
    });
    // Every new UID2 was held; the two collectors' resolvers share the held stream, and each held
    // event is decided (asked of the operator, counted) by one of them only.
    const decided = async (c: RunningCollector) => sumSeries(await c.metrics.registry.metrics(), 'collector_held_decided_total', {});
    expect((await decided(one)) + (await decided(two))).toBe(65);
    const lines = (await exported(two, 'bidwell-impressions')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.uid).sort()).toEqual([...dspUids].sort());
    expect(lines[0]).toMatchObject({ segment: 'bidwell-impressions', senderSiteId: SITES.bidwell, lastKind: 'impression', identityType: 'Phone' });
    const csv = (await exported(one, 'acme-converters', 'csv')).trim().split('\n');
    expect(csv.length).toBe(41);

    // The same UID2 again, later: one member, first seen kept, last seen moved.
    const again = acmeUids[0]!;
    const before = lines.length;
    await new Promise((r) => setTimeout(r, 20));
    await see(pixelUrl(one.url, 'conversion', { uid2_token: encryptFor(acme, again) }));
    await waitDecided(one.url, ADMIN_TOKEN);
    const row = (await exported(two, 'acme-converters')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>).find((m) => m.uid === again)!;
    expect(new Date(row.lastSeen!).getTime()).toBeGreaterThan(new Date(row.firstSeen!).getTime());
    expect(before).toBe(25);
    const text = await one.metrics.registry.metrics();
    expect(text).toContain(`collector_store_commit_seconds_count{store="${store().kind}"}`);
  });
});

describe('Redis stopped under load', () => {
  it('readiness drops, every pixel answered 200 survives, nothing is answered 200 while it cannot be kept, and it recovers', async () => {
    const durable = await startRedis({ durable: true });
    try {
      const c = await collector({ kind: 'redis', url: durable.url, keyPrefix: 'outage' });
      const work = Array.from({ length: 20_000 }, () => {
        const uid = makeRawUid();
        return { uid, path: `/pixel/conversion?uid2_token=${encodeURIComponent(encryptFor(acme, uid))}` };
      });
      const answered = new Set<string>();
      const statuses: Record<number, number> = {};
      const readiness: number[] = [];
      let phase = 'before' as 'before' | 'down' | 'after';
      const seenDown = { ready: 0, unready: 0, pixel503: 0 };
      let stopLoad!: () => void;
      const stop = new Promise<void>((r) => (stopLoad = r));
      const poll = (async () => {
        while (phase !== 'after' || readiness.at(-1) !== 200) {
          const s = (await fetch(`${c.url}/readyz`)).status;
          readiness.push(s);
          if (phase === 'down') seenDown[s === 200 ? 'ready' : 'unready']++;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const load = runLoad({
        host: '127.0.0.1', port: c.port, connections: 8, requests: work.length, durationMs: 60_000, stop,
        path: (i) => work[i]!.path,
        onResponse: (i, status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 200) answered.add(work[i]!.uid);
          else if (phase === 'down') seenDown.pixel503++;
        },
      });
      const until = async (check: () => boolean) => {
        while (!check()) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => answered.size >= 300);
      phase = 'down';
      await durable.halt();
      await until(() => seenDown.unready >= 5 && seenDown.pixel503 >= 20);
      const answeredWhileDown = answered.size;
      await durable.restart();
      phase = 'after';
      await poll;
      await until(() => answered.size >= answeredWhileDown + 300);
      stopLoad();
      await load;

      expect(statuses[503]).toBeGreaterThan(0);
      expect(Object.keys(statuses).sort()).toEqual(['200', '503']);
      // Every pixel answered 200 is in its segment (or held, then decided) after Redis came back.
      await waitDecided(c.url, ADMIN_TOKEN, 30_000);
      const r = await fetch(`${c.url}/admin/segments/acme-converters/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const present = new Set((await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid));
      const missing = [...answered].filter((u) => !present.has(u));
      expect(missing, `${missing.length} of ${answered.size} answered pixels missing`).toEqual([]);
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    } finally {
      await durable.stop();
    }
  }, 120_000);
});
