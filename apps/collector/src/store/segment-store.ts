// The one interface every segment store implements, and the record shapes it stores.
// A store holds raw UID2s only (never tokens). Writes are group-committed: `write` resolves once the
// event is durable (fdatasync'd or acknowledged by Redis), so a pixel can be answered after it.
import type { IdentityType, TokenVersion } from '@uid2-pixels/uid2';

/** Pixels ('conversion', 'impression') and the bulk routes: a batch over the API ('api') or a dropped file ('file'). */
export type EventKind = 'conversion' | 'impression' | 'api' | 'file';

/** One pixel that decrypted, was authorised, and whose UID2 is (or may be) allowed in the segment. */
export interface SegmentEvent {
  uid: string;
  segment: string;
  senderSiteId: number;
  kind: EventKind;
  /** Arrival time, ms since the epoch. */
  at: number;
  identityType: IdentityType;
  tokenVersion: TokenVersion;
}

/** A UID2's membership of one segment. The details of the latest event are kept. */
export interface Member {
  uid: string;
  segment: string;
  firstSeen: number;
  lastSeen: number;
  senderSiteId: number;
  kind: EventKind;
  identityType: IdentityType;
  tokenVersion: TokenVersion;
}

/** An event held back because its opt-out status could not be checked (operator down). */
export interface HeldEvent {
  id: string;
  event: SegmentEvent;
}

export interface SegmentSize {
  segment: string;
  members: number;
}

export interface MembersOptions {
  /** Members whose lastSeen is older than now - ttl are expired and skipped. Default Date.now(). */
  now?: number;
  /** Members per yielded batch. Default 1000. */
  batchSize?: number;
}

export interface SegmentStore {
  /** 'file', 'redis', 'redis-cluster' or 'ipc' (a worker forwarding to the primary's store). */
  readonly kind: string;
  /** Membership lifetime in ms after the last event. */
  readonly ttlMs: number;
  open(): Promise<void>;
  /** Adds (or refreshes) a membership. Resolves once durable; rejects with StoreError if it is not. */
  write(event: SegmentEvent): Promise<void>;
  /**
   * write() for a whole batch: every event joins the same group commit, and the one promise resolves
   * once all of them are durable (rejects if the commit failed; then none is acknowledged). A bulk
   * request of 5,000 items costs one promise, not 5,000.
   */
  writeMany(events: readonly SegmentEvent[]): Promise<void>;
  /** Durably holds an event whose opt-out status is not known yet; it joins no segment until released. */
  hold(event: SegmentEvent): Promise<void>;
  /** hold() for a whole batch, in one group commit, one promise. */
  holdMany(events: readonly SegmentEvent[]): Promise<void>;
  /**
   * Resolves with the next group commit (one is made if none is pending), rejects if the store cannot
   * commit. A request that keeps nothing waits for this, so it is answered on the same tick, and with
   * the same success or failure, as one that keeps something.
   */
  sync(): Promise<void>;
  /** False while the store is known not to be able to commit (Redis disconnected, log not writable). */
  readonly healthy: boolean;
  /** Up to `limit` held events, oldest first. */
  held(limit: number): Promise<HeldEvent[]>;
  /** Drops held events by id, first writing the ones in `admit` as memberships. */
  release(ids: string[], admit: SegmentEvent[]): Promise<void>;
  /** Removes memberships (a UID2 found opted out at export). */
  remove(segment: string, uids: string[]): Promise<void>;
  /** Live (unexpired) members of one segment. */
  size(segment: string, now?: number): Promise<number>;
  /** Every segment with its live member count, sorted by name. */
  segments(now?: number): Promise<SegmentSize[]>;
  /** Live members of a segment, in batches. */
  members(segment: string, options?: MembersOptions): AsyncIterable<Member[]>;
  /** Number of held events. */
  heldCount(): Promise<number>;
  /** Finishes writes in progress and releases resources. Writes after close reject. */
  close(): Promise<void>;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Merges an event into an existing membership (or starts one). Order-independent, so replay is idempotent. */
export function mergeMember(existing: Member | undefined, e: SegmentEvent): Member {
  if (!existing) {
    return {
      uid: e.uid,
      segment: e.segment,
      firstSeen: e.at,
      lastSeen: e.at,
      senderSiteId: e.senderSiteId,
      kind: e.kind,
      identityType: e.identityType,
      tokenVersion: e.tokenVersion,
    };
  }
  if (e.at < existing.firstSeen) existing.firstSeen = e.at;
  if (e.at >= existing.lastSeen) {
    existing.lastSeen = e.at;
    existing.senderSiteId = e.senderSiteId;
    existing.kind = e.kind;
    existing.identityType = e.identityType;
    existing.tokenVersion = e.tokenVersion;
  }
  return existing;
}
