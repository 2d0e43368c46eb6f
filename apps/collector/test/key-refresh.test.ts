// POST /admin/keys/refresh against the real operator: a revocation made through the operator's admin
// API takes effect in the collector as soon as the refresh answers (the sender's pixels stop being
// written, NotAuthorizedForKey), a grant + refresh restores them; 401 without the admin token; 502
// with the operator gone, the last good keys still decrypting. Then the same in cluster mode (two
// workers, the real `collector` process), where every worker must have refreshed, not just the one
// that took the admin request.
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { waitDecided } from './helpers/http.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { captureLogs, type CapturedLogs } from './helpers/logs.ts';
import { killStarted, spawnCollector, waitReady, writeConfig } from './helpers/child.ts';
import { acmeSharesWithCollector, ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';

async function refresh(url: string, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const r = await fetch(`${url}/admin/keys/refresh`, { method: 'POST', headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

/** A sum over the lines of one Prometheus metric whose labels include `labels`. */
async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (want.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** One pixel on a connection of its own, so in cluster mode successive pixels reach different workers. */
function pixelOnNewConnection(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/pixel/conversion?${new URLSearchParams({ uid2_token: token })}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sendPixels(url: string, acme: SharingClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect(await pixelOnNewConnection(url, encryptFor(acme, makeRawUid()))).toBe(200);
}

describe('POST /admin/keys/refresh (single process)', () => {
  let op: TestOperator;
  let collector: RunningCollector;
  let logs: CapturedLogs;
  let dir: string;
  let acme: SharingClient;
  // Only Acme sends here. (A token whose site key we lack is counted under the site that key belonged to.)
  const count = (status: string) => metric(collector.url, 'collector_decrypt_total', { status });
  // New UID2s are decided off the answer path: count once none is left undecided.
  const written = async () => {
    await waitDecided(collector.url, ADMIN_TOKEN);
    return metric(collector.url, 'collector_events_written_total', { segment: 'acme-converters' });
  };

  beforeAll(async () => {
    op = await startTestOperator();
    dir = tempDir();
    logs = captureLogs('debug');
    collector = await startCollector({ config: collectorConfig(op, `${dir}/data`), logger: logs.logger });
    acme = await sender(op, SITES.acme);
    await untilSharingReady(collector);
  }, 30_000);

  afterAll(async () => {
    await collector?.close();
    await op?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without the admin token or with a wrong one, and refreshes nothing', async () => {
    const before = collector.sharing!.lastRefresh;
    for (const token of [null, 'wrong-token', `${ADMIN_TOKEN}x`]) {
      const r = await refresh(collector.url, token);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'unauthorized' });
    }
    expect(collector.sharing!.lastRefresh).toBe(before);
  });

  it('a revocation in the operator takes effect at the refresh; a grant + refresh restores it', async () => {
    await sendPixels(collector.url, acme, 2);
    expect(await count('Success')).toBe(2);
    expect(await written()).toBe(2);

    await acmeSharesWithCollector(op, 'revoke');
    // Not yet: the collector still holds Acme's keys until it refreshes.
    await sendPixels(collector.url, acme, 1);
    expect(await written()).toBe(3);

    const before = Date.now();
    const r = await refresh(collector.url);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['keyCount', 'refreshedAt']);
    expect(r.body.keyCount).toBe(collector.sharing!.keyRing!.size);
    expect(Date.parse(r.body.refreshedAt as string)).toBeGreaterThanOrEqual(before - 1);
    expect(r.body.refreshedAt).toBe(new Date(collector.sharing!.lastRefresh!).toISOString());

    await sendPixels(collector.url, acme, 3);
    expect(await count('NotAuthorizedForKey')).toBe(3);
    expect(await written()).toBe(3);

    await acmeSharesWithCollector(op, 'grant');
    expect((await refresh(collector.url)).status).toBe(200);
    await sendPixels(collector.url, acme, 2);
    expect(await count('Success')).toBe(5);
    expect(await count('NotAuthorizedForKey')).toBe(3);
    expect(await written()).toBe(5);
  }, 30_000);

  it('answers 502 with the operator down, without details, and keeps the last good keys', async () => {
    const keysBefore = collector.sharing!.keyRing;
    const successBefore = await count('Success');
    await op.stop();
    try {
      const r = await refresh(collector.url);
      expect(r.status).toBe(502);
      expect(r.body).toEqual({ error: 'operator unavailable' });
      expect(r.text).not.toContain(String(op.port));
      expect(collector.sharing!.keyRing).toBe(keysBefore);
      expect((await fetch(`${collector.url}/readyz`)).status).toBe(200);
      // The old keys still decrypt (the UID2 is held until opt-out can be checked, as with any outage).
      await sendPixels(collector.url, acme, 1);
      expect(await count('Success')).toBe(successBefore + 1);
      expect(await metric(collector.url, 'collector_key_refreshes_total', { result: 'failed' })).toBeGreaterThanOrEqual(1);
    } finally {
      await op.restart();
    }
    expect((await refresh(collector.url)).status).toBe(200);
    // No secret of the collector in any log line of the failed refresh.
    const lumen = op.fixture.participants.find((p) => p.siteId === SITES.lumen)!;
    for (const line of logs.lines) {
      expect(line).not.toContain(lumen.secret);
      expect(line).not.toContain(lumen.apiKey);
      expect(line).not.toContain(ADMIN_TOKEN);
    }
  }, 30_000);
});

describe('POST /admin/keys/refresh (cluster mode, 2 workers)', () => {
  let op: TestOperator;
  let dir: string;

  afterAll(async () => {
    await killStarted();
    await op?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refreshes every worker, not only the one that took the request', async () => {
    op = await startTestOperator();
    dir = tempDir();
    const config = writeConfig(dir, collectorConfig(op, `${dir}/data`, { workers: 2, logLevel: 'warn' }));
    const c = await spawnCollector(['--config', config], { expectListening: 2 });
    await waitReady(c.url);
    const acme = await sender(op, SITES.acme);
    const count = (status: string) => metric(c.url, 'collector_decrypt_total', { status });

    expect((await refresh(c.url, null)).status).toBe(401);
    const first = await refresh(c.url);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ workers: 2, keyCount: expect.any(Number), refreshedAt: expect.any(String) });

    // Each pixel on a new connection: the workers take turns, so both are exercised.
    await sendPixels(c.url, acme, 6);
    expect(await count('Success')).toBe(6);

    await acmeSharesWithCollector(op, 'revoke');
    expect((await refresh(c.url)).status).toBe(200);
    await sendPixels(c.url, acme, 6);
    // Had only the worker that answered the refresh dropped Acme's keys, about half would succeed.
    expect(await count('NotAuthorizedForKey')).toBe(6);
    expect(await count('Success')).toBe(6);

    await acmeSharesWithCollector(op, 'grant');
    expect((await refresh(c.url)).status).toBe(200);
    await sendPixels(c.url, acme, 6);
    expect(await count('Success')).toBe(12);

    await op.stop();
    const down = await refresh(c.url);
    expect(down.status).toBe(502);
    expect(down.body).toEqual({ error: 'operator unavailable' });
    await sendPixels(c.url, acme, 4);
    expect(await count('Success')).toBe(16);
    for (const line of c.lines) expect(line).not.toContain(ADMIN_TOKEN);
  }, 60_000);
});
