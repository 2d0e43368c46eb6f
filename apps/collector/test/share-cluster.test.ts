// The bulk API in cluster mode with the file store (`collector --workers 2`): the primary owns the one
// Idempotency-Key log and the workers ask it over IPC, so a batch retried many times, each retry on a
// new connection (the primary hands connections to the workers in turn), counts once whichever worker
// answers, and every retry gets the first answer back.
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { issueSenderKey } from '../src/share/sender-keys.ts';
import { killStarted, spawnCollector, waitReady, writeConfig, type ChildCollector } from './helpers/child.ts';
import { scrapedTotal } from './helpers/http.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

let op: TestOperator;
let dir: string;
let acme: SharingClient;
let collector: ChildCollector;
const key = issueSenderKey(SITES.acme);

/** One POST on a connection of its own (no keep-alive), so that successive retries reach different workers. */
function post(segment: string, body: string, idempotencyKey: string): Promise<{ status: number; replayed: boolean; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${collector.url}/share/v1/segments/${segment}/tokens`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey, connection: 'close' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, replayed: res.headers['idempotent-replayed'] === 'true', json: JSON.parse(Buffer.concat(chunks).toString()) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const written = () => scrapedTotal(collector.url, ADMIN_TOKEN, 'collector_bulk_items_total', { route: 'api', outcome: 'written' });

beforeAll(async () => {
  op = await startTestOperator();
  dir = tempDir('collector-share-cluster-');
  acme = await sender(op, SITES.acme);
  const base = collectorConfig(op, `${dir}/data`, { workers: 2, logLevel: 'warn' });
  const config = { ...base, senders: base.senders.map((s) => (s.siteId === SITES.acme ? { ...s, keyHashes: [key.hash] } : s)) };
  collector = await spawnCollector(['--config', writeConfig(dir, config)], { expectListening: 2 });
  await waitReady(collector.url);
}, 60_000);

afterAll(async () => {
  await killStarted();
  await op?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bulk API, two workers, file store', () => {
  it('a batch retried 30 times with one Idempotency-Key counts once, whichever worker answers', async () => {
    const tokens = Array.from({ length: 50 }, () => encryptFor(acme, makeRawUid()));
    const body = JSON.stringify({ tokens });
    const first = await post('acme-vip-cluster', body, 'retry-me');
    expect(first.status).toBe(200);
    expect(first.replayed).toBe(false);
    expect(first.json).toMatchObject({ received: 50, written: 50, held: 0, rejected: [] });

    // Retries one after another, then a burst at once, each on a new connection.
    const retries = [];
    for (let i = 0; i < 20; i++) retries.push(await post('acme-vip-cluster', body, 'retry-me'));
    retries.push(...(await Promise.all(Array.from({ length: 10 }, () => post('acme-vip-cluster', body, 'retry-me')))));
    for (const r of retries) {
      expect(r.status).toBe(200);
      expect(r.replayed).toBe(true);
      expect(r.json).toEqual(first.json);
    }
    expect(await written()).toBe(50);

    // The same key for a different batch is refused on either worker, and a new key counts anew.
    for (let i = 0; i < 4; i++) expect((await post('acme-vip-cluster', JSON.stringify({ tokens: tokens.slice(1) }), 'retry-me')).status).toBe(422);
    expect((await post('acme-vip-cluster', body, 'another-key')).status).toBe(200);
    expect(await written()).toBe(100);
  }, 120_000);
});
