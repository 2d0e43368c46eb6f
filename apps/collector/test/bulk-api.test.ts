// The bulk API over HTTP against the real local operator and the real file store: a sender's batch
// (JSON, NDJSON, gzip) lands in the segment through the same intake as pixels; every rejected item is
// reported by index with a coarse reason; sender keys, Idempotency-Key, size and rate limits; metrics,
// export and the status data show the route; no token or raw UID2 in any log line.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAdvertisingToken, type SharingClient } from '@uid2-pixels/uid2';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { hashSenderKey, issueSenderKey, SenderKeys } from '../src/share/sender-keys.ts';
import { COLLECTOR_BIN } from './helpers/child.ts';
import { captureLogs, type CapturedLogs } from './helpers/logs.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';
import { exportedMembers, sumSeries } from './helpers/http.ts';

let op: TestOperator;
let collector: RunningCollector;
let logs: CapturedLogs;
let dataDir: string;
let acme: SharingClient;
let bidwell: SharingClient;
let rival: SharingClient;
const acmeKey = issueSenderKey(SITES.acme);
const acmeKey2 = issueSenderKey(SITES.acme);
const bidwellKey = issueSenderKey(SITES.bidwell);
const secrets: string[] = [acmeKey.key, acmeKey2.key, bidwellKey.key];

const tokenOf = (client: SharingClient, uid = makeRawUid()) => {
  const t = encryptFor(client, uid);
  secrets.push(t, uid);
  return { token: t, uid };
};

async function post(segment: string, body: string | Buffer, headers: Record<string, string> = {}, key = acmeKey.key): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await fetch(`${collector.url}/share/v1/segments/${segment}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
}

const exported = (segment: string) => exportedMembers(collector.url, ADMIN_TOKEN, segment);

async function metricsText(): Promise<string> {
  return (await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
}

const metric = sumSeries;

beforeAll(async () => {
  op = await startTestOperator();
  dataDir = tempDir();
  logs = captureLogs('debug');
  const base = collectorConfig(op, dataDir, { logLevel: 'debug' });
  const config = {
    ...base,
    senders: base.senders.map((s) => ({ ...s, keyHashes: s.siteId === SITES.acme ? [acmeKey.hash, acmeKey2.hash] : [bidwellKey.hash] })),
    bulk: { ...base.bulk, maxTokens: 100, tokensPerSecond: 5, burstTokens: 250 },
  };
  collector = await startCollector({ config, logger: logs.logger });
  [acme, bidwell, rival] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell), sender(op, SITES.rival)]);
  await untilSharingReady(collector);
}, 30_000);

afterAll(async () => {
  await collector?.close();
  await op?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sender keys', () => {
  it('are stored as hashes only and matched in constant time; either of two keys of a sender works', () => {
    const keys = new SenderKeys([{ siteId: 7, keyHashes: [acmeKey.hash, acmeKey2.hash] }]);
    expect(acmeKey.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(acmeKey.hash).not.toContain(acmeKey.key.slice(-20));
    expect(keys.senderOf(acmeKey.key)).toBe(7);
    expect(keys.senderOf(acmeKey2.key)).toBe(7);
    expect(keys.senderOf(bidwellKey.key)).toBeNull();
    expect(keys.senderOf('')).toBeNull();
    expect(keys.senderOf(undefined)).toBeNull();
  });

  it('collector sender-key prints a fresh key and its hash (exit 0), and needs --sender (exit 2)', () => {
    const r = spawnSync(process.execPath, [COLLECTOR_BIN, 'sender-key', '--sender', '101'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const issued = JSON.parse(r.stdout) as { senderSiteId: number; key: string; hash: string };
    expect(issued.senderSiteId).toBe(101);
    expect(issued.key).toMatch(/^u2sk_101_[A-Za-z0-9_-]{43}$/);
    expect(issued.hash).toBe(hashSenderKey(issued.key));
    expect(r.stderr).toContain('keyHashes');
    expect(spawnSync(process.execPath, [COLLECTOR_BIN, 'sender-key'], { encoding: 'utf8' }).status).toBe(2);
  });

  it('a wrong or missing key is 401 and writes nothing; the second key of a sender also works', async () => {
    const t = tokenOf(acme);
    const wrong = await post('acme-converters', JSON.stringify({ tokens: [t.token] }), {}, issueSenderKey(SITES.acme).key);
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'unauthorized' });
    const none = await fetch(`${collector.url}/share/v1/segments/acme-converters/tokens`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect((await exported('acme-converters')).map((m) => m.uid)).not.toContain(t.uid);
    const second = await post('acme-converters', JSON.stringify({ tokens: [t.token] }), {}, acmeKey2.key);
    expect(second.status).toBe(200);
    expect(second.json.written).toBe(1);
  });

  it('a segment the sender is not granted is 403', async () => {
    const r = await post('bidwell-impressions', JSON.stringify({ tokens: [tokenOf(acme).token] }));
    expect(r.status).toBe(403);
    expect(r.json.error).toBe('segment_not_granted');
  });
});

describe('a batch', () => {
  it('is written through the intake: counts, and every rejected item by index with a coarse reason', async () => {
    const good = [tokenOf(acme), tokenOf(acme), tokenOf(acme)];
    const optedOutUid = await optOutUser(op, `bulk-out-${Date.now()}@example.com`);
    const optedOut = tokenOf(acme, optedOutUid);
    const replayed = tokenOf(bidwell); // Bidwell's valid token, delivered with Acme's key
    const noPermission = tokenOf(rival);
    const now = Date.now();
    const ring = acme.keyRing!;
    const expired = encodeAdvertisingToken(
      { identityScope: 'UID2', identityType: 'Email', siteId: SITES.acme, privacyBits: 0, established: now - 7_200_000, refreshed: now - 7_200_000, created: now - 7_200_000, expires: now - 60_000, rawUid: makeRawUid() },
      ring.activeKey(ring.masterKeysetId!, now)!, ring.activeKey(ring.defaultKeysetId!, now)!,
    );
    secrets.push(expired);
    const tokens = [good[0]!.token, 'not a token!', optedOut.token, good[1]!.token, replayed.token, expired, noPermission.token, 42, good[2]!.token];
    const r = await post('acme-vip-bulk', JSON.stringify({ tokens }));
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(r.json).toEqual({
      received: 9,
      written: 3,
      held: 0,
      rejected: [
        { index: 1, reason: 'invalid' },
        { index: 2, reason: 'opted_out' },
        { index: 4, reason: 'not_authorised' },
        { index: 5, reason: 'expired' },
        { index: 6, reason: 'not_authorised' },
        { index: 7, reason: 'invalid' },
      ],
    });
    const members = await exported('acme-vip-bulk');
    expect(members.map((m) => m.uid).sort()).toEqual(good.map((g) => g.uid).sort());
    expect(members[0]).toMatchObject({ segment: 'acme-vip-bulk', senderSiteId: SITES.acme, lastKind: 'api' });
  });

  it('NDJSON, gzipped, is accepted; a malformed line is an invalid item at its index', async () => {
    const a = tokenOf(acme);
    const b = tokenOf(acme);
    const body = gzipSync(`{"token":"${a.token}"}\n{"tok":1}\n\n{"token":"${b.token}"}\n`);
    const r = await post('acme-vip-nd', body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ received: 3, written: 2, held: 0, rejected: [{ index: 1, reason: 'invalid' }] });
    expect((await exported('acme-vip-nd')).map((m) => m.uid).sort()).toEqual([a.uid, b.uid].sort());
  });

  it('bad bodies get a clear error and write nothing', async () => {
    const t = tokenOf(acme);
    expect((await post('acme-vip-bad', '{"tokens": [')).json).toMatchObject({ error: 'bad_json' });
    expect((await post('acme-vip-bad', '{"token": "x"}')).status).toBe(400);
    expect((await post('acme-vip-bad', JSON.stringify({ tokens: Array(101).fill(t.token) }))).status).toBe(413);
    expect((await post('acme-vip-bad', JSON.stringify({ tokens: [t.token] }), { 'content-type': 'text/plain' })).status).toBe(415);
    const truncated = gzipSync(JSON.stringify({ tokens: [t.token] })).subarray(0, 20);
    expect((await post('acme-vip-bad', truncated, { 'content-encoding': 'gzip' })).json).toMatchObject({ error: 'bad_body' });
    expect((await post('acme-vip-bad', gzipSync(Buffer.alloc(10 * 1024 * 1024, 32)), { 'content-encoding': 'gzip' })).status).toBe(413);
    expect(await exported('acme-vip-bad')).toEqual([]);
  });
});

describe('Idempotency-Key', () => {
  it('a retried batch counts once and gets the first answer back; the key cannot be reused for another batch', async () => {
    const a = tokenOf(acme);
    const body = JSON.stringify({ tokens: [a.token, 'junk'] });
    const before = metric(await metricsText(), 'collector_bulk_items_total', { route: 'api', outcome: 'written' });
    const first = await post('acme-vip-idem', body, { 'idempotency-key': 'batch-0001' });
    const retry = await post('acme-vip-idem', body, { 'idempotency-key': 'batch-0001' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const after = metric(await metricsText(), 'collector_bulk_items_total', { route: 'api', outcome: 'written' });
    expect(after - before).toBe(1);
    const reused = await post('acme-vip-idem', JSON.stringify({ tokens: [tokenOf(acme).token] }), { 'idempotency-key': 'batch-0001' });
    expect(reused.status).toBe(422);
    // Keys are per sender: Bidwell's batch with the same key is its own.
    const other = await post('bidwell-impressions', JSON.stringify({ tokens: [tokenOf(bidwell).token] }), { 'idempotency-key': 'batch-0001' }, bidwellKey.key);
    expect(other.status).toBe(200);
    expect(other.json.written).toBe(1);
    expect((await post('acme-vip-idem', body, { 'idempotency-key': 'has space' })).status).toBe(400);
  });
});

describe('limits', () => {
  it('a sender over its token rate gets 429 with Retry-After; another sender is not affected', async () => {
    const batch = JSON.stringify({ tokens: Array.from({ length: 100 }, () => tokenOf(acme).token) });
    let limited: Awaited<ReturnType<typeof post>> | null = null;
    for (let i = 0; i < 8 && !limited; i++) {
      const r = await post('acme-vip-rate', batch);
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited!.json.error).toBe('rate_limited');
    const b = await post('bidwell-impressions', JSON.stringify({ tokens: [tokenOf(bidwell).token] }), {}, bidwellKey.key);
    expect(b.status).toBe(200);
  });
});

describe('observability and privacy', () => {
  it('/metrics has bounded bulk series; the status data shows the route', async () => {
    const text = await metricsText();
    expect(metric(text, 'collector_bulk_items_total', { route: 'api', outcome: 'written' })).toBeGreaterThan(0);
    expect(metric(text, 'collector_bulk_items_total', { route: 'api', outcome: 'opted_out' })).toBe(1);
    expect(metric(text, 'collector_bulk_requests_total', { status: '401' })).toBe(2);
    expect(metric(text, 'collector_events_written_total', { kind: 'api' })).toBeGreaterThan(0);
    const outcomes = new Set(text.split('\n').filter((l) => l.startsWith('collector_bulk_items_total{')).map((l) => /outcome="([^"]+)"/.exec(l)![1]));
    for (const o of outcomes) expect(['written', 'held', 'invalid', 'expired', 'not_authorised', 'opted_out']).toContain(o);
    const status = (await (await fetch(`${collector.url}/status.json`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { bulk?: Record<string, Record<string, number>> };
    expect(status.bulk?.api?.written).toBeGreaterThan(0);
  });

  it('no token, raw UID2 or sender key reaches a log line', () => {
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
