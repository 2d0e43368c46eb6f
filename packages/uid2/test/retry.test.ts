import { describe, expect, it } from 'vitest';
import { retryWithBackoff } from '../src/retry.ts';

class Flaky extends Error {
  constructor(readonly retryable: boolean, readonly floorMs = 0) {
    super(retryable ? 'try again' : 'refused');
  }
}

/** An attempt that fails with the given errors in turn, then answers 'done'; counts its calls. */
function failing(...errors: Error[]) {
  const calls = { n: 0 };
  const attempt = async () => {
    const error = errors[calls.n++];
    if (error !== undefined) throw error;
    return 'done';
  };
  return { attempt, calls };
}

describe('retryWithBackoff', () => {
  const recorded = () => {
    const waits: number[] = [];
    return { waits, sleep: async (ms: number) => void waits.push(ms) };
  };

  it('answers the first success without waiting', async () => {
    const { attempt, calls } = failing();
    const { waits, sleep } = recorded();
    await expect(retryWithBackoff(attempt, { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, sleep })).resolves.toBe('done');
    expect(calls.n).toBe(1);
    expect(waits).toEqual([]);
  });

  it('waits up to base · 2^(retry-1), capped, with full jitter, and tells onRetry each retry', async () => {
    const errors = Array.from({ length: 5 }, () => new Flaky(true));
    const { attempt, calls } = failing(...errors);
    const { waits, sleep } = recorded();
    const told: Array<[unknown, number]> = [];
    const top = () => 0.999_999; // the jitter's upper end
    await expect(retryWithBackoff(attempt, { retries: 5, baseDelayMs: 100, maxDelayMs: 500, sleep, random: top, onRetry: (e, n) => told.push([e, n]) })).resolves.toBe('done');
    expect(calls.n).toBe(6);
    expect(waits).toEqual([100, 200, 400, 500, 500]);
    expect(told).toEqual(errors.map((e, i) => [e, i + 1]));
    const half = recorded();
    await retryWithBackoff(failing(new Flaky(true), new Flaky(true)).attempt, { retries: 2, baseDelayMs: 100, maxDelayMs: 500, sleep: half.sleep, random: () => 0.5 });
    expect(half.waits).toEqual([50, 100]);
  });

  it('throws the last error, unchanged, once the retries are spent', async () => {
    const last = new Flaky(true);
    const { attempt, calls } = failing(new Flaky(true), new Flaky(true), last, new Flaky(true));
    const { waits, sleep } = recorded();
    await expect(retryWithBackoff(attempt, { retries: 2, baseDelayMs: 10, maxDelayMs: 10, sleep })).rejects.toBe(last);
    expect(calls.n).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('throws a failure that is not retryable at once', async () => {
    const refused = new Flaky(false);
    const { attempt, calls } = failing(new Flaky(true), refused, new Flaky(true));
    const { waits, sleep } = recorded();
    const options = { retries: 9, baseDelayMs: 10, maxDelayMs: 10, sleep, retryable: (e: unknown) => (e as Flaky).retryable };
    await expect(retryWithBackoff(attempt, options)).rejects.toBe(refused);
    expect(calls.n).toBe(2);
    expect(waits).toHaveLength(1);
    // retries: 0 is one try.
    const once = failing(new Flaky(true));
    await expect(retryWithBackoff(once.attempt, { ...options, retries: 0 })).rejects.toBeInstanceOf(Flaky);
    expect(once.calls.n).toBe(1);
  });

  it('never waits less than the floor a failure names (a Retry-After hint), and the backoff still grows under it', async () => {
    const { attempt } = failing(new Flaky(true, 3000), new Flaky(true, 0), new Flaky(true, 3000));
    const { waits, sleep } = recorded();
    await retryWithBackoff(attempt, { retries: 3, baseDelayMs: 1000, maxDelayMs: 10_000, sleep, random: () => 0.999_999, minDelayMs: (e) => (e as Flaky).floorMs });
    expect(waits).toEqual([3000, 2000, 4000]);
  });

  it('waits with a real timer by default', async () => {
    const { attempt, calls } = failing(new Flaky(true));
    const started = Date.now();
    await expect(retryWithBackoff(attempt, { retries: 1, baseDelayMs: 30, maxDelayMs: 30, random: () => 0.999_999 })).resolves.toBe('done');
    expect(calls.n).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
