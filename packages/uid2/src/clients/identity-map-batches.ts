// Large inputs for the identity map clients: split into requests of at most 5,000 identifiers (the
// operator's guidance), at most `concurrency` requests in flight (the docs allow 20; the default is
// gentler), each retried with exponential backoff and full jitter on 429, 5xx and network failures
// (the docs' advice for 429, which carries no body). Results merge into one answer keyed by the
// caller's inputs. Anything else (400, 401, a malformed answer) fails at once: retrying cannot help.
import { Uid2HttpError, Uid2NetworkError } from './errors.ts';
import type { IdentityMapResult } from './unmapped-identity.ts';
import { retryWithBackoff } from '../retry.ts';

export const MAX_IDENTIFIERS_PER_REQUEST = 5000;

export interface BatchOptions {
  /** Identifiers per request, at most 5,000. Default 5,000. */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Retries per request after the first try. Default 5. */
  retries?: number;
  /** First backoff, ms; doubles each retry, capped by maxDelayMs. Default 500. */
  baseDelayMs?: number;
  /** Default 30,000. */
  maxDelayMs?: number;
  /** Called after each request completes: identifiers done so far and in total. */
  onProgress?: (done: number, total: number) => void;
  /** For tests: how to wait. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

interface Splittable<T> {
  readonly size: number;
  split(max: number): T[];
}

/** True for failures a later try may not meet: 429, 5xx, and no answer at all. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof Uid2NetworkError) return true;
  return error instanceof Uid2HttpError && (error.httpStatus === 429 || error.httpStatus >= 500);
}

/**
 * Maps an input of any size with `client` (IdentityMapV3Client or IdentityMapClient and their inputs).
 * Throws the first non-retryable error, or the last error of a request that ran out of retries.
 */
export async function mapIdentitiesInBatches<Input extends Splittable<Input>, Mapped>(
  client: { generateIdentityMap(input: Input): Promise<IdentityMapResult<Mapped>> },
  input: Input,
  options: BatchOptions = {},
): Promise<IdentityMapResult<Mapped>> {
  const batchSize = Math.min(MAX_IDENTIFIERS_PER_REQUEST, Math.max(1, Math.floor(options.batchSize ?? MAX_IDENTIFIERS_PER_REQUEST)));
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const retries = Math.max(0, Math.floor(options.retries ?? 5));
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  const batches = input.split(batchSize);
  const results: IdentityMapResult<Mapped>[] = new Array(batches.length);
  let next = 0;
  let done = 0;
  let failed = false;

  const attempt = (batch: Input): Promise<IdentityMapResult<Mapped>> =>
    retryWithBackoff(() => client.generateIdentityMap(batch), {
      retries,
      baseDelayMs: base,
      maxDelayMs: cap,
      // Once a batch has failed for good the run is over: the others stop retrying too.
      retryable: (error) => !failed && isRetryable(error),
      ...(options.sleep !== undefined && { sleep: options.sleep }),
    });
  const worker = async (): Promise<void> => {
    while (!failed && next < batches.length) {
      const index = next++;
      try {
        results[index] = await attempt(batches[index]!);
      } catch (error) {
        failed = true; // the other workers stop taking batches
        throw error;
      }
      done += batches[index]!.size;
      options.onProgress?.(done, input.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));

  // Merged in input order, so a later duplicate's answer wins as it would in one request.
  const merged: IdentityMapResult<Mapped> = { mappedIdentities: new Map(), unmappedIdentities: new Map() };
  for (const r of results) {
    for (const [k, v] of r.mappedIdentities) merged.mappedIdentities.set(k, v);
    for (const [k, v] of r.unmappedIdentities) merged.unmappedIdentities.set(k, v);
  }
  return merged;
}
