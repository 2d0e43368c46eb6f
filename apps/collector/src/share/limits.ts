// Per-sender limits of the bulk API: a token bucket on tokens per second (with a burst), and a cap on
// requests in progress at once. Each collector process keeps its own; a fleet of N collectors behind a
// balancer allows up to N times the configured rate (documented).

export interface SenderLimitOptions {
  tokensPerSecond: number;
  burstTokens: number;
  maxConcurrent: number;
  now?: () => number;
}

interface Bucket {
  level: number;
  at: number;
  inFlight: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number };

export class SenderLimits {
  private readonly buckets = new Map<number, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: SenderLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes `tokens` from the sender's bucket and one concurrency slot, or says how long to wait. */
  admit(sender: number, tokens: number): Admission {
    const { tokensPerSecond, burstTokens, maxConcurrent } = this.options;
    const now = this.now();
    let b = this.buckets.get(sender); // keyed by configured sender ids only: bounded
    if (!b) this.buckets.set(sender, (b = { level: burstTokens, at: now, inFlight: 0 }));
    b.level = Math.min(burstTokens, b.level + ((now - b.at) / 1000) * tokensPerSecond);
    b.at = now;
    if (b.inFlight >= maxConcurrent) return { ok: false, retryAfterSeconds: 1 };
    const cost = Math.min(tokens, burstTokens); // a batch larger than the burst waits for a full bucket
    if (b.level < cost) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - b.level) / tokensPerSecond)) };
    b.level -= cost;
    b.inFlight++;
    let released = false;
    const bucket = b;
    return {
      ok: true,
      release: () => {
        if (!released) bucket.inFlight--;
        released = true;
      },
    };
  }
}
