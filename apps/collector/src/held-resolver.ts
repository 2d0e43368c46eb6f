// Events held because the operator could not answer an opt-out check are re-checked here until it can:
// the ones not opted out join their segments, the others are dropped (their raw UID2 leaves the store).
// Runs where the store is owned: the single process, or the cluster primary.
import type { Logger } from './log.ts';
import type { OptoutGate } from './optout-gate.ts';
import type { SegmentStore } from './store/segment-store.ts';

export interface HeldResolverOptions {
  store: SegmentStore;
  gate: Pick<OptoutGate, 'checkMany'>;
  intervalMs: number;
  log: Logger;
  /** After each pass (metrics). */
  onPass?: (left: number) => void;
  batchSize?: number;
}

export class HeldResolver {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  constructor(private readonly options: HeldResolverOptions) {}

  start(): void {
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
        // Stop when nothing is left, or when a release did not take (never spin on the same events).
        if (held.length === 0 || held[0]!.id === lastFirstId) break;
        lastFirstId = held[0]!.id;
        const verdicts = await gate.checkMany(held.map((h) => h.event.uid));
        const admit = held.filter((h) => verdicts.get(h.event.uid) === false).map((h) => h.event);
        await store.release(held.map((h) => h.id), admit);
        admitted += admit.length;
        dropped += held.length - admit.length;
      }
      if (admitted || dropped) log.info({ admitted, dropped }, 'held events re-checked for opt-out');
    } catch (err) {
      log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, admitted, dropped }, 'held events still waiting: opt-out check unavailable');
    }
    this.options.onPass?.(await store.heldCount().catch(() => -1));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
