// The opt-out gate's cache: UID2 -> verdict, each with its own lifetime, bounded in entries.
//
// One Map from UID2 to a single small integer, (expiry in s since the cache was made) * 2 + (1 when
// opted out): a Smi, so no object per entry (a ms timestamp would be a heap-allocated double), and one
// hash lookup per get. It replaced node-cache, whose get and set (stats, clone checks, a wrapper object
// per key in a dictionary-mode object) cost about 1.5 µs per UID2 on the bulk routes, where every item
// is looked up and every new UID2 is set (bench/share.bench.ts).
// Expired entries are dropped when read, and by a sweep every `sweepSeconds` (an unref'd timer), so a
// UID2 never seen again does not stay in memory past its lifetime.

export type Verdict = 'in' | 'out';

export interface VerdictCacheOptions {
  /** Most entries kept; when full, new verdicts are not cached (asked again next time). */
  maxEntries: number;
  sweepSeconds: number;
  now?: () => number;
}

export class VerdictCache {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  /** Expiries are counted in seconds from here. */
  private readonly base: number;

  constructor(options: VerdictCacheOptions) {
    this.maxEntries = options.maxEntries;
    this.now = options.now ?? Date.now;
    this.base = this.now();
    this.sweeper = setInterval(() => this.sweep(), options.sweepSeconds * 1000);
    this.sweeper.unref();
  }

  get(uid: string, now = this.now()): Verdict | undefined {
    const v = this.entries.get(uid);
    if (v === undefined) return undefined;
    if (v < this.at(now) * 2) {
      this.entries.delete(uid);
      return undefined;
    }
    return v % 2 === 1 ? 'out' : 'in';
  }

  /** Caches a verdict for `ttlSeconds`; false (not cached) when the cache is full. */
  set(uid: string, verdict: Verdict, ttlSeconds: number, now = this.now()): boolean {
    if (this.entries.size >= this.maxEntries && !this.entries.has(uid)) return false;
    this.entries.set(uid, (this.at(now) + Math.ceil(ttlSeconds)) * 2 + (verdict === 'out' ? 1 : 0));
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whole seconds since the cache was made. */
  private at(now: number): number {
    return Math.floor((now - this.base) / 1000);
  }

  sweep(now = this.now()): void {
    const limit = this.at(now) * 2;
    for (const [uid, v] of this.entries) if (v < limit) this.entries.delete(uid);
  }

  clear(): void {
    this.entries.clear();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}
