// A fleet: two collector processes with the Redis store (a real redis-server) share one S3 drop bucket
// (a real s3rver) and the bulk API. Each object is ingested by exactly one of them (claims and the
// ledger live in Redis); a collector killed -9 mid-file is taken over by the other once its claim
// lapses, and the report still counts every line once; an Idempotency-Key used on one collector is
// honoured by the other.
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import type { CollectorConfig } from '../src/config.ts';
import { issueSenderKey } from '../src/share/sender-keys.ts';
import { killStarted, spawnCollector, waitReady, writeConfig, type ChildCollector } from './helpers/child.ts';
import { csvFile, waitFor } from './helpers/drops.ts';
import { startRedis, type RedisHandle } from './helpers/redis.ts';
import { S3_ENV, startS3, type S3Handle } from './helpers/s3.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';
import { scrapedTotal } from './helpers/http.ts';

let op: TestOperator;
let redis: RedisHandle;
let s3: S3Handle;
let dir: string;
let acme: SharingClient;
const fleet: ChildCollector[] = [];
const key = issueSenderKey(SITES.acme);
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function config(name: string): CollectorConfig {
  const base = collectorConfig(op, `${dir}/${name}`, { store: { kind: 'redis', url: redis.url, keyPrefix: 'fleet' } });
  return {
    ...base,
    senders: base.senders.map((s) => (s.siteId === SITES.acme ? { ...s, keyHashes: [key.hash] } : s)),
    drops: { ...base.drops, source: 's3', s3: { bucket: 'drops', prefix: 'in', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true }, pollMs: 150, chunkLines: 500, claimTtlMs: 3000 },
  } as CollectorConfig;
}

const counter = (c: ChildCollector, name: string, labels: Record<string, string>) => scrapedTotal(c.url, ADMIN_TOKEN, name, labels);

function tokens(n: number): { tokens: string[]; uids: string[] } {
  const uids = Array.from({ length: n }, () => makeRawUid());
  return { uids, tokens: uids.map((u) => encryptFor(acme, u)) };
}

async function put(key: string, body: string | Buffer): Promise<void> {
  await s3.client().send(new PutObjectCommand({ Bucket: 'drops', Key: `in/${key}`, Body: body }));
}

async function report(key: string): Promise<Record<string, any>> {
  const client = s3.client();
  return waitFor(async () => {
    try {
      const o = await client.send(new GetObjectCommand({ Bucket: 'drops', Key: `in/${key}.report.json` }));
      return JSON.parse(await o.Body!.transformToString()) as Record<string, any>;
    } catch {
      return null;
    }
  }, `report of ${key}`, 120_000);
}

async function members(c: ChildCollector, segment: string): Promise<string[]> {
  const r = await fetch(`${c.url}/admin/segments/${segment}/export?format=csv`, { headers: auth });
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]!);
}

beforeAll(async () => {
  op = await startTestOperator();
  redis = await startRedis();
  s3 = await startS3('drops');
  dir = tempDir('collector-fleet-');
  acme = await sender(op, SITES.acme);
  for (const name of ['a', 'b']) {
    const c = await spawnCollector(['--config', writeConfig(dir, config(name), `${name}.json`)], { env: S3_ENV });
    await waitReady(c.url);
    fleet.push(c);
  }
}, 60_000);

afterAll(async () => {
  await killStarted();
  await s3?.close();
  await redis?.stop();
  await op?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two collectors, one Redis, one bucket', () => {
  it('each dropped object is ingested by exactly one collector', async () => {
    const all: string[] = [];
    for (let i = 0; i < 6; i++) {
      const t = tokens(1000);
      all.push(...t.uids);
      await put(`${SITES.acme}/acme-vip-fleet/part-${i}.csv.gz`, gzipSync(csvFile(t.tokens)));
    }
    const reports = await Promise.all(Array.from({ length: 6 }, (_, i) => report(`${SITES.acme}/acme-vip-fleet/part-${i}.csv.gz`)));
    for (const r of reports) expect(r).toMatchObject({ status: 'done', lines: 1000, written: 1000 });
    const done = await Promise.all(fleet.map((c) => counter(c, 'collector_drop_files_total', { result: 'done' })));
    expect(done[0]! + done[1]!).toBe(6);
    const got = await members(fleet[0]!, 'acme-vip-fleet');
    expect(got.length).toBe(6000);
    expect(new Set(got)).toEqual(new Set(all));
  }, 180_000);

  it('an Idempotency-Key used on one collector is honoured by the other', async () => {
    const t = tokens(3);
    const body = JSON.stringify({ tokens: t.tokens });
    const post = (c: ChildCollector) =>
      fetch(`${c.url}/share/v1/segments/acme-vip-fleet-api/tokens`, {
        method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'idempotency-key': 'fleet-1' }, body,
      });
    const first = await post(fleet[0]!);
    const second = await post(fleet[1]!);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(await counter(fleet[1]!, 'collector_bulk_items_total', { route: 'api' })).toBe(0);
  });

  it('a collector killed -9 mid-file: the other takes the object over and every line counts once', async () => {
    const t = tokens(20_000);
    const keyName = `${SITES.acme}/acme-vip-takeover/big.csv`;
    const before = await Promise.all(fleet.map((c) => counter(c, 'collector_bulk_items_total', { route: 'file' })));
    await put(keyName, csvFile(t.tokens));
    // Whoever claimed it shows progress first; kill that one mid-file.
    const busy = await waitFor(async () => {
      const now = await Promise.all(fleet.map((c) => counter(c, 'collector_bulk_items_total', { route: 'file' })));
      const i = now.findIndex((n, k) => n - before[k]! >= 2000);
      return i === -1 ? null : { i };
    }, 'progress on the big file', 120_000, );
    const victim = fleet[busy.i]!;
    const survivor = fleet[1 - busy.i]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const r = await report(keyName);
    expect(r).toMatchObject({ status: 'done', lines: 20_000, written: 20_000 });
    expect(await counter(survivor, 'collector_drop_files_total', { result: 'done' })).toBeGreaterThan(0);
    const got = await members(survivor, 'acme-vip-takeover');
    expect(got.length).toBe(20_000);
    expect(new Set(got)).toEqual(new Set(t.uids));
  }, 240_000);
});
