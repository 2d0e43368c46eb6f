// The operator down and back, against the real local operator and the real collector:
// no keys at start (not ready, pixels refused), keys kept while it is down, new UID2s held
// durably until opt-out can be checked, then admitted (or dropped if opted out); and keys that ran out
// (KeysNotSynced). Until keys arrive (or once all expired) pixels are refused as retryable (503): nothing
// is answered as a success that could not be kept, including across kill -9 of the real process.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { captureLogs } from './helpers/logs.ts';
import { adminJson, pixelUrl, see, waitDecided } from './helpers/http.ts';
import { killStarted, spawnCollector, waitReady, writeConfig } from './helpers/child.ts';
import { runLoad } from './helpers/loadgen.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function decryptCount(c: RunningCollector, status: string): Promise<number> {
  const text = await c.metrics.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith('collector_decrypt_total{') && l.includes(`status="${status}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function start(op: TestOperator, overrides = {}): Promise<RunningCollector> {
  const dir = tempDir();
  const c = await startCollector({ config: collectorConfig(op, `${dir}/data`, overrides), logger: captureLogs('warn').logger });
  cleanup.push(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return c;
}

describe('operator down and back', () => {
  it('starts without an operator: not ready, pixels refused as retryable (503, NotInitialized); ready and written once it is back', async () => {
    const op = await startTestOperator();
    cleanup.push(() => op.close());
    const acme = await sender(op, SITES.acme);
    const t = encryptFor(acme, makeRawUid());
    await op.stop();

    const c = await start(op);
    const ready = await fetch(`${c.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reasons: ['sharing keys not loaded yet'] });
    const r = await see(pixelUrl(c.url, 'conversion', { uid2_token: t }));
    // Nothing can be decided without keys: the caller is told to come back, nothing is kept.
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.length).toBe(0);
    expect(await decryptCount(c, 'NotInitialized')).toBe(1);

    await op.restart();
    await until(async () => (await fetch(`${c.url}/readyz`)).status === 200, 'ready after the operator came back');
    expect((await see(pixelUrl(c.url, 'conversion', { uid2_token: t }))).status).toBe(200);
    expect(await decryptCount(c, 'Success')).toBe(1);
  }, 30_000);

  it('keeps its keys while the operator is down, holds new UID2s, and resolves them when it is back', async () => {
    const op = await startTestOperator();
    cleanup.push(() => op.close());
    const acme = await sender(op, SITES.acme);
    const c = await start(op);
    await until(() => c.sharing!.isReady, 'keys');
    const leaver = await optOutUser(op, 'left-during-outage@example.com');

    await op.stop();
    // Key refresh fails from now on; the last good keys stay in use.
    await c.sharing!.refreshKeys().catch(() => {});
    expect(c.sharing!.consecutiveFailures).toBeGreaterThan(0);
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);

    const stay = makeRawUid();
    const a = await see(pixelUrl(c.url, 'conversion', { uid2_token: encryptFor(acme, stay) }));
    const b = await see(pixelUrl(c.url, 'conversion', { uid2_token: encryptFor(acme, leaver) }));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(await decryptCount(c, 'Success')).toBe(2);
    // Durable, but in no segment until opt-out is known.
    expect(await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)).toEqual({ segments: [], held: 2 });

    await op.restart();
    await until(async () => ((await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)) as { held: number }).held === 0, 'held events resolved');
    const r = await fetch(`${c.url}/admin/segments/acme-converters/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const uids = (await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid);
    expect(uids).toEqual([stay]);
    const text = await c.metrics.registry.metrics();
    expect(text).toMatch(/collector_pixel_outcomes_total\{outcome="held"\} 2/);
  }, 30_000);

  it('once every key it holds has expired, tokens fail with KeysNotSynced: refused as retryable (503)', async () => {
    // An operator whose keys live 2.5 s: after it goes away, the collector's keys run out.
    const op = await startTestOperator({ rotationIntervalMs: 1000, keyLifetimeMs: 2500 });
    cleanup.push(() => op.close());
    const acme = await sender(op, SITES.acme);
    const c = await start(op);
    await until(() => c.sharing!.isReady, 'keys');
    const t = encryptFor(acme, makeRawUid());
    await op.stop();
    const lastExpiry = c.sharing!.keyRing!.latestExpiry;
    await new Promise((r) => setTimeout(r, Math.max(0, lastExpiry - Date.now()) + 100));
    const r = await see(pixelUrl(c.url, 'conversion', { uid2_token: t }));
    expect(r.status).toBe(503);
    expect(await decryptCount(c, 'KeysNotSynced')).toBe(1);
    const ready = await fetch(`${c.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['sharing keys all expired and the operator cannot be reached']);
  }, 30_000);
});

describe('the real collector process started with the operator down, kill -9 in that window', () => {
  afterAll(() => killStarted());

  it('answers 503 (never a success) until keys arrive, across kill -9; the same pixels sent again are all kept', async () => {
    const op = await startTestOperator();
    cleanup.push(() => op.close());
    const acme = await sender(op, SITES.acme);
    const work = Array.from({ length: 300 }, () => {
      const uid = makeRawUid();
      return { uid, path: `/pixel/conversion?uid2_token=${encodeURIComponent(encryptFor(acme, uid))}` };
    });
    await op.stop();
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = writeConfig(dir, collectorConfig(op, `${dir}/data`, { logLevel: 'warn' }));

    const send = async (port: number, stop?: Promise<unknown>) => {
      const statuses: Record<number, number> = {};
      await runLoad({
        host: '127.0.0.1', port, connections: 16, requests: work.length, durationMs: 30_000,
        path: (i) => work[i]!.path,
        onResponse: (_i, status) => void (statuses[status] = (statuses[status] ?? 0) + 1),
        ...(stop && { stop }),
      });
      return statuses;
    };

    // First process: no keys. Killed with -9 while pixels are coming in.
    const first = await spawnCollector(['--config', config]);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(503);
    let answers = 0;
    const killed = new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (answers >= 100) {
          clearInterval(t);
          first.child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    const statuses1: Record<number, number> = {};
    await runLoad({
      host: '127.0.0.1', port: first.port, connections: 16, requests: work.length, durationMs: 30_000, stop: killed,
      path: (i) => work[i]!.path,
      onResponse: (_i, status) => {
        answers++;
        statuses1[status] = (statuses1[status] ?? 0) + 1;
      },
    });
    await first.exited;
    expect(statuses1[503]).toBeGreaterThanOrEqual(100);
    expect(Object.keys(statuses1)).toEqual(['503']);

    // Second process, operator still down: the same.
    const second = await spawnCollector(['--config', config]);
    expect(await send(second.port)).toEqual({ 503: work.length });

    // The operator comes back: ready, and the pixels sent again (what a retrying caller does) are kept.
    await op.restart();
    await waitReady(second.url, 30_000);
    expect(await send(second.port)).toEqual({ 200: work.length });
    await waitDecided(second.url, ADMIN_TOKEN, 30_000);
    const r = await fetch(`${second.url}/admin/segments/acme-converters/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const present = new Set((await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid));
    expect(work.filter((w) => !present.has(w.uid))).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);
});
