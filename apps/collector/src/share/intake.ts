// The bulk routes' view of the collector's one decision path (src/intake/intake.ts): a batch of tokens
// from one proven sender for one segment goes through Intake.submit, the same decrypt -> authorise ->
// declared segment -> opt-out -> durable write that pixels take, with the opt-out check asked for the
// whole batch at once ('wait'). This file only adapts the outcomes for a sender's report.
//
// The one rule a batch adds, enforced inside the intake (expectedSiteId): a token must have been
// encrypted by the sender that delivers it, so a leaked token cannot be replayed by someone else.
import type { Intake, IntakeOutcome } from '../intake/intake.ts';
import { isRetryable } from '../intake/intake.ts';
import type { CollectorMetrics } from '../metrics.ts';

/** The coarse reason a sender is told for an item that was not admitted. Never more detail. */
export type RejectReason = 'invalid' | 'expired' | 'not_authorised' | 'opted_out';
export const REJECT_REASONS: readonly RejectReason[] = ['invalid', 'expired', 'not_authorised', 'opted_out'];

export type BulkRoute = 'api' | 'file';

export interface TokenBatch {
  route: BulkRoute;
  /** The authenticated sender (API key, or the drop folder the file was found in). */
  senderSiteId: number;
  segment: string;
  tokens: readonly string[];
}

export interface BatchOutcome {
  /** Items now members of the segment (durable). */
  written: number;
  /** Items held durably until the operator can answer their opt-out check; admitted or dropped then. */
  held: number;
  /** Items not admitted, by index into `tokens`, with a coarse reason, in index order. */
  rejected: Array<{ index: number; reason: RejectReason }>;
}

/** Some items could not be decided now (no keys yet, store not committing): send the batch again. */
export class BatchRetryableError extends Error {
  constructor(readonly outcome: IntakeOutcome) {
    super(outcome === 'not_ready' ? 'sharing keys are not loaded yet' : 'the segment store could not make the batch durable');
    this.name = 'BatchRetryableError';
  }
}

/**
 * Resolves once every admitted item is durable. Rejects with BatchRetryableError when any item could
 * not be decided; the items of the batch that were kept are then kept (a retry merges into the same
 * memberships), and none of it is acknowledged. `tokens` are read before the promise is returned (see
 * Intake.submit): the caller may release them then.
 */
export type IngestBatch = (batch: TokenBatch) => Promise<BatchOutcome>;

const REASON: Partial<Record<IntakeOutcome, RejectReason>> = {
  invalid: 'invalid',
  expired: 'expired',
  not_authorised: 'not_authorised',
  undeclared_segment: 'not_authorised',
  opted_out: 'opted_out',
};

export function batchIntake(intake: Pick<Intake, 'submit'>, metrics: CollectorMetrics): IngestBatch {
  return async ({ route, senderSiteId, segment, tokens }) => {
    // Decided once submit returns: the caller may release the tokens while the batch is committed.
    const outcomes = await intake.submit({ tokens, segment, kind: route, expectedSiteId: senderSiteId }, { optout: 'wait' });
    const result: BatchOutcome = { written: 0, held: 0, rejected: [] };
    let retry: IntakeOutcome | null = null;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      if (o === 'written') result.written++;
      else if (o === 'held') result.held++;
      else if (isRetryable(o)) retry ??= o;
      else result.rejected.push({ index: i, reason: REASON[o] ?? 'invalid' });
    }
    if (retry !== null) throw new BatchRetryableError(retry);
    if (result.written) metrics.bulkItem(route, 'written', result.written);
    if (result.held) metrics.bulkItem(route, 'held', result.held);
    for (const r of result.rejected) metrics.bulkItem(route, r.reason);
    return result;
  };
}
