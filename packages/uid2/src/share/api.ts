// Sending over a receiver's bulk API (the collector's POST /share/v1/segments/<segment>/tokens):
// batches of sharing tokens, gzipped, several in flight at once, each retried with backoff under one
// Idempotency-Key so a batch the receiver already took is not counted twice.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encryptInBatches, type SharingEncrypter } from './encrypt-stream.ts';
import { retryWithBackoff } from '../retry.ts';

export type RejectReason = 'invalid' | 'expired' | 'not_authorised' | 'opted_out';

export interface ShareProgress {
  /** Raw UID2 lines read. */
  read: number;
  /** Tokens the receiver has acknowledged (written, held or rejected by it). */
  delivered: number;
}

export interface ShareApiOptions {
  /** Raw UID2s, one per item (blank items skipped). */
  rawUids: AsyncIterable<string> | Iterable<string>;
  sharing: SharingEncrypter;
  /** The receiver's base URL, e.g. http://127.0.0.1:8090. */
  url: string;
  /** The key the receiver issued to this sender. */
  senderKey: string;
  segment: string;
  /** Tokens per request (the collector accepts up to 5000). Default 5000. */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  parallel?: number;
  /** Retries of one batch after the first attempt. Default 10 (about half a minute of backoff). */
  retries?: number;
  /** Per-request timeout, ms. Default 60 s. */
  timeoutMs?: number;
  onProgress?: (p: ShareProgress) => void;
  /** Random source for backoff jitter and keys (tests). */
  random?: () => number;
}

export interface ShareApiSummary {
  command: 'share api';
  read: number;
  /** Lines that were not raw UID2s or could not be encrypted: never sent. */
  notEncrypted: number;
  batches: number;
  /** Tokens the receiver acknowledged. */
  delivered: number;
  written: number;
  held: number;
  rejected: Record<RejectReason, number>;
  /** Tokens in batches that failed for good (after retries, or refused). */
  undelivered: number;
  retries: number;
  /** The first reason a batch failed for good, when one did (no token in it). */
  error?: string;
  seconds: number;
}

interface BatchAnswer {
  received: number;
  written: number;
  held: number;
  rejected: Array<{ index: number; reason: RejectReason }>;
}

/** Errors after which the same request cannot succeed: stop sending. */
class RefusedError extends Error {}

/** A batch the receiver did not take: its HTTP status (0: no answer), why, and its Retry-After. */
class BatchNotTaken extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly retryAfterMs: number | null,
  ) {
    super(`HTTP ${status} ${detail}`);
  }

  /** 409: the same key is still being processed (a retry overtook its first attempt): wait, ask again. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

export async function shareViaApi(options: ShareApiOptions): Promise<ShareApiSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5000;
  const parallel = Math.max(1, options.parallel ?? 4);
  const retries = options.retries ?? 10;
  const random = options.random ?? Math.random;
  const endpoint = `${options.url.replace(/\/+$/, '')}/share/v1/segments/${encodeURIComponent(options.segment)}/tokens`;
  const run = randomUUID();
  const summary: ShareApiSummary = {
    command: 'share api', read: 0, notEncrypted: 0, batches: 0, delivered: 0, written: 0, held: 0,
    rejected: { invalid: 0, expired: 0, not_authorised: 0, opted_out: 0 }, undelivered: 0, retries: 0, seconds: 0,
  };
  let refused: string | null = null;

  /** One POST of a batch: the receiver's 200 answer text, or a BatchNotTaken. */
  const post = async (body: ReturnType<typeof gzipSync>, idempotencyKey: string): Promise<string> => {
    let status = 0;
    let retryAfterMs: number | null = null;
    let detail = '';
    try {
      const r = await fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.senderKey}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'idempotency-key': idempotencyKey,
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      status = r.status;
      const text = await r.text();
      if (status === 200) return text;
      const ra = Number(r.headers.get('retry-after'));
      retryAfterMs = Number.isFinite(ra) && ra > 0 ? ra * 1000 : null;
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? '';
      } catch {
        detail = '';
      }
    } catch (err) {
      detail = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed';
    }
    throw new BatchNotTaken(status, detail, retryAfterMs);
  };

  const send = async (index: number, tokens: string[]): Promise<BatchAnswer> => {
    const body = gzipSync(JSON.stringify({ tokens }));
    let answer: string;
    try {
      answer = await retryWithBackoff(() => post(body, `${run}:${index}`), {
        retries,
        baseDelayMs: 250,
        maxDelayMs: 10_000,
        random,
        retryable: (err) => err instanceof BatchNotTaken && err.retryable,
        // Retry-After is a floor, not a schedule: a claim left by a crashed receiver (409) can take
        // longer than its hint to lapse, so the backoff keeps growing underneath it.
        minDelayMs: (err) => (err as BatchNotTaken).retryAfterMs ?? 0,
        onRetry: () => summary.retries++,
      });
    } catch (err) {
      if (!(err instanceof BatchNotTaken)) throw err;
      if (!err.retryable) throw new RefusedError(`the receiver refused a batch: HTTP ${err.status}${err.detail ? ` ${err.detail}` : ''}`);
      throw new Error(`a batch failed after ${retries + 1} attempts: ${err.status ? `HTTP ${err.status}` : err.detail}`);
    }
    return readBatchAnswer(answer); // outside the retries: a bad answer is not a connection failure
  };

  const batches = encryptInBatches(options.rawUids, options.sharing, batchSize);
  const worker = async () => {
    for (;;) {
      const next = await batches.next(); // async generators queue concurrent next() calls in order
      if (next.done) return;
      const b = next.value;
      summary.read += b.read;
      summary.notEncrypted += b.failed;
      if (b.tokens.length === 0) continue;
      summary.batches++;
      if (refused !== null) {
        summary.undelivered += b.tokens.length;
        continue;
      }
      try {
        const a = await send(b.index, b.tokens);
        summary.delivered += b.tokens.length;
        summary.written += a.written;
        summary.held += a.held;
        for (const r of a.rejected) summary.rejected[r.reason]++;
      } catch (err) {
        summary.undelivered += b.tokens.length;
        summary.error ??= (err as Error).message;
        if (err instanceof RefusedError) refused = err.message;
      }
      options.onProgress?.({ read: summary.read, delivered: summary.delivered });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  summary.seconds = Math.round((performance.now() - started) / 10) / 100;
  return summary;
}

const REJECT_REASONS: readonly string[] = ['invalid', 'expired', 'not_authorised', 'opted_out'] satisfies RejectReason[];

/**
 * The receiver's answer to a delivered batch, checked: counts that are whole numbers and rejections
 * whose reason is one of the four (anything else would add keys to the summary). A 200 that is not
 * such an answer is refused: the batch was taken, but what became of it is unknown.
 */
function readBatchAnswer(text: string): BatchAnswer {
  let a: Partial<BatchAnswer> | null = null;
  try {
    a = JSON.parse(text) as Partial<BatchAnswer>;
  } catch {
    // not JSON: refused below
  }
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    a === null || typeof a !== 'object' || !count(a.written) || !count(a.held) || !Array.isArray(a.rejected) ||
    !a.rejected.every((r) => r !== null && typeof r === 'object' && count(r.index) && REJECT_REASONS.includes(r.reason))
  ) {
    throw new RefusedError('the receiver answered HTTP 200 with something that is not a batch answer ({written, held, rejected[{index, reason}]})');
  }
  return a as BatchAnswer;
}
