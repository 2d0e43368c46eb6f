// The opt-out gate: before a raw UID2 joins a segment, ask the operator's /v2/optout/status.
// Answers are cached (verdict-cache.ts): "not opted out" for cacheTtlSeconds, "opted out" for twice as long.
// UID2s not in the cache wait up to batchWindowMs so that concurrent pixels share one request.
// If the operator cannot answer, check() says 'unknown' (the caller holds the event durably and the
// held-event resolver asks again later); after a failure the gate answers 'unknown' at once for a
// short cool-down rather than make every pixel wait for a timeout.
import { VerdictCache } from './verdict-cache.ts';
import type { CollectorMetrics } from './metrics.ts';

export type OptoutVerdict = 'in' | 'out' | 'unknown';

/** What the gate needs from the uid2 OptOutStatusClient. */
export interface OptoutStatusSource {
  /** For each UID2, in order, when it opted out (ms) or null. */
  getOptOutTimes(rawUids: readonly string[]): Promise<Array<number | null>>;
}

export interface OptoutGateOptions {
  source: OptoutStatusSource;
  cacheTtlSeconds: number;
  batchWindowMs: number;
  maxBatch: number;
  /** After a failed request, answer 'unknown' without asking for this long. Default 2 s. */
  coolDownMs?: number;
  /** Most verdicts kept; when full, new ones are not cached (asked again next time). Default 500k. */
  maxEntries?: number;
  metrics?: CollectorMetrics;
  onError?: (err: Error) => void;
}

export class OptoutGate {
  private readonly cache: VerdictCache;
  private readonly source: OptoutStatusSource;
  private readonly ttl: number;
  private readonly batchWindowMs: number;
  private readonly maxBatch: number;
  private readonly coolDownMs: number;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly onError: (err: Error) => void;
  private waiting = new Map<string, Array<(v: OptoutVerdict) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private failedUntil = 0;

  constructor(options: OptoutGateOptions) {
    this.source = options.source;
    this.ttl = options.cacheTtlSeconds;
    this.batchWindowMs = options.batchWindowMs;
    this.maxBatch = options.maxBatch;
    this.coolDownMs = options.coolDownMs ?? 2000;
    this.metrics = options.metrics;
    this.onError = options.onError ?? (() => {});
    this.cache = new VerdictCache({
      sweepSeconds: Math.min(600, Math.max(1, Math.ceil(this.ttl / 10))),
      maxEntries: options.maxEntries ?? 500_000,
    });
  }

  /** The cached verdict, or undefined when the operator has to be asked. Synchronous: the hot path. */
  cached(uid: string): 'in' | 'out' | undefined {
    const v = this.cache.get(uid);
    if (v !== undefined) this.metrics?.optoutCheck('cached');
    return v;
  }

  /** Cached verdict, else one batched operator request. Never rejects. */
  check(uid: string): Promise<OptoutVerdict> {
    const hit = this.cached(uid);
    if (hit) return Promise.resolve(hit);
    if (Date.now() < this.failedUntil) {
      this.metrics?.optoutCheck('failed');
      return Promise.resolve('unknown');
    }
    return new Promise((resolve) => {
      const list = this.waiting.get(uid);
      if (list) list.push(resolve);
      else this.waiting.set(uid, [resolve]);
      if (this.waiting.size >= this.maxBatch) this.sendBatch();
      else this.timer ??= setTimeout(() => this.sendBatch(), this.batchWindowMs);
    });
  }

  private sendBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    if (batch.size === 0) return;
    this.waiting = new Map();
    const uids = [...batch.keys()];
    this.metrics?.optoutCheck('asked', uids.length);
    this.lookup(uids).then(
      (verdicts) => {
        for (const [uid, resolvers] of batch) {
          const v = verdicts.get(uid) ? 'out' : 'in';
          for (const r of resolvers) r(v);
        }
      },
      () => {
        this.metrics?.optoutCheck('failed', uids.length);
        for (const resolvers of batch.values()) for (const r of resolvers) r('unknown');
      },
    );
  }

  /**
   * Asks the operator about every UID2 not in the cache (no batching window, no cool-down) and returns
   * uid -> opted out. Rejects when the operator cannot answer. Used by export (fresh: ignore the cache,
   * so a UID2 that opted out since it was written is caught) and by the held resolver.
   */
  async checkMany(uids: readonly string[], options: { fresh?: boolean } = {}): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const ask: string[] = [];
    const now = Date.now();
    for (const uid of uids) {
      const v = options.fresh ? undefined : this.cache.get(uid, now);
      if (v === undefined) ask.push(uid);
      else out.set(uid, v === 'out');
    }
    if (ask.length) {
      this.metrics?.optoutCheck('asked', ask.length);
      await this.lookup(ask, out);
    }
    return out;
  }

  /**
   * Asks the operator about UID2s the caller has just found uncached (cached() said undefined), without
   * looking in the cache again, and returns whether each opted out, in order; the verdicts are cached.
   * Rejects when the operator cannot answer. The bulk routes decide a batch's new UID2s with it.
   */
  async askUncached(uids: readonly string[]): Promise<boolean[]> {
    this.metrics?.optoutCheck('asked', uids.length);
    const times = await this.ask(uids);
    const now = Date.now();
    const optedOut = new Array<boolean>(uids.length);
    for (let i = 0; i < uids.length; i++) optedOut[i] = this.remember(uids[i]!, times[i] !== null, now);
    return optedOut;
  }

  /** One operator round for uncached UID2s; fills the cache, and `out` (a new map when not given). */
  private async lookup(uids: string[], out = new Map<string, boolean>()): Promise<Map<string, boolean>> {
    const times = await this.ask(uids);
    const now = Date.now();
    for (let i = 0; i < uids.length; i++) out.set(uids[i]!, this.remember(uids[i]!, times[i] !== null, now));
    return out;
  }

  /** The operator's answer for `uids`; a failure starts the cool-down and is reported, then rethrown. */
  private async ask(uids: readonly string[]): Promise<Array<number | null>> {
    try {
      const answer = await this.source.getOptOutTimes(uids);
      this.failedUntil = 0;
      return answer;
    } catch (err) {
      this.failedUntil = Date.now() + this.coolDownMs;
      this.onError(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** Caches a verdict (not kept once the memory bound is reached: asked again next time); returns it. */
  private remember(uid: string, optedOut: boolean, now: number): boolean {
    this.cache.set(uid, optedOut ? 'out' : 'in', optedOut ? this.ttl * 2 : this.ttl, now);
    return optedOut;
  }

  /** Forgets cached verdicts (tests; after an operator-side opt-out import). */
  clear(): void {
    this.cache.clear();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const resolvers of this.waiting.values()) for (const r of resolvers) r('unknown');
    this.waiting.clear();
    this.cache.close();
  }
}
