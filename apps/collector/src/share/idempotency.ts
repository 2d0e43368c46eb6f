// Idempotency-Key for the bulk API: a batch retried with the same key (by the same sender) counts once
// and gets the first answer back. A key is bound to a fingerprint of its request (segment + body), so
// reusing a key for a different batch is refused rather than silently answered with the old result.
//
// Two homes: an append-only file beside the embedded store (fdatasync'd before the answer leaves), and
// Redis for a fleet, where a key claimed by one collector is seen as "in progress" by the others.
// With the file store and several workers (`collector --workers N`), the primary owns the one file and
// the workers ask it over IPC (IpcIdempotencyStore, served by serveIdempotency): a retry that lands on
// another worker finds the first answer, as it would on one process.
// The answer is recorded after the batch is durable; a crash between the two leaves the key unrecorded,
// and the retry then writes the same memberships again, which is harmless (a membership is keyed by
// segment and UID2, and merging an event twice changes nothing).
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { readTextIfExists, replaceFile } from '../owner-file.ts';
import type { Redis, Cluster } from 'ioredis';
import type { IpcClient } from '../store/ipc-store.ts';

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type IdempotencyState =
  | { state: 'new' }
  | { state: 'done'; answer: StoredAnswer }
  | { state: 'busy' }
  | { state: 'mismatch' };

export interface IdempotencyStore {
  /** Claims (sender, key) for a request with this fingerprint, or says what is already known of it. */
  begin(sender: number, key: string, fingerprint: string): Promise<IdempotencyState>;
  /** Records the answer; later begin() calls with the same key replay it. */
  finish(sender: number, key: string, fingerprint: string, answer: StoredAnswer): Promise<void>;
  /** Releases a claim whose request failed (nothing acknowledged), so a retry may run. */
  abandon(sender: number, key: string): Promise<void>;
  close(): Promise<void>;
}

/** Idempotency keys as accepted: 1-128 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export function fingerprint(segment: string, body: Buffer): string {
  return createHash('sha256').update(segment).update('\0').update(body).digest('base64url');
}

interface Entry {
  fp: string;
  expires: number;
  answer: StoredAnswer | null; // null: in progress (this process only)
}

/** The embedded home: <dir>/idempotency.log, one JSON array per recorded answer, owner-only. */
export class FileIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private fh: FileHandle | null = null;
  private bytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private swept = 0;

  constructor(private readonly path: string, private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  async open(): Promise<void> {
    const text = await readTextIfExists(this.path);
    const now = this.now();
    for (const line of text.split('\n')) {
      try {
        const [id, fp, expires, status, body] = JSON.parse(line) as [string, string, number, number, unknown];
        if (typeof id === 'string' && expires > now) this.entries.set(id, { fp, expires, answer: { status, body } });
      } catch {
        // a torn last line from a crash: that answer was never sent
      }
    }
    await this.rewrite(); // drops expired and torn lines
    this.swept = now;
  }

  private id(sender: number, key: string): string {
    return `${sender} ${key}`;
  }

  private line(id: string, e: Entry): string {
    return JSON.stringify([id, e.fp, e.expires, e.answer!.status, e.answer!.body]) + '\n';
  }

  private async rewrite(): Promise<void> {
    let text = '';
    for (const [id, e] of this.entries) if (e.answer) text += this.line(id, e);
    await replaceFile(this.path, text);
    const old = this.fh;
    this.fh = null; // reopened by the next append should the open below fail
    await old?.close();
    this.fh = await open(this.path, 'a', 0o600);
    this.bytes = Buffer.byteLength(text);
  }

  async begin(sender: number, key: string, fp: string): Promise<IdempotencyState> {
    const id = this.id(sender, key);
    const e = this.entries.get(id);
    if (e && e.expires > this.now()) {
      if (e.fp !== fp) return { state: 'mismatch' };
      return e.answer ? { state: 'done', answer: e.answer } : { state: 'busy' };
    }
    this.sweep();
    this.entries.set(id, { fp, expires: this.now() + this.ttlMs, answer: null });
    return { state: 'new' };
  }

  finish(sender: number, key: string, fp: string, answer: StoredAnswer): Promise<void> {
    const id = this.id(sender, key);
    const e: Entry = { fp, expires: this.now() + this.ttlMs, answer };
    const text = this.line(id, e);
    // Appends are serialised; each is on disk before its caller answers, and only then is the answer
    // replayed: a failed write leaves the claim in progress, so abandon() releases it and a retry runs.
    const next = this.chain.then(async () => {
      this.fh ??= await open(this.path, 'a', 0o600);
      await this.fh.write(text);
      await this.fh.datasync();
      this.entries.set(id, e);
      this.bytes += Buffer.byteLength(text);
      const compact = this.bytes > 16 * 1024 * 1024;
      this.sweep(compact);
      if (compact) await this.rewrite();
    });
    // One failed write (disk full, EIO) fails its caller only; the chain stays usable for the next.
    this.chain = next.catch(() => {});
    return next;
  }

  /** Drops expired keys from memory, at most once a minute, so memory follows the TTL. */
  private sweep(force = false): void {
    const now = this.now();
    if (!force && now - this.swept < 60_000) return;
    this.swept = now;
    for (const [k, v] of this.entries) if (v.expires <= now) this.entries.delete(k);
  }

  async abandon(sender: number, key: string): Promise<void> {
    const id = this.id(sender, key);
    if (this.entries.get(id)?.answer === null) this.entries.delete(id);
  }

  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.fh?.close();
    this.fh = null;
  }
}

/** The fleet's home: one Redis string per key, claimed with SET NX and expiring with the TTL. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly ttlMs: number,
    /** A claim whose collector died mid-request is released after this long. */
    private readonly claimMs = 20_000,
  ) {}

  private k(sender: number, key: string): string {
    return `${this.prefix}:idem:${sender}:${createHash('sha256').update(key).digest('base64url')}`;
  }

  async begin(sender: number, key: string, fp: string): Promise<IdempotencyState> {
    const k = this.k(sender, key);
    const ok = await this.redis.set(k, JSON.stringify({ fp, answer: null }), 'PX', this.claimMs, 'NX');
    if (ok === 'OK') return { state: 'new' };
    const raw = await this.redis.get(k);
    if (raw === null) return this.begin(sender, key, fp); // expired between the two calls
    const v = JSON.parse(raw) as { fp: string; answer: StoredAnswer | null };
    if (v.fp !== fp) return { state: 'mismatch' };
    return v.answer ? { state: 'done', answer: v.answer } : { state: 'busy' };
  }

  async finish(sender: number, key: string, fp: string, answer: StoredAnswer): Promise<void> {
    await this.redis.set(this.k(sender, key), JSON.stringify({ fp, answer }), 'PX', this.ttlMs);
  }

  async abandon(sender: number, key: string): Promise<void> {
    await this.redis.del(this.k(sender, key));
  }

  async close(): Promise<void> {}
}

/** A cluster worker's view of the primary's FileIdempotencyStore (file store, `--workers N`). */
export class IpcIdempotencyStore implements IdempotencyStore {
  constructor(private readonly ipc: Pick<IpcClient, 'call'>) {}

  begin(sender: number, key: string, fp: string): Promise<IdempotencyState> {
    return this.ipc.call('idempotencyBegin', sender, key, fp);
  }

  finish(sender: number, key: string, fp: string, answer: StoredAnswer): Promise<void> {
    return this.ipc.call('idempotencyFinish', sender, key, fp, answer);
  }

  abandon(sender: number, key: string): Promise<void> {
    return this.ipc.call('idempotencyAbandon', sender, key);
  }

  async close(): Promise<void> {}
}

/**
 * The primary's side for one worker: the IPC operations IpcIdempotencyStore calls, and `release`, for
 * when that worker dies: its claims in progress are abandoned (nothing of them was acknowledged), so a
 * retry is not told 409 until the key expires.
 */
export function serveIdempotency(store: IdempotencyStore): { ops: Record<string, (...args: never[]) => Promise<unknown>>; release(): Promise<void> } {
  const claimed = new Map<string, [number, string]>();
  const id = (sender: number, key: string) => `${sender} ${key}`;
  return {
    ops: {
      idempotencyBegin: async (sender: number, key: string, fp: string) => {
        const state = await store.begin(sender, key, fp);
        if (state.state === 'new') claimed.set(id(sender, key), [sender, key]);
        return state;
      },
      idempotencyFinish: async (sender: number, key: string, fp: string, answer: StoredAnswer) => {
        claimed.delete(id(sender, key));
        await store.finish(sender, key, fp, answer);
      },
      idempotencyAbandon: async (sender: number, key: string) => {
        claimed.delete(id(sender, key));
        await store.abandon(sender, key);
      },
    },
    async release() {
      for (const [sender, key] of claimed.values()) await store.abandon(sender, key);
      claimed.clear();
    },
  };
}
