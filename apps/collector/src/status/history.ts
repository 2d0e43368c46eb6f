// What the status page draws: the collector's counters sampled at a fixed interval since it started,
// kept here (server-side) so that a page opened an hour after the events still shows when they came.
// Bounded: when the ring is full every other sample is dropped and the interval doubles, so the whole
// run since start stays visible at a coarser grain (the totals are cumulative, so no event is lost by
// dropping a sample: the next one still counts it).

/** Cumulative totals at one instant. Keys are whatever the counters carry: segment names, outcomes. */
export interface HistorySample {
  at: number;
  /** Events written per segment since start. */
  segments: Record<string, number>;
  /** Outcomes (pixel, and any other route's) since start. */
  outcomes: Record<string, number>;
}

export interface HistorySnapshot {
  startedAt: number;
  intervalMs: number;
  samples: HistorySample[];
}

export interface StatusHistoryOptions {
  /** Where a sample comes from (the same Prometheus text /metrics serves). */
  sample: () => Promise<Omit<HistorySample, 'at'>>;
  intervalMs?: number;
  /** Samples kept at most; at least 16. */
  capacity?: number;
  now?: () => number;
}

export class StatusHistory {
  readonly startedAt: number;
  private intervalMs: number;
  private readonly capacity: number;
  private readonly samples: HistorySample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: StatusHistoryOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.intervalMs = options.intervalMs ?? 2000;
    this.capacity = Math.max(16, options.capacity ?? 900);
  }

  /** Samples now and then every interval. The timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.takeSample().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Takes one sample (a failed read is skipped: the next one covers it). */
  async takeSample(): Promise<void> {
    let values: Omit<HistorySample, 'at'>;
    try {
      values = await this.options.sample();
    } catch {
      return;
    }
    this.add({ at: this.now(), ...values });
  }

  add(sample: HistorySample): void {
    this.samples.push(sample);
    if (this.samples.length <= this.capacity) return;
    // Thin: keep the first, every other one after it, and always the newest.
    const last = this.samples[this.samples.length - 1]!;
    const kept = this.samples.filter((_, i) => i % 2 === 0);
    if (kept[kept.length - 1] !== last) kept.push(last);
    this.samples.splice(0, this.samples.length, ...kept);
    this.intervalMs *= 2;
  }

  /** The run so far, oldest first. `latest` (the totals of this very moment) is appended when given. */
  snapshot(latest?: HistorySample): HistorySnapshot {
    const samples = latest ? [...this.samples, latest] : [...this.samples];
    return { startedAt: this.startedAt, intervalMs: this.intervalMs, samples };
  }
}
