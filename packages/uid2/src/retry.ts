// One retry loop for every call this package makes to a remote party in bulk (identity map requests,
// the share API's batches, share-file uploads): a failure a later try may not meet is tried again
// after an exponential backoff with full jitter (a random wait up to base · 2^(retry-1), capped), so
// callers that failed together do not all come back at the same moment.

export interface RetryWithBackoffOptions {
  /** Tries after the first one. */
  retries: number;
  /** Ceiling of the first wait, ms; it doubles per retry, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Whether a failure is worth another try. Default: every failure. */
  retryable?: (error: unknown) => boolean;
  /** A floor under the wait after this failure, ms (a Retry-After hint). Default 0. */
  minDelayMs?: (error: unknown) => number;
  /** Told before each wait; `retry` counts from 1. */
  onRetry?: (error: unknown, retry: number) => void;
  /** Random source in [0, 1) for the jitter (tests pin it). Default Math.random. */
  random?: () => number;
  /** How to wait (tests record it). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it resolves, or until it fails with an error that is not retryable or after
 * `retries` retries: then throws that error, unchanged.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryWithBackoffOptions): Promise<T> {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepMs;
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry > options.retries || (options.retryable !== undefined && !options.retryable(error))) throw error;
      options.onRetry?.(error, retry);
      const backoff = Math.round(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1)));
      await sleep(Math.max(options.minDelayMs?.(error) ?? 0, backoff));
    }
  }
}
