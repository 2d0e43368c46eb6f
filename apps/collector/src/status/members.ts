// Live members per segment as the export counts them: every member checked against opt-out (fresh),
// whoever opted out since left out. The full pass is the export's
// own path with the output thrown away, so the status page and /admin/segments cannot disagree with
// an export. It asks the operator about every member, so it runs at most once a minute (opt-outs come
// without any event to tell us); in between, members the store gained or lost since the pass are
// added to its counts (a new member passed an opt-out check on its way in). While the operator is
// down the store's own counts are given, marked as not re-checked.
import { exportSegment } from '../export.ts';
import type { OptoutGate } from '../optout-gate.ts';
import type { SegmentStore } from '../store/segment-store.ts';

export interface LiveCounts {
  members: Record<string, number>;
  /** True when every member was re-checked against opt-out by the last full pass. */
  optoutChecked: boolean;
}

interface Pass {
  /** The store's own counts when the pass started, and the live counts it found. */
  raw: Record<string, number>;
  live: Record<string, number>;
  optoutChecked: boolean;
}

export class LiveMembers {
  private last: Pass | null = null;
  private nextAt = 0;
  private running: Promise<Pass> | null = null;
  /** The last answer: counting scans the store, so pages polling every 2 s share one count per 5 s. */
  private answered: { at: number; counts: LiveCounts } | null = null;

  constructor(
    private readonly store: SegmentStore,
    private readonly gate: Pick<OptoutGate, 'checkMany'>,
    private readonly passIntervalMs = 60_000,
  ) {}

  /** `fresh`: run a full pass now (as slow as an export of every segment). */
  async get(options: { fresh?: boolean } = {}): Promise<LiveCounts> {
    if (!options.fresh && this.answered && Date.now() - this.answered.at < 5_000) return this.answered.counts;
    // A fresh count must not reuse a pass that began before the caller asked.
    if (options.fresh) await this.running?.catch(() => {});
    if (options.fresh || this.last === null || Date.now() >= this.nextAt) {
      this.running ??= this.rawCounts().then((before) => this.pass(before)).finally(() => (this.running = null));
      this.last = await this.running;
    }
    const raw = await this.rawCounts();
    const { last } = this;
    const members: Record<string, number> = {};
    for (const segment of new Set([...Object.keys(raw), ...Object.keys(last.live)])) {
      const n = (last.live[segment] ?? 0) + (raw[segment] ?? 0) - (last.raw[segment] ?? 0);
      if (n > 0) members[segment] = n;
    }
    const counts = { members, optoutChecked: last.optoutChecked };
    this.answered = { at: Date.now(), counts };
    return counts;
  }

  /** Makes the next get() run a full pass (after an export removed members, say). */
  invalidate(): void {
    this.nextAt = 0;
    this.answered = null;
  }

  private async rawCounts(): Promise<Record<string, number>> {
    return Object.fromEntries((await this.store.segments()).map((s) => [s.segment, s.members]));
  }

  private async pass(raw: Record<string, number>): Promise<Pass> {
    const live: Record<string, number> = {};
    // Counting only: members found opted out stay in the store until an export removes them (so the
    // segment stays exportable), and the store's counts before the pass are its baseline.
    const base: Record<string, number> = { ...raw };
    try {
      for (const segment of Object.keys(raw)) {
        const result = await exportSegment({ store: this.store, gate: this.gate, segment, format: 'ndjson', write: () => {}, batchSize: 5000, removeOptedOut: false });
        live[segment] = result.written;
      }
    } catch {
      // The operator cannot say who opted out: the store's counts, marked as such; tried again soon.
      this.nextAt = Date.now() + 5_000;
      return { raw, live: raw, optoutChecked: false };
    }
    this.nextAt = Date.now() + this.passIntervalMs;
    return { raw: base, live, optoutChecked: true };
  }
}
