// The operator down and back, against the real local operator and the real collector:
// no keys at start (not ready, pixels answered the same), keys kept while it is down, new UID2s held
// durably until opt-out can be checked, then admitted (or dropped if opted out); and keys that ran out
// (KeysNotSynced).
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { TRANSPARENT_GIF } from '../src/pixel/response.ts';
import { captureLogs } from './helpers/logs.ts';
import { adminJson, pixelUrl, see } from './helpers/http.ts';
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
  it('starts without an operator: not ready, pixels answered the same (NotInitialized); ready once it is back', async () => {
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
    expect(r.status).toBe(200);
    expect(r.body.equals(TRANSPARENT_GIF)).toBe(true);
    expect(await decryptCount(c, 'NotInitialized')).toBe(1);

    await op.restart();
    await until(async () => (await fetch(`${c.url}/readyz`)).status === 200, 'ready after the operator came back');
    await see(pixelUrl(c.url, 'conversion', { uid2_token: t }));
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
    expect(await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)).toMatchObject({ segments: [], held: 2 });

    await op.restart();
    await until(async () => ((await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)) as { held: number }).held === 0, 'held events resolved');
    const r = await fetch(`${c.url}/admin/segments/acme-converters/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const uids = (await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid);
    expect(uids).toEqual([stay]);
    const text = await c.metrics.registry.metrics();
    expect(text).toMatch(/collector_pixel_outcomes_total\{outcome="held",sender="101"\} 2/);
  }, 30_000);

  it('once every key it holds has expired, tokens fail with KeysNotSynced (answered the same)', async () => {
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
    expect(r.status).toBe(200);
    expect(r.body.equals(TRANSPARENT_GIF)).toBe(true);
    expect(await decryptCount(c, 'KeysNotSynced')).toBe(1);
  }, 30_000);
});
