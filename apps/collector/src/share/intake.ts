// The bulk routes' entry into the collector's one decision path: a batch of tokens from one
// authenticated sender for one segment -> decrypt -> authorise -> opt-out -> durable write, answered
// only once every admitted item is durable. The bulk API and the file ingester both call `IngestBatch`
// and nothing else, so the rules a pixel obeys are the rules a batch obeys.
//
// The one rule a batch adds: a token must have been encrypted by the sender that delivers it (its site
// id is the authenticated sender's), so a leaked token cannot be replayed by someone else.
import type { DecryptionStatus } from '@uid2-pixels/uid2';
import type { SenderAcl } from '../authorise.ts';
import type { TokenDecrypter } from '../decrypter.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { OptoutGate } from '../optout-gate.ts';
import type { SegmentEvent, SegmentStore } from '../store/segment-store.ts';

/** The coarse reason a sender is told for an item that was not admitted. Never more detail. */
export type RejectReason = 'invalid' | 'expired' | 'not_authorised' | 'opted_out';
export const REJECT_REASONS: readonly RejectReason[] = ['invalid', 'expired', 'not_authorised', 'opted_out'];

export type BulkRoute = 'api' | 'file';

export interface TokenBatch {
  route: BulkRoute;
  /** The authenticated sender (API key, or the drop prefix the file was found under). */
  senderSiteId: number;
  segment: string;
  tokens: readonly string[];
}

export interface BatchOutcome {
  /** Items now members of the segment (durable). */
  written: number;
  /** Items held durably until the operator can answer their opt-out check; admitted or dropped then. */
  held: number;
  /** Items not admitted, by index into `tokens`, with a coarse reason. */
  rejected: Array<{ index: number; reason: RejectReason }>;
}

/** Rejects (StoreError) when the batch could not be made durable; then nothing was acknowledged. */
export type IngestBatch = (batch: TokenBatch) => Promise<BatchOutcome>;

export interface IntakeDeps {
  decrypter: TokenDecrypter;
  acl: SenderAcl;
  gate: Pick<OptoutGate, 'cached' | 'checkMany'>;
  store: SegmentStore;
  metrics: CollectorMetrics;
}

function reasonOf(status: DecryptionStatus): RejectReason {
  if (status === 'ExpiredToken') return 'expired';
  if (status === 'NotAuthorizedForKey' || status === 'NotAuthorizedForMasterKey') return 'not_authorised';
  return 'invalid';
}

// TODO(issue-11): this is the seam that the collector's shared intake path replaces. Until it lands,
// it runs the same steps as the pixel handler on the same parts (decrypter, acl, gate, store).
export function createBatchIntake(deps: IntakeDeps): IngestBatch {
  const { decrypter, acl, gate, store, metrics } = deps;
  return async ({ route, senderSiteId, segment, tokens }) => {
    const rejected: BatchOutcome['rejected'] = [];
    const reject = (index: number, reason: RejectReason) => {
      rejected.push({ index, reason });
      metrics.bulkItem(route, reason);
    };
    const granted = acl.allows(senderSiteId, segment);
    const events: SegmentEvent[] = [];
    const indexOf: number[] = [];
    const at = Date.now();
    for (let i = 0; i < tokens.length; i++) {
      // decrypt
      const r = decrypter.decrypt(tokens[i]!);
      metrics.decrypt(r.siteId, r.status);
      if (r.status !== 'Success' || r.uid === null || r.siteId === null) {
        reject(i, reasonOf(r.status));
        continue;
      }
      // authorise: the token is the delivering sender's own, and that sender may write the segment
      if (r.siteId !== senderSiteId || !granted) {
        reject(i, 'not_authorised');
        continue;
      }
      events.push({ uid: r.uid, segment, senderSiteId, kind: route, at, identityType: r.identityType ?? 'Email', tokenVersion: r.tokenVersion ?? 4 });
      indexOf.push(i);
    }
    // opt-out: cached verdicts first, then one operator round for the rest (or hold them if it is down)
    const cached = events.map((e) => gate.cached(e.uid));
    const unknown: string[] = [];
    for (let k = 0; k < events.length; k++) if (cached[k] === undefined) unknown.push(events[k]!.uid);
    let verdicts: Map<string, boolean> | null = new Map();
    if (unknown.length) {
      try {
        verdicts = await gate.checkMany(unknown);
      } catch {
        verdicts = null; // the operator cannot answer: unknown UID2s are held, as for pixels
      }
    }
    const writes: Promise<void>[] = [];
    let written = 0;
    let held = 0;
    for (let k = 0; k < events.length; k++) {
      const e = events[k]!;
      const c = cached[k];
      const optedOut = c !== undefined ? c === 'out' : verdicts?.get(e.uid);
      if (optedOut === true) {
        reject(indexOf[k]!, 'opted_out');
      } else if (optedOut === false) {
        writes.push(store.write(e));
        written++;
      } else {
        writes.push(store.hold(e));
        held++;
      }
    }
    // write: the answer waits for every item to be durable; one failure fails the whole batch
    await Promise.all(writes);
    if (written) metrics.written(segment, route, written);
    if (written) metrics.bulkItem(route, 'written', written);
    if (held) metrics.bulkItem(route, 'held', held);
    rejected.sort((a, b) => a.index - b.index);
    return { written, held, rejected };
  };
}
