// Prometheus metrics of one collector process. In cluster mode every worker has its own registry and
// the primary aggregates them (prom-client AggregatorRegistry); the aggregator setting of each metric
// says how (counters add up; key age takes the oldest keys of any worker).
//
// The pixel path counts into plain numbers (HotCounts) that are handed to prom-client only when a
// scrape collects them: prom-client's inc() hashes and validates its labels on every call, which on a
// path of ~30 µs per request is worth avoiding four times over.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { DecryptionStatus } from '@uid2-pixels/uid2';
import type { IntakeOutcome } from './intake/intake.ts';
import type { UnattributedKey } from './status/key-owners.ts';

/** What became of one request or item: an intake outcome, or a pixel request that did not parse. */
export type PixelOutcome = IntakeOutcome | 'invalid_request';

/** The label value that stands for every label set past a metric's series cap. */
const OTHER_LABEL = 'other';

/**
 * Plain per-label-set counts, added to a prom-client Counter when it is collected. At most `maxSeries`
 * label sets: past that, counts go to one set whose every label is OTHER_LABEL, so no input can grow
 * a metric (or a scrape) without bound.
 */
class HotCounts<L extends string> {
  private readonly cells = new Map<string, { labels: LabelValues<L>; n: number }>();
  private overflow: { labels: LabelValues<L>; n: number } | null = null;
  constructor(
    private readonly counter: Counter<L>,
    private readonly maxSeries: number,
  ) {}

  /** The cell for one label set; `key` must identify the label set. */
  cell(key: string, labels: () => LabelValues<L>): { n: number } {
    let c = this.cells.get(key);
    if (c) return c;
    if (this.cells.size >= this.maxSeries) return (this.overflow ??= { labels: otherLabels(labels()), n: 0 });
    this.cells.set(key, (c = { labels: labels(), n: 0 }));
    return c;
  }

  flush(): void {
    for (const c of this.cells.values()) {
      if (c.n > 0) {
        this.counter.inc(c.labels, c.n);
        c.n = 0;
      }
    }
    if (this.overflow && this.overflow.n > 0) {
      this.counter.inc(this.overflow.labels, this.overflow.n);
      this.overflow.n = 0;
    }
  }
}

function otherLabels<L extends string>(labels: LabelValues<L>): LabelValues<L> {
  const out = {} as Record<string, string>;
  for (const k of Object.keys(labels)) out[k] = OTHER_LABEL;
  return out as LabelValues<L>;
}

export interface MetricsOptions {
  /** Node process metrics (event loop lag, memory, GC). */
  processMetrics?: boolean;
  /** Pixel-path metrics (requests, decrypts, outcomes, keys). Off in a cluster primary. */
  pixel?: boolean;
  /** Store metrics (commit latency, batch size, held events). Off in workers that forward to the primary. */
  store?: boolean;
  /** Most label sets of any one counter (segments, senders); the rest count under "other". Default 500. */
  maxSeries?: number;
}

export class CollectorMetrics {
  readonly registry = new Registry();
  /** Read by the key-age gauge at scrape time. */
  keyAgeSource: () => number | null = () => null;
  /** Read by the held-events gauge at scrape time (the last count the held resolver saw). */
  heldSource: () => number = () => 0;

  readonly requests: Counter<'kind' | 'method'>;
  readonly outcomes: Counter<'outcome' | 'sender'>;
  readonly decrypts: Counter<'sender' | 'status'>;
  readonly eventsWritten: Counter<'segment' | 'kind'>;
  readonly storeCommit: Histogram<'store'>;
  readonly storeBatch: Histogram<'store'>;
  readonly optoutChecks: Counter<'result'>;
  readonly keyAge: Gauge;
  readonly keysLoaded: Gauge;
  readonly heldEvents: Gauge;
  readonly keyRefreshes: Counter<'result'>;
  readonly decryptThreadFailures: Counter;
  readonly bulkItems: Counter<'route' | 'outcome'>;
  readonly bulkRequests: Counter<'status'>;
  readonly dropFiles: Counter<'result'>;
  readonly heldDecided: Counter<'result'>;
  readonly unattributedKeys: Counter<'key_id' | 'key'>;

  private readonly hotRequests: HotCounts<'kind' | 'method'>;
  private readonly hotOutcomes: HotCounts<'outcome' | 'sender'>;
  private readonly hotDecrypts: HotCounts<'sender' | 'status'>;
  private readonly hotWritten: HotCounts<'segment' | 'kind'>;
  private readonly hotOptout: HotCounts<'result'>;
  private readonly hotBulk: HotCounts<'route' | 'outcome'>;
  private readonly hotUnattributed: HotCounts<'key_id' | 'key'>;

  constructor(options: MetricsOptions = {}) {
    const pixel = options.pixel ?? true;
    const maxSeries = options.maxSeries ?? 500;
    const store = options.store ?? true;
    const registers = [this.registry];
    const pixelRegisters = pixel ? registers : [];
    const storeRegisters = store ? registers : [];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'collector_' });
    const metrics = this;
    this.requests = new Counter({
      name: 'collector_pixel_requests_total', help: 'Pixel requests by pixel kind and HTTP method', labelNames: ['kind', 'method'], registers: pixelRegisters,
      collect: () => this.hotRequests.flush(),
    });
    this.outcomes = new Counter({
      name: 'collector_pixel_outcomes_total', help: 'What became of each pixel (and each item of any other intake), by sender site id (unknown: the token did not say)', labelNames: ['outcome', 'sender'], registers: pixelRegisters,
      collect: () => this.hotOutcomes.flush(),
    });
    this.decrypts = new Counter({
      name: 'collector_decrypt_total', help: 'Token decryption results by sender site id and status', labelNames: ['sender', 'status'], registers: pixelRegisters,
      collect: () => this.hotDecrypts.flush(),
    });
    this.eventsWritten = new Counter({
      name: 'collector_events_written_total', help: 'Events made durable in a segment', labelNames: ['segment', 'kind'],
      // Written on the pixel path, and by the held resolver (which runs where the store is owned).
      registers: pixel || store ? registers : [],
      collect: () => this.hotWritten.flush(),
    });
    this.hotRequests = new HotCounts(this.requests, maxSeries);
    this.hotOutcomes = new HotCounts(this.outcomes, maxSeries);
    this.hotDecrypts = new HotCounts(this.decrypts, maxSeries);
    this.hotWritten = new HotCounts(this.eventsWritten, maxSeries);
    this.storeCommit = new Histogram({
      name: 'collector_store_commit_seconds', help: 'Time for one group commit (write + fdatasync, or one Redis round)',
      labelNames: ['store'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: storeRegisters,
    });
    this.storeBatch = new Histogram({
      name: 'collector_store_batch_events', help: 'Records per group commit', labelNames: ['store'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], registers: storeRegisters,
    });
    this.optoutChecks = new Counter({
      name: 'collector_optout_checks_total', help: 'Opt-out lookups by result (cached, asked, failed)', labelNames: ['result'], registers: pixelRegisters,
      collect: () => this.hotOptout.flush(),
    });
    this.hotOptout = new HotCounts(this.optoutChecks, maxSeries);
    this.keyAge = new Gauge({
      name: 'collector_key_age_seconds', help: 'Age of the sharing keys in use (-1: none loaded)', registers: pixelRegisters, aggregator: 'max',
      collect() {
        const age = metrics.keyAgeSource();
        this.set(age === null ? -1 : age / 1000);
      },
    });
    this.keysLoaded = new Gauge({
      name: 'collector_keys_loaded', help: '1 once sharing keys are loaded', registers: pixelRegisters, aggregator: 'min',
      collect() {
        this.set(metrics.keyAgeSource() === null ? 0 : 1);
      },
    });
    this.heldEvents = new Gauge({
      name: 'collector_held_events', help: 'Events held until the operator answers an opt-out check', registers: storeRegisters, aggregator: 'max',
      collect() {
        this.set(metrics.heldSource());
      },
    });
    this.heldDecided = new Counter({
      name: 'collector_held_decided_total', help: 'Held events decided once their opt-out status was known: admitted to their segment, or dropped as opted out',
      labelNames: ['result'], registers: storeRegisters,
    });
    this.keyRefreshes = new Counter({ name: 'collector_key_refreshes_total', help: 'Sharing key refreshes by result', labelNames: ['result'], registers: pixelRegisters });
    this.decryptThreadFailures = new Counter({
      name: 'collector_decrypt_thread_failures_total', help: 'Decrypt threads that stopped; their batches were decrypted on the main thread', registers: pixelRegisters,
    });
    // The bulk routes. Labels are closed sets: route api|file, outcome written|held|<reject reason>,
    // an HTTP status from the fixed list the bulk API answers with, a file result done|failed.
    this.bulkItems = new Counter({
      name: 'collector_bulk_items_total', help: 'Tokens received over the bulk API or in dropped files, by what became of them', labelNames: ['route', 'outcome'], registers: pixelRegisters,
      collect: () => this.hotBulk.flush(),
    });
    this.hotBulk = new HotCounts(this.bulkItems, maxSeries);
    // Key ids come only out of layers our master keys opened (an operator sealed them), and a handful
    // is all a reader needs: past 20, they count under "other".
    this.unattributedKeys = new Counter({
      name: 'collector_unattributed_key_total', help: 'Tokens sealed with a sender key we do not hold and cannot attribute to a site, by key id and what we know of the key (never_shared: no key sync ever gave it to us; owner_unknown: shared once, but no token of it ever opened here)',
      labelNames: ['key_id', 'key'], registers: pixelRegisters,
      collect: () => this.hotUnattributed.flush(),
    });
    this.hotUnattributed = new HotCounts(this.unattributedKeys, 20);
    this.bulkRequests = new Counter({ name: 'collector_bulk_requests_total', help: 'Bulk API requests by HTTP status', labelNames: ['status'], registers: pixelRegisters });
    this.dropFiles = new Counter({ name: 'collector_drop_files_total', help: 'Dropped files finished, by result (done: ingested and reported; failed: moved to the failed area)', labelNames: ['result'], registers: storeRegisters });
  }

  request(kind: string, method: string): void {
    this.hotRequests.cell(kind + method, () => ({ kind, method })).n++;
  }

  /**
   * `sender`: the site id the decrypted token names (or, for a token sealed with a key no longer shared
   * with us, the site that key belonged to), or null when unknown. Bounded: a site id comes only out of
   * a token that decrypted with one of the keys the operator gave us.
   */
  outcome(o: PixelOutcome, sender: number | null = null, n = 1): void {
    this.hotOutcomes.cell(`${o}|${sender}`, () => ({ outcome: o, sender: sender === null ? 'unknown' : String(sender) })).n += n;
  }

  decrypt(sender: number | null, status: DecryptionStatus, n = 1): void {
    this.hotDecrypts.cell(`${sender}|${status}`, () => ({ sender: sender === null ? 'unknown' : String(sender), status })).n += n;
  }

  unattributedKey(keyId: number, what: UnattributedKey): void {
    this.hotUnattributed.cell(`${keyId}|${what}`, () => ({ key_id: String(keyId), key: what })).n++;
  }

  written(segment: string, kind: string, n = 1): void {
    this.hotWritten.cell(`${segment}|${kind}`, () => ({ segment, kind })).n += n;
  }

  bulkItem(route: string, outcome: string, n = 1): void {
    this.hotBulk.cell(`${route}|${outcome}`, () => ({ route, outcome })).n += n;
  }

  optoutCheck(result: 'cached' | 'asked' | 'failed', n = 1): void {
    this.hotOptout.cell(result, () => ({ result })).n += n;
  }

  commit(store: string): (seconds: number, records: number) => void {
    const latency = this.storeCommit.labels(store);
    const size = this.storeBatch.labels(store);
    return (seconds, records) => {
      latency.observe(seconds);
      size.observe(records);
    };
  }
}
