// A write that fails once (disk full, EIO) must fail only its own caller: the idempotency log and the
// drop ledger keep working afterwards, and an idempotency answer is replayed only once it is on disk.
// A real disk cannot be made to fail on cue in-process, so the one fake here is a file handle whose
// next write rejects (EIO); everything else is real files.
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FileIdempotencyStore } from '../src/share/idempotency.ts';
import { emptyCounts, FileLedger } from '../src/drops/ledger.ts';
import { DirectorySource } from '../src/drops/sources.ts';
import { tempDir } from './helpers/stack.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('write-failures-');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Makes the next write through the object's private `fh` fail with EIO (once); later writes are real. */
function failNextWrite(owner: object): void {
  const holder = owner as { fh: FileHandle | null };
  const real = holder.fh!;
  let failed = false;
  holder.fh = new Proxy(real, {
    get(target, prop) {
      if (prop === 'write' && !failed) {
        failed = true;
        return async () => {
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('FileIdempotencyStore', () => {
  it('after a failed write, later finishes still succeed and reach the disk', async () => {
    const path = join(dir(), 'idempotency.log');
    const store = new FileIdempotencyStore(path, 3_600_000);
    await store.open();
    expect(await store.begin(1, 'a', 'fa')).toEqual({ state: 'new' });
    failNextWrite(store);
    await expect(store.finish(1, 'a', 'fa', { status: 200, body: { n: 1 } })).rejects.toThrow(/EIO/);
    expect(await store.begin(1, 'b', 'fb')).toEqual({ state: 'new' });
    await store.finish(1, 'b', 'fb', { status: 200, body: { n: 2 } });
    await store.close();

    const again = new FileIdempotencyStore(path, 3_600_000);
    await again.open();
    expect(await again.begin(1, 'b', 'fb')).toEqual({ state: 'done', answer: { status: 200, body: { n: 2 } } });
    expect(await again.begin(1, 'a', 'fa')).toEqual({ state: 'new' }); // never on disk, never replayed
    await again.close();
  });

  it('an answer whose write failed is not replayed: the claim stays in progress and abandon releases it', async () => {
    const store = new FileIdempotencyStore(join(dir(), 'idempotency.log'), 3_600_000);
    await store.open();
    await store.begin(7, 'k', 'fp');
    failNextWrite(store);
    await expect(store.finish(7, 'k', 'fp', { status: 200, body: { ok: true } })).rejects.toThrow(/EIO/);
    expect(await store.begin(7, 'k', 'fp')).toEqual({ state: 'busy' });
    await store.abandon(7, 'k');
    expect(await store.begin(7, 'k', 'fp')).toEqual({ state: 'new' }); // the retry runs
    await store.finish(7, 'k', 'fp', { status: 200, body: { ok: true } });
    expect(await store.begin(7, 'k', 'fp')).toEqual({ state: 'done', answer: { status: 200, body: { ok: true } } });
    await store.close();
  });

  it('expired keys leave memory with the TTL (swept at most once a minute), not when the file reaches 16 MB', async () => {
    let t = 1_000_000;
    const store = new FileIdempotencyStore(join(dir(), 'idempotency.log'), 10_000, () => t);
    await store.open();
    const entries = (store as unknown as { entries: Map<string, unknown> }).entries;
    for (let i = 0; i < 50; i++) {
      await store.begin(1, `old-${i}`, 'f');
      await store.finish(1, `old-${i}`, 'f', { status: 200, body: i });
    }
    expect(entries.size).toBe(50);
    t += 61_000; // all 50 expired, and a minute since the last sweep
    await store.begin(1, 'fresh', 'f');
    await store.finish(1, 'fresh', 'f', { status: 200, body: 'x' });
    expect([...entries.keys()]).toEqual(['1 fresh']);
    await store.close();
  });
});

describe('FileLedger', () => {
  it('after a failed checkpoint write, later checkpoints and finishes still succeed and reach the disk', async () => {
    const path = join(dir(), 'ledger.log');
    const ledger = new FileLedger(path);
    await ledger.open();
    expect(await ledger.claim('obj', 'me')).toBe(true);
    const counts = { ...emptyCounts(), lines: 10, written: 10 };
    failNextWrite(ledger);
    await expect(ledger.checkpoint('obj', 'me', { line: 10, counts, rejectedLines: [] })).rejects.toThrow(/EIO/);
    expect(await ledger.get('obj')).toBeNull(); // not recorded: it is not on disk
    const counts2 = { ...emptyCounts(), lines: 20, written: 20 };
    expect(await ledger.checkpoint('obj', 'me', { line: 20, counts: counts2, rejectedLines: [] })).toBe(true);
    await ledger.finish('obj', 'me', 'done');
    await ledger.close();

    const again = new FileLedger(path);
    await again.open();
    expect(await again.get('obj')).toMatchObject({ state: 'done', line: 20, counts: counts2 });
    await again.close();
  });
});

describe('DirectorySource.writeText', () => {
  it('writes reports atomically and owner-only, several at once in one directory, leaving no temp files', async () => {
    const root = dir();
    const src = new DirectorySource(root);
    mkdirSync(join(root, '101', 'seg'), { recursive: true });
    const keys = Array.from({ length: 8 }, (_, i) => `101/seg/file-${i}.csv.report.json`);
    await Promise.all(keys.map((k, i) => src.writeText(k, `report ${i}\n`.repeat(2000))));
    for (const [i, k] of keys.entries()) {
      expect(readFileSync(join(root, k), 'utf8')).toBe(`report ${i}\n`.repeat(2000));
      expect(statSync(join(root, k)).mode & 0o777).toBe(0o600);
    }
    const names: string[] = [];
    for await (const o of src.list()) names.push(o.key);
    expect(names.sort()).toEqual([...keys].sort());
  });
});
