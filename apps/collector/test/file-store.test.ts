// What only the embedded store has: crash-tail repair, compaction, owner-only files, read-only opening.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../src/store/file-store.ts';
import { DAY_MS } from '../src/store/segment-store.ts';
import { collect, event, rawUid } from './helpers/events.ts';

const TTL = 30 * DAY_MS;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'collector-fs-'));
  dirs.push(d);
  return join(d, 'store');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('creates an owner-only directory and log', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL });
    await store.open();
    await store.write(event());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.logPath).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('drops a torn tail left by a crash mid-write and keeps every complete record', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL });
    await store.open();
    const events = Array.from({ length: 50 }, () => event({ segment: 'torn' }));
    await Promise.all(events.map((e) => store.write(e)));
    await store.close();
    // What a kill -9 during the next batch's write can leave behind: half a line.
    appendFileSync(store.logPath, '["e","torn","abc');
    const warnings: string[] = [];
    const again = new FileStore({ dir, ttlMs: TTL, warn: (m) => warnings.push(m) });
    await again.open();
    expect(await again.size('torn')).toBe(50);
    expect(warnings.join()).toMatch(/partial record/);
    // The tail is gone, so new records start on a clean line.
    const extra = event({ segment: 'torn' });
    await again.write(extra);
    await again.close();
    expect(readFileSync(again.logPath, 'utf8')).not.toContain('"abc');
    const third = new FileStore({ dir, ttlMs: TTL });
    await third.open();
    expect(await third.size('torn')).toBe(51);
    await third.close();
  });

  it('writes a batch larger than its commit buffer, and batches of non-ASCII segments, byte for byte', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL });
    await store.open();
    // About 2.5 MB of log lines in one commit (the first buffer is 1 MB), then small commits that reuse it.
    const big = Array.from({ length: 12_000 }, () => event({ segment: 'big-' + 'x'.repeat(80) }));
    const accents = Array.from({ length: 300 }, () => event({ segment: 'café-ü' }));
    await store.writeMany(big);
    await Promise.all([store.writeMany(accents.slice(0, 150)), store.writeMany(accents.slice(150)), store.sync()]);
    await store.close();
    const lines = readFileSync(store.logPath, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines.slice(1, -1)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const again = new FileStore({ dir, ttlMs: TTL });
    await again.open();
    expect(again.corruptLines).toBe(0);
    expect(await again.size('big-' + 'x'.repeat(80))).toBe(12_000);
    expect(await again.size('café-ü')).toBe(300);
    const members = await collect(again.members('café-ü'));
    expect(new Set(members.map((m) => m.uid))).toEqual(new Set(accents.map((e) => e.uid)));
    await again.close();
  });

  it('refuses a file that is not a segment log', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL });
    await store.open();
    await store.close();
    rmSync(store.logPath);
    appendFileSync(store.logPath, 'hello\n');
    await expect(new FileStore({ dir, ttlMs: TTL }).open()).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('compacts the log to one record per live member, drops the expired, and keeps writes made meanwhile', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL, compactMinBytes: 1 });
    await store.open();
    const uids = Array.from({ length: 200 }, rawUid);
    const now = Date.now();
    // Many events for few members: the log grows, the live set does not.
    for (let round = 0; round < 10; round++) {
      await Promise.all(uids.map((uid) => store.write(event({ uid, segment: 'c', at: now - 1000 + round }))));
    }
    const expired = event({ segment: 'c', at: now - TTL - 1000 });
    await store.write(expired);
    const before = store.logBytes;
    // Compact while more writes arrive; they must survive.
    const late = Array.from({ length: 300 }, () => event({ segment: 'c' }));
    await Promise.all([store.compact(now), ...late.map((e) => store.write(e))]);
    expect(store.logBytes).toBeLessThan(before);
    await store.close();

    const again = new FileStore({ dir, ttlMs: TTL });
    await again.open();
    const members = await collect(again.members('c'));
    expect(members).toHaveLength(500);
    const byUid = new Map(members.map((m) => [m.uid, m]));
    expect(byUid.has(expired.uid)).toBe(false);
    for (const e of late) expect(byUid.has(e.uid)).toBe(true);
    expect(byUid.get(uids[0]!)).toMatchObject({ firstSeen: now - 1000, lastSeen: now - 1000 + 9 });
    await again.close();
  });

  it('compacts by itself once the log outgrows the live data', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir, ttlMs: TTL, compactMinBytes: 64 * 1024 });
    await store.open();
    const uid = rawUid();
    for (let i = 0; i < 3000; i++) await store.write(event({ uid, segment: 'auto', at: Date.now() }));
    await store.close();
    // 3000 events of ~130 bytes would be ~390 KB; compaction keeps it near the 64 KB threshold.
    expect(store.logBytes).toBeLessThan(100 * 1024);
    const again = new FileStore({ dir, ttlMs: TTL });
    await again.open();
    expect(await again.size('auto')).toBe(1);
    await again.close();
  });

  it('opens read-only alongside a writer without changing the log', async () => {
    const dir = tempDir();
    const writer = new FileStore({ dir, ttlMs: TTL });
    await writer.open();
    await writer.write(event({ segment: 'ro' }));
    appendFileSync(writer.logPath, '["e","ro"'); // a write in progress, as a reader may see it
    const size = statSync(writer.logPath).size;
    const reader = new FileStore({ dir, ttlMs: TTL, readOnly: true });
    await reader.open();
    expect(await reader.size('ro')).toBe(1);
    expect(statSync(writer.logPath).size).toBe(size);
    await expect(reader.write(event())).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await writer.close();
  });
});
