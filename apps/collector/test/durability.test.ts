// Durability of the real `collector` process: under load, kill -9, restart, and every pixel that was
// answered 200/204 must be in its segment. SIGTERM drains (answers what it has received) and exits 0.
// Also the same for the cluster mode (two workers, the primary owning the file store).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { waitDecided } from './helpers/http.ts';
import { runLoad } from './helpers/loadgen.ts';
import { startRedis, type RedisHandle } from './helpers/redis.ts';
import { killStarted, spawnCollector, waitReady, writeConfig } from './helpers/child.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

let op: TestOperator;
let acme: SharingClient;
let redis: RedisHandle;
const dirs: string[] = [];

beforeAll(async () => {
  [op, redis] = await Promise.all([startTestOperator(), startRedis()]);
  acme = await sender(op, SITES.acme);
}, 30_000);

afterAll(async () => {
  await killStarted();
  await Promise.all([op?.close(), redis?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Distinct raw UID2s and their tokens: one per request, so each answer is checked individually. */
function tokens(n: number): Array<{ uid: string; path: string }> {
  return Array.from({ length: n }, () => {
    const uid = makeRawUid();
    return { uid, path: `/pixel/conversion?uid2_token=${encodeURIComponent(encryptFor(acme, uid))}` };
  });
}

async function exportedUids(url: string, segment = 'acme-converters'): Promise<Set<string>> {
  await waitDecided(url, ADMIN_TOKEN);
  const r = await fetch(`${url}/admin/segments/${segment}/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(r.status).toBe(200);
  return new Set((await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid));
}

describe.each([
  { mode: 'single process', workers: 1, redis: false },
  { mode: 'cluster, 2 workers', workers: 2, redis: false },
  { mode: 'cluster, 2 workers, Redis', workers: 2, redis: true },
])('durability: $mode', ({ workers, redis: useRedis }) => {
  it('kill -9 under load loses no answered event', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // With Redis, held events the killed processes had read stay pending under their dead consumers
    // until idle for optout.heldTakeoverMs (60 s by default); a short one lets the restarted collector
    // take them over within waitDecided's patience (it must exceed twice the tests' 2 s timeoutMs).
    const store = useRedis ? { store: { kind: 'redis' as const, url: redis.url, keyPrefix: `k${Date.now()}` } } : {};
    const base = collectorConfig(op, `${dir}/data`, { workers, logLevel: 'warn', ...store });
    const config = writeConfig(dir, useRedis ? { ...base, optout: { ...base.optout, heldTakeoverMs: 5000 } } : base);
    const first = await spawnCollector(['--config', config], { expectListening: workers });
    await waitReady(first.url);
    const work = tokens(6000);
    const answered = new Set<string>();
    let killAt = 0;
    const killed = new Promise<void>((resolve) => {
      // Kill once a good number of answers are in, in the middle of the stream.
      const timer = setInterval(() => {
        if (answered.size >= 1500) {
          clearInterval(timer);
          killAt = answered.size;
          first.child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    const load = await runLoad({
      host: '127.0.0.1', port: first.port, connections: 32, requests: work.length, durationMs: 20_000,
      path: (i) => work[i]!.path,
      onResponse: (i, status) => {
        if (status === 200) answered.add(work[i]!.uid);
      },
      stop: killed,
    });
    await first.exited;
    expect(killAt).toBeGreaterThan(0);
    // Requests were in flight when it died. (Redis workers outlive their primary long enough to answer
    // theirs, and those events are in Redis.)
    if (!useRedis) expect(load.errors).toBeGreaterThan(0);
    // No worker lives on without its primary.
    const pids = first.lines.filter((l) => l.includes('"collector listening"')).map((l) => (JSON.parse(l) as { pid: number }).pid);
    await until(() => pids.every((pid) => !alive(pid)), 'workers to exit after their primary died');

    const second = await spawnCollector(['--config', config], { expectListening: workers });
    await waitReady(second.url);
    const present = await exportedUids(second.url);
    const missing = [...answered].filter((u) => !present.has(u));
    expect(missing, `${missing.length} of ${answered.size} answered events missing after kill -9`).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // Whatever the processes printed (logs, warnings about the torn tail): no raw UID2, no token.
    const printed = [...first.lines, ...second.lines].join('\n');
    expect(printed).toContain('collector listening');
    for (const w of work.slice(0, 2000)) {
      expect(printed.includes(w.uid)).toBe(false);
      expect(printed.includes(decodeURIComponent(w.path.slice(w.path.indexOf('=') + 1)))).toBe(false);
    }
  }, 60_000);

  it('SIGTERM under load: answers what it received, commits it, exits 0', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const store = useRedis ? { store: { kind: 'redis' as const, url: redis.url, keyPrefix: `t${Date.now()}` } } : {};
    const config = writeConfig(dir, collectorConfig(op, `${dir}/data`, { workers, logLevel: 'warn', ...store }));
    const first = await spawnCollector(['--config', config], { expectListening: workers });
    await waitReady(first.url);
    const work = tokens(3000);
    const answered = new Set<string>();
    const stopped = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (answered.size >= 800) {
          clearInterval(timer);
          first.child.kill('SIGTERM');
          resolve();
        }
      }, 5);
    });
    await runLoad({
      host: '127.0.0.1', port: first.port, connections: 16, requests: work.length, durationMs: 20_000,
      path: (i) => work[i]!.path,
      onResponse: (i, status) => {
        if (status === 200) answered.add(work[i]!.uid);
      },
      stop: stopped.then(() => new Promise((r) => setTimeout(r, 2000))),
    });
    expect(await first.exited).toBe(0);
    expect(first.lines.some((l) => l.includes('collector stopped'))).toBe(true);

    const second = await spawnCollector(['--config', config], { expectListening: workers });
    await waitReady(second.url);
    const present = await exportedUids(second.url);
    expect([...answered].filter((u) => !present.has(u))).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});

describe('a disk that refuses writes (file size limit)', () => {
  it('answers 503 while writes fail, never loses a 200, keeps serving, and recovers on restart', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const config = writeConfig(dir, collectorConfig(op, `${dir}/data`, { logLevel: 'warn' }));
    // 48 KB of log: room for a few hundred events, then EFBIG.
    const first = await spawnCollector(['--config', config], { fileSizeLimitKb: 48 });
    await waitReady(first.url);
    const work = tokens(900);
    const answered = new Set<string>();
    const statuses: Record<number, number> = {};
    await runLoad({
      host: '127.0.0.1', port: first.port, connections: 8, requests: work.length,
      path: (i) => work[i]!.path,
      onResponse: (i, status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) answered.add(work[i]!.uid);
      },
    });
    expect(statuses[200]).toBeGreaterThan(100);
    expect(statuses[503]).toBeGreaterThan(100);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect(first.lines.join('\n')).toMatch(/segment store write failed/);
    first.child.kill('SIGTERM');
    await first.exited;

    const second = await spawnCollector(['--config', config]);
    await waitReady(second.url);
    const present = await exportedUids(second.url);
    expect([...answered].filter((u) => !present.has(u))).toEqual([]);
    // Writes work again without the limit.
    const more = tokens(5);
    for (const w of more) expect((await fetch(`${second.url}${w.path}`)).status).toBe(200);
    const after = await exportedUids(second.url);
    for (const w of more) expect(after.has(w.uid)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
