// The opt-out gate's cache: UID2 -> verdict, each with its own lifetime, bounded in entries.
//
// One Map from UID2 to a single small integer, (expiry in s since the cache was made) * 2 + (1 when
// opted out): a Smi, so no object per entry (a ms timestamp would be a heap-allocated double), and one
// hash lookup per get. It replaced node-cache, whose get and set (stats, clone checks, a wrapper object
// per key in a dictionary-mode object) cost about 1.5 µs per UID2 on the bulk routes, where every item
// is looked up and every new UID2 is set (bench/share.bench.ts).
// Expired entries are dropped when read, and by a sweep every `sweepSeconds` (an unref'd timer), so a
// UID2 never seen again does not stay in memory past its lifetime.
//
// In front of the map, a bit per slot of a fixed table says "maybe cached" (a one-hash Bloom filter):
// a UID2 whose bit is clear is not in the map, and is answered without looking. On the bulk routes
// every new UID2 is such a miss, and a miss in a map of 10^5 to 10^6 string keys walks a bucket chain
// through keys scattered over the heap: about 0.5 µs, against a few ns for the bit. A set bit only
// means "look in the map", so a bit left by a deleted entry costs a lookup, never a wrong answer; the
// sweep rebuilds the bits from the live entries.

export type Verdict = 'in' | 'out';

export interface VerdictCacheOptions {
  /** Most entries kept; when full, new verdicts are not cached (asked again next time). */
  maxEntries: number;
  sweepSeconds: number;
  now?: () => number;
}

/** Bits of the filter per entry the cache may hold: about 6 % of misses still look in a full map. */
const FILTER_BITS_PER_ENTRY = 16;
/** At most 2^27 bits (16 MiB). */
const FILTER_MAX_BITS_LOG2 = 27;

/**
 * The filter slot of a UID2: a mix of its last characters before any base64 padding. Raw UID2s (and
 * EUIDs) are base64 of hash output, so those characters are spread evenly; any other string only makes
 * more lookups. `shift` keeps the top bits of the 32-bit mix.
 */
function slotOf(uid: string, shift: number): number {
  let h = 0x811c9dc5;
  const end = uid.length - 2;
  for (let i = Math.max(0, end - 8); i < end; i++) h = Math.imul(h ^ uid.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> shift;
}

export class VerdictCache {
  private readonly entries = new Map<string, number>();
  /** One bit per slot: set when a UID2 of that slot was cached since the last rebuild. */
  private readonly maybe: Uint32Array;
  private readonly shift: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  /** Expiries are counted in seconds from here. */
  private readonly base: number;

  constructor(options: VerdictCacheOptions) {
    this.maxEntries = options.maxEntries;
    const bitsLog2 = Math.min(FILTER_MAX_BITS_LOG2, Math.max(10, Math.ceil(Math.log2(this.maxEntries * FILTER_BITS_PER_ENTRY))));
    this.maybe = new Uint32Array(2 ** (bitsLog2 - 5));
    this.shift = 32 - bitsLog2;
    this.now = options.now ?? Date.now;
    this.base = this.now();
    this.sweeper = setInterval(() => this.sweep(), options.sweepSeconds * 1000);
    this.sweeper.unref();
  }

  get(uid: string, now = this.now()): Verdict | undefined {
    const slot = slotOf(uid, this.shift);
    if ((this.maybe[slot >>> 5]! & (1 << (slot & 31))) === 0) return undefined;
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
    this.mark(uid);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whole seconds since the cache was made. */
  private at(now: number): number {
    return Math.floor((now - this.base) / 1000);
  }

  private mark(uid: string): void {
    const slot = slotOf(uid, this.shift);
    this.maybe[slot >>> 5]! |= 1 << (slot & 31);
  }

  /** Drops expired entries, and rebuilds the filter from the live ones (deleted entries leave bits). */
  sweep(now = this.now()): void {
    const limit = this.at(now) * 2;
    this.maybe.fill(0);
    for (const [uid, v] of this.entries) {
      if (v < limit) this.entries.delete(uid);
      else this.mark(uid);
    }
  }

  clear(): void {
    this.entries.clear();
    this.maybe.fill(0);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}
