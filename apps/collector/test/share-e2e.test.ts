// End to end with real parts only: the real operator, the real collector process (bin/collector.mjs)
// with the file store, the real `uid2 share api` / `uid2 share file` commands, and a real S3-compatible
// server (s3rver) on a loopback port. A sender's 100,000 raw UID2s (plus a few users who opted out)
// must end up as exactly those members of the segment in the export, whatever breaks on the way:
//   - share api,  with the collector killed (-9) mid-run and restarted: the CLI retries, nothing lost,
//     nothing counted twice;
//   - share file into the drop directory, with the collector killed (-9) mid-file: the next process
//     resumes from the ledger's checkpoint and the report counts every line once;
//   - share file into S3, with the S3 server down when the collector starts, and stopped mid-file and
//     started again.
// A sender that holds a key but no sharing permission gets nothing into any segment.
// E2E_UIDS sets the number of raw UID2s (default 100000).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorConfig } from '../src/config.ts';
import { issueSenderKey } from '../src/share/sender-keys.ts';
import { killStarted, spawnCollector, waitReady, writeConfig, type ChildCollector } from './helpers/child.ts';
import { waitFor } from './helpers/drops.ts';
import { freePort } from './helpers/ports.ts';
import { S3_ENV, startS3, type S3Handle } from './helpers/s3.ts';
import { ADMIN_TOKEN, collectorConfig, makeRawUid, optOutUser, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';
import { scrapedTotal } from './helpers/http.ts';

const N = Number(process.env.E2E_UIDS ?? 100_000);
const UID2_BIN = fileURLToPath(new URL('../../../packages/uid2/bin/uid2.mjs', import.meta.url));

let op: TestOperator;
let dir: string;
let port: number;
let collector: ChildCollector | null = null;
let s3: S3Handle;
let uidsFile: string;
let uids: string[];
let optedOut: string[];
const acmeKey = issueSenderKey(SITES.acme);
const rivalKey = issueSenderKey(SITES.rival);
const children = new Set<ChildProcess>();

function config(drops: Partial<CollectorConfig['drops']>): CollectorConfig {
  const base = collectorConfig(op, join(dir, 'data'), { port });
  return {
    ...base,
    senders: [
      ...base.senders.map((s) => (s.siteId === SITES.acme ? { ...s, keyHashes: [acmeKey.hash] } : s)),
      // Rival Retail holds a sender key, but shares no keys with this receiver in the portal.
      { siteId: SITES.rival, name: 'Rival Retail', segments: ['rival-list'], keyHashes: [rivalKey.hash], maxSegmentsPerPattern: 100 },
    ],
    drops: { ...base.drops, pollMs: 200, chunkLines: 2000, claimTtlMs: 5000, ...drops },
  } as CollectorConfig;
}

async function startCollectorProcess(c: CollectorConfig): Promise<void> {
  const path = writeConfig(dir, c);
  collector = await spawnCollector(['--config', path], { env: S3_ENV });
  await waitReady(collector.url);
}

async function kill9(): Promise<void> {
  const c = collector!;
  c.child.kill('SIGKILL');
  await c.exited;
}

async function stopCollector(): Promise<void> {
  if (!collector) return;
  collector.child.kill('SIGTERM');
  await collector.exited;
  collector = null;
}

const url = () => `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

const counter = (name: string, labels: Record<string, string>) => scrapedTotal(url(), ADMIN_TOKEN, name, labels);

async function exportedUids(segment: string): Promise<string[]> {
  const r = await fetch(`${url()}/admin/segments/${segment}/export?format=csv`, { headers: auth });
  if (r.status === 404) {
    // A segment nobody has written is unknown to the collector: no members.
    expect(((await r.json()) as { error?: string }).error).toBe('unknown_segment');
    return [];
  }
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]!);
}

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; summary: Record<string, any>; stderr: string }>;
}

function uid2(args: string[], env: Record<string, string> = {}): CliRun {
  const creds = op.credentials(SITES.acme);
  const child = spawn(process.execPath, [UID2_BIN, ...args], {
    env: { ...process.env, UID2_BASE_URL: creds.baseUrl, UID2_API_KEY: creds.apiKey, UID2_SECRET: creds.secret, ...S3_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; summary: Record<string, any>; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      let summary: Record<string, any> = {};
      try {
        summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, any>;
      } catch {
        summary = { unparsed: out };
      }
      resolve({ code, summary, stderr: err });
    }),
  );
  return { child, done };
}

/** Held events (their opt-out check timed out under load) are decided by the resolver; wait for it. */
async function heldDecided(): Promise<void> {
  await waitFor(async () => {
    const r = await fetch(`${url()}/admin/segments`, { headers: auth });
    return r.status === 200 && ((await r.json()) as { held: number }).held === 0;
  }, 'held events decided', 120_000);
}

function expectExactly(members: string[]): void {
  expect(members.length).toBe(N);
  const got = new Set(members);
  expect(got.size).toBe(N);
  for (const u of uids) if (!got.has(u)) throw new Error('a raw UID2 of the input is missing from the export');
  for (const u of optedOut) expect(got.has(u)).toBe(false);
}

beforeAll(async () => {
  op = await startTestOperator();
  dir = tempDir('collector-e2e-');
  port = await freePort();
  s3 = await startS3('drops');
  optedOut = await Promise.all([1, 2, 3].map((i) => optOutUser(op, `e2e-optout-${i}-${Date.now()}@example.com`)));
  uids = Array.from({ length: N }, () => makeRawUid());
  uidsFile = join(dir, 'raw-uids.txt');
  // The opted-out users are spread through the input.
  const lines = [...uids];
  optedOut.forEach((u, i) => lines.splice(Math.floor(((i + 1) * N) / 4), 0, u));
  writeFileSync(uidsFile, lines.join('\n') + '\n', { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await killStarted();
  await s3?.close();
  await op?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`${N} raw UID2s end to end`, () => {
  it('uid2 share api, the collector killed -9 mid-run and restarted: exactly those members, opt-outs removed', async () => {
    await startCollectorProcess(config({ source: 'off' }));
    const run = uid2(['share', 'api', '--to', url(), '--segment', 'acme-vip-api', '--parallel', '3', '--quiet', uidsFile], { UID2_SENDER_KEY: acmeKey.key });
    await waitFor(async () => (await counter('collector_bulk_items_total', { route: 'api' })) >= N / 5, 'a fifth of the batches', 120_000);
    await kill9();
    await startCollectorProcess(config({ source: 'off' }));
    const { code, summary } = await run.done;
    expect(summary).toMatchObject({ command: 'share api', read: N + 3, notEncrypted: 0, delivered: N + 3, undelivered: 0 });
    // Under load an opt-out check can time out: those items are held (durable) and decided later.
    expect(summary.written + summary.held + summary.rejected.opted_out).toBe(N + 3);
    expect(summary.rejected).toMatchObject({ invalid: 0, expired: 0, not_authorised: 0 });
    expect(summary.retries).toBeGreaterThan(0);
    expect(code).toBe(0);
    await heldDecided();
    expectExactly(await exportedUids('acme-vip-api'));
  }, 300_000);

  it('a sender with a key but no sharing permission gets nothing in', async () => {
    const some = join(dir, 'some.txt');
    writeFileSync(some, uids.slice(0, 50).join('\n') + '\n');
    const creds = op.credentials(SITES.rival);
    const { code, summary } = await uid2(['share', 'api', '--to', url(), '--segment', 'rival-list', '--quiet', some], {
      UID2_SENDER_KEY: rivalKey.key, UID2_API_KEY: creds.apiKey, UID2_SECRET: creds.secret,
    }).done;
    expect(code).toBe(0); // delivered; the receiver rejected every token
    expect(summary).toMatchObject({ delivered: 50, written: 0, rejected: { not_authorised: 50 } });
    expect(await exportedUids('rival-list')).toEqual([]);
    // And a wrong sender key: refused, exit 1, nothing written.
    const wrong = await uid2(['share', 'api', '--to', url(), '--segment', 'acme-vip-wrong', '--quiet', some], { UID2_SENDER_KEY: issueSenderKey(SITES.acme).key }).done;
    expect(wrong.code).toBe(1);
    expect(wrong.summary).toMatchObject({ delivered: 0, undelivered: 50 });
    expect(wrong.summary.error).toMatch(/HTTP 401/);
    expect(await exportedUids('acme-vip-wrong')).toEqual([]);
    await stopCollector();
  }, 120_000);

  it('uid2 share file into the drop directory, the collector killed -9 mid-file: resumed, every line counted once', async () => {
    const drops = join(dir, 'drops');
    const put = await uid2(['share', 'file', '--to', join(drops, String(SITES.acme)), '--segment', 'acme-vip-dir', '--name', 'day-1', '--quiet', uidsFile]).done;
    expect(put.code).toBe(0);
    expect(put.summary).toMatchObject({ command: 'share file', read: N + 3, delivered: N + 3, undelivered: 0, files: ['acme-vip-dir/day-1-00001.csv.gz'] });
    await startCollectorProcess(config({ source: 'dir', dir: drops }));
    await waitFor(async () => (await counter('collector_bulk_items_total', { route: 'file' })) >= N / 5, 'a fifth of the file', 120_000);
    await kill9();
    await startCollectorProcess(config({ source: 'dir', dir: drops }));
    const reportPath = join(drops, String(SITES.acme), 'acme-vip-dir', 'day-1-00001.csv.gz.report.json');
    const report = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, any>;
      } catch {
        return null;
      }
    }, 'the report', 480_000);
    expect(report).toMatchObject({ status: 'done', lines: N + 3, rejected: { invalid: 0, expired: 0, not_authorised: 0 } });
    expect(report.written + report.held + report.rejected.opted_out).toBe(N + 3);
    // The second process resumed from the checkpoint instead of starting over.
    expect(await counter('collector_bulk_items_total', { route: 'file', outcome: 'written' })).toBeLessThan(N);
    await heldDecided();
    expectExactly(await exportedUids('acme-vip-dir'));
    await stopCollector();
  }, 600_000);

  it('uid2 share file into S3, the S3 server stopped mid-file and started again: resumed, exactly once', async () => {
    const put = await uid2([
      'share', 'file', '--to', `s3://drops/${SITES.acme}`, '--endpoint', s3.endpoint, '--path-style', '--segment', 'acme-vip-s3', '--name', 'day-1', '--quiet', uidsFile,
    ]).done;
    expect(put.code).toBe(0);
    expect(put.summary).toMatchObject({ delivered: N + 3, undelivered: 0 });
    // S3 down when the collector starts: listing fails, and it keeps trying.
    await s3.stop();
    await startCollectorProcess(config({ source: 's3', s3: { bucket: 'drops', prefix: '', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true }, chunkLines: 1000 }));
    await waitFor(() => collector!.lines.some((l) => l.includes('drop source cannot be listed')), 'the listing failure', 60_000);
    await s3.restart();
    // And down again mid-file: an interrupted read resumes from the checkpoint (if the object was
    // already read to its end by then, the stop is harmless; the counts below hold either way).
    await waitFor(async () => (await counter('collector_bulk_items_total', { route: 'file' })) >= N / 10, 'a tenth of the object', 120_000);
    await s3.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await s3.restart();
    const client = s3.client();
    const report = await waitFor(async () => {
      try {
        const o = await client.send(new GetObjectCommand({ Bucket: 'drops', Key: `${SITES.acme}/acme-vip-s3/day-1-00001.csv.gz.report.json` }));
        return JSON.parse(await o.Body!.transformToString()) as Record<string, any>;
      } catch {
        return null;
      }
    }, 'the report in S3', 480_000);
    expect(report).toMatchObject({ status: 'done', lines: N + 3 });
    expect(report.written + report.held + report.rejected.opted_out).toBe(N + 3);
    await heldDecided();
    expectExactly(await exportedUids('acme-vip-s3'));
    await stopCollector();
  }, 600_000);
});
