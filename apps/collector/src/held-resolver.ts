// Held events are decided here: a pixel's new UID2 is held durably and answered at once (its opt-out
// check runs off the answer path, so the answer's timing does not say whether the UID2 was seen
// recently), and so is any event whose check failed because the operator was down. Each pass asks the
// operator about a batch of them: the ones not opted out join their segments, the others are dropped
// (their raw UID2 leaves the store). `soon()` asks for a pass within a few ms (new holds); while the
// operator is failing, passes run only every intervalMs.
// Runs where the store is owned: the single process, or the cluster primary (file store); with Redis,
// in every worker of every collector: the store hands each held event to one of them (a consumer group).
import type { Logger } from './log.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { OptoutGate } from './optout-gate.ts';
import type { SegmentEvent, SegmentStore } from './store/segment-store.ts';

export interface HeldResolverOptions {
  store: SegmentStore;
  gate: Pick<OptoutGate, 'checkMany'>;
  intervalMs: number;
  log: Logger;
  /** After each pass (metrics). */
  onPass?: (left: number) => void;
  /** After each released batch: the events that joined their segments, and how many were dropped as opted out. */
  onDecided?: (admitted: readonly SegmentEvent[], optedOut: number) => void;
  batchSize?: number;
  /** How long soon() waits, so the holds of one burst are decided together. Default 5 ms. */
  soonMs?: number;
}

export class HeldResolver {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  /** soon() was called while a pass ran: run another when it ends. */
  private again = false;
  /** The last pass could not reach the operator: leave it to the interval. */
  private failing = false;
  private stopped = false;
  constructor(private readonly options: HeldResolverOptions) {}

  /** A pass within soonMs (coalesced), unless the operator is failing (then the interval retries). */
  soon(): void {
    if (this.stopped || this.failing) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      void this.runOnce();
    }, this.options.soonMs ?? 5);
  }

  /** Passes every intervalMs, and one soon (events held before a restart are decided at once). */
  start(): void {
    this.soon();
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.runOnce().finally(tick);
      }, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** One pass over every held event. Resolves when done or when the operator is still unreachable. */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.soon();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { store, gate, log } = this.options;
    const size = this.options.batchSize ?? 1000;
    let admitted = 0;
    let dropped = 0;
    try {
      let lastFirstId: string | undefined;
      for (;;) {
        const held = await store.held(size);
        // Stop when nothing is left for this process, or when a release did not take (never spin on the same events).
        if (held.length === 0 || held[0]!.id === lastFirstId) break;
        lastFirstId = held[0]!.id;
        const verdicts = await gate.checkMany(held.map((h) => h.event.uid));
        const admit = held.filter((h) => verdicts.get(h.event.uid) === false).map((h) => h.event);
        await store.release(held.map((h) => h.id), admit);
        admitted += admit.length;
        dropped += held.length - admit.length;
        this.options.onDecided?.(admit, held.length - admit.length);
      }
      this.failing = false;
      if (admitted || dropped) log.debug({ admitted, dropped }, 'held events checked for opt-out');
    } catch (err) {
      this.failing = true;
      log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, admitted, dropped }, 'held events still waiting: opt-out check unavailable');
    }
    this.options.onPass?.(await store.heldCount().catch(() => -1));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonTimer = null;
    if (this.running) await this.running;
  }
}

/** A started resolver that reports into the collector's metrics (held gauge, decisions counter). */
export function startHeldResolver(options: Omit<HeldResolverOptions, 'onPass' | 'onDecided'>, metrics: CollectorMetrics): HeldResolver {
  const resolver = new HeldResolver({
    ...options,
    onPass: (left) => (metrics.heldSource = () => Math.max(0, left)),
    onDecided: (admitted, optedOut) => {
      for (const e of admitted) metrics.written(e.segment, e.kind);
      if (admitted.length) metrics.heldDecided.inc({ result: 'admitted' }, admitted.length);
      if (optedOut) metrics.heldDecided.inc({ result: 'opted_out' }, optedOut);
    },
  });
  resolver.start();
  return resolver;
}
