// The one decision path every way into the collector goes through (pixels today, the bulk API and file
// drops next): decrypt -> authorise -> declared segment -> opt-out -> durable write. It takes a batch
// of items (one for a pixel, thousands for a bulk request) and resolves with one outcome per item, in
// order, once every item that is going to be kept is durable. The whole batch joins one group commit.
//
// Outcomes are coarse on purpose: they say what a sender may learn about its own item (a bulk API can
// report them), never which check inside decryption failed. A pixel caller learns nothing from them at
// all: the pixel answer is the same for every final outcome (see pixel/response.ts).
//
// Nothing answered is lost: an item is only ever reported as final ('written', 'held', or a drop
// reason) once nothing more can happen to it. When it cannot be decided now (no sharing keys yet,
// keys all expired, store not committing) the outcome is retryable and nothing of it was kept.
import type { DecryptionStatus, TokenKeyIds } from '@uid2-pixels/uid2';
import type { Admission, SenderAcl } from '../authorise.ts';
import type { OpenedToken, TokenDecrypter } from '../decrypter.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { OptoutGate } from '../optout-gate.ts';
import type { KeyOwners } from '../status/key-owners.ts';
import type { EventKind, SegmentEvent, SegmentStore } from '../store/segment-store.ts';

/** Where a batch's raw UID2s should go, and who may send them. */
export interface Destination {
  /** The segment named by the sender; omitted: the sender's default segment for this kind. */
  segment?: string | undefined;
  kind: EventKind;
  /**
   * The site the caller proved it is (a bulk API key, a file drop's bucket). A token encrypted by any
   * other site is 'not_authorised'. Omitted for pixels, where the token itself is the only proof.
   */
  expectedSiteId?: number | undefined;
}

/** One thing to take in: a token and where its raw UID2 should go (a pixel). */
export interface IntakeItem extends Destination {
  /** A UID2 (or EUID) advertising or sharing token, as received. */
  token: string;
}

/**
 * Tokens that all go to the same place (a bulk request, a chunk of a dropped file): one array of
 * strings, not an object per item.
 */
export interface IntakeBatch extends Destination {
  tokens: readonly string[];
}

/** What became of one item. */
export type IntakeOutcome =
  /** A member of its segment, durably. */
  | 'written'
  /** Durable, waiting for its opt-out status; joins its segment (or is dropped) later. */
  | 'held'
  /** Not a token we can open, or any check inside decryption failed. Nothing kept. */
  | 'invalid'
  /** The token's lifetime is over. Nothing kept. */
  | 'expired'
  /** The sender may not write that segment, or did not share its key with us, or is not who the caller said. */
  | 'not_authorised'
  /** The segment is not declared in the config (or its pattern is full). Counted, nothing kept. */
  | 'undeclared_segment'
  /** The UID2 opted out. Nothing kept. */
  | 'opted_out'
  /** Retryable: no sharing keys yet, or all of them expired. Nothing kept. */
  | 'not_ready'
  /** Retryable: the store could not make it durable. Nothing kept. */
  | 'store_unavailable';

/** Outcomes after which the same item should be sent again later; nothing of it was kept. */
export function isRetryable(outcome: IntakeOutcome): boolean {
  return outcome === 'not_ready' || outcome === 'store_unavailable';
}

export interface IntakeOptions {
  /**
   * How a UID2 whose opt-out status is not cached is decided:
   *  'defer' (pixels): held durably now and decided off the answer path, so a new UID2 is answered as
   *          fast as a known one (the answer's timing must not say whether a person was seen recently);
   *  'wait'  (bulk): the whole batch's uncached UID2s are asked in one operator call first; the ones the
   *          operator cannot answer for are held.
   * Default 'defer'.
   */
  optout?: 'defer' | 'wait';
  /** Arrival time stamped on the events, ms. Default Date.now(). */
  now?: number;
}

export interface IntakeDeps {
  decrypter: TokenDecrypter;
  acl: SenderAcl;
  gate: Pick<OptoutGate, 'cached' | 'askUncached'>;
  store: SegmentStore;
  metrics: CollectorMetrics;
  /** Called after events were held, so their opt-out decision runs soon (the held resolver). */
  onHeld?: () => void;
  /** Called when the store fails a commit (the caller rate-limits logging). Never given an event. */
  onStoreError?: (err: Error) => void;
  /** Names the sender of a token we could not open by its key id (the status page's attribution). */
  keyOwners?: Pick<KeyOwners, 'senderOf'>;
}

/**
 * Batches of at least this many tokens go to the decrypter's decryptMany (a thread) when it has one:
 * below it, posting to a thread and back costs more than it saves.
 */
const DECRYPT_MANY_MIN = 32;

/** What decryption failures say, coarsely. */
function failedDecryption(status: DecryptionStatus): IntakeOutcome {
  switch (status) {
    case 'NotInitialized':
    case 'KeysNotSynced':
      return 'not_ready';
    case 'ExpiredToken':
      return 'expired';
    case 'NotAuthorizedForKey':
      return 'not_authorised';
    default:
      return 'invalid';
  }
}

/** What submit decided synchronously, by item index. */
interface Decided {
  outcomes: IntakeOutcome[];
  events: Array<SegmentEvent | undefined>;
  senders: Array<number | null>;
  /** Items whose UID2's opt-out status is not cached. */
  uncached: number[];
}

export class Intake {
  /** Filled by each decrypt (the loop is synchronous, so one is enough). */
  private readonly keyIds: TokenKeyIds = { masterKeyId: null, siteKeyId: null };

  constructor(private readonly deps: IntakeDeps) {}

  /** One item (a pixel). */
  async submitOne(item: IntakeItem, options?: IntakeOptions): Promise<IntakeOutcome> {
    return (await this.submit({ tokens: [item.token], segment: item.segment, kind: item.kind, expectedSiteId: item.expectedSiteId }, options))[0]!;
  }

  /**
   * Decides every token and makes the kept ones durable in one group commit. Resolves with one outcome
   * per token, in order. Never rejects: when the commit fails, every item not already durable is
   * 'store_unavailable' (see commit()).
   *
   * `batch.tokens` are read only during this call, before it returns (decrypt, authorise and the cached
   * opt-out are synchronous, or the tokens are copied to a decrypt thread): a caller may release them
   * as soon as it has the promise. The bulk routes do, so a batch's 5,000 token strings do not stay
   * live through the opt-out call and the commit, where every young-generation GC would copy them.
   */
  submit(batch: IntakeBatch, options: IntakeOptions = {}): Promise<IntakeOutcome[]> {
    const { tokens, segment, kind, expectedSiteId } = batch;
    const count = tokens.length;
    if (count === 0) return Promise.resolve([]);
    const { decrypter } = this.deps;
    // A batch is decrypted off the main thread when the decrypter can (decrypt-threads.ts); the rest
    // of the path is the same. The tokens are copied before decryptMany returns.
    if (count >= DECRYPT_MANY_MIN && decrypter.decryptMany !== undefined) {
      const at = options.now ?? Date.now();
      return decrypter
        .decryptMany(tokens)
        .then((opened) => this.settleDecided(this.decide(count, { segment, kind, expectedSiteId }, at, (i, keyIds) => opened.at(i, keyIds)), options));
    }
    let decided: Decided;
    try {
      decided = this.decide(count, batch, options.now ?? Date.now(), (i, keyIds) => decrypter.decrypt(tokens[i]!, keyIds));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.settleDecided(decided, options);
  }

  /**
   * The synchronous part of submit: decrypt (or read what was decrypted: `open`) -> authorise ->
   * declared segment -> cached opt-out, for items 0 to count - 1.
   */
  private decide(count: number, { segment, kind, expectedSiteId }: Destination, at: number, open: (i: number, keyIds: TokenKeyIds) => OpenedToken): Decided {
    const { acl, gate, metrics } = this.deps;
    const outcomes = new Array<IntakeOutcome>(count);
    const events: Array<SegmentEvent | undefined> = new Array(count);
    /** The site id each token names (or its key's owner; null when unknown): outcomes are counted by sender. */
    const senders = new Array<number | null>(count).fill(null);
    const uncached: number[] = [];
    // Decrypt results are counted per run of equal (sender, status): one metrics call for a typical batch.
    let runSite: number | null = null;
    let runStatus: DecryptionStatus | null = null;
    let run = 0;
    // The segment and kind are the batch's, so the admission only changes with the token's site.
    let admittedSite: number | null = null;
    let admission: Admission | null = null;
    for (let i = 0; i < count; i++) {
      // decrypt
      const result = open(i, this.keyIds);
      // The sender: the site the token names, or for one we cannot open, the site its key belonged to.
      const sender = this.deps.keyOwners ? this.deps.keyOwners.senderOf(result, this.keyIds) : result.siteId;
      if (sender !== runSite || result.status !== runStatus) {
        if (run > 0) metrics.decrypt(runSite, runStatus!, run);
        runSite = sender;
        runStatus = result.status;
        run = 0;
      }
      run++;
      senders[i] = sender;
      if (result.status !== 'Success' || result.uid === null || result.siteId === null) {
        outcomes[i] = failedDecryption(result.status);
        continue;
      }
      // authorise: the caller's proven site, then the sender's grant, then the declared segments
      if (expectedSiteId !== undefined && expectedSiteId !== result.siteId) {
        outcomes[i] = 'not_authorised';
        continue;
      }
      if (admission === null || admittedSite !== result.siteId) {
        admission = acl.admit(result.siteId, segment, kind);
        admittedSite = result.siteId;
      }
      if (!admission.ok) {
        outcomes[i] = admission.outcome;
        continue;
      }
      const event: SegmentEvent = {
        uid: result.uid,
        segment: admission.segment,
        senderSiteId: result.siteId,
        kind,
        at,
        identityType: result.identityType ?? 'Email',
        tokenVersion: result.tokenVersion ?? 4,
      };
      events[i] = event;
      // opt-out, when already known
      const cached = gate.cached(event.uid);
      if (cached === 'in') outcomes[i] = 'written';
      else if (cached === 'out') outcomes[i] = 'opted_out';
      else uncached.push(i);
    }

    if (run > 0) metrics.decrypt(runSite, runStatus!, run);
    return { outcomes, events, senders, uncached };
  }

  /** The asynchronous part of submit: uncached opt-outs, the durable commit, the outcome metrics. */
  private async settleDecided({ outcomes, events, senders, uncached }: Decided, options: IntakeOptions): Promise<IntakeOutcome[]> {
    if (uncached.length > 0) await this.decideUncached(uncached, events, outcomes, options.optout ?? 'defer');
    await this.commit(events, outcomes);
    let start = 0;
    for (let i = 1; i <= outcomes.length; i++) {
      if (i === outcomes.length || outcomes[i] !== outcomes[start] || senders[i] !== senders[start]) {
        this.deps.metrics.outcome(outcomes[start]!, senders[start]!, i - start);
        start = i;
      }
    }
    return outcomes;
  }

  /** Opt-out for UID2s not in the cache: asked now ('wait'), or held and asked later ('defer'). */
  private async decideUncached(
    indexes: number[],
    events: Array<SegmentEvent | undefined>,
    outcomes: IntakeOutcome[],
    mode: 'defer' | 'wait',
  ): Promise<void> {
    if (mode === 'wait') {
      let optedOut: boolean[] | null = null;
      try {
        optedOut = await this.deps.gate.askUncached(indexes.map((i) => events[i]!.uid));
      } catch {
        optedOut = null; // the operator cannot answer: hold them all
      }
      for (let k = 0; k < indexes.length; k++) {
        outcomes[indexes[k]!] = optedOut === null ? 'held' : optedOut[k] ? 'opted_out' : 'written';
      }
      return;
    }
    for (const i of indexes) outcomes[i] = 'held';
  }

  /**
   * Answers a request that carried no item (it did not parse) the way an item would be answered: on
   * the same commit tick, with the same retryable failure when there is one, else 'invalid'.
   */
  async settle(): Promise<IntakeOutcome> {
    // What a token would get now from the keys alone (no keys, or all expired), before any parsing.
    const status = this.deps.decrypter.decrypt('').status;
    if (status === 'NotInitialized' || status === 'KeysNotSynced') return 'not_ready';
    try {
      await this.deps.store.sync();
      return 'invalid';
    } catch (err) {
      this.storeFailed(err);
      return 'store_unavailable';
    }
  }

  /** Time (ms) of the last failed commit, or 0: readiness uses it. */
  get lastStoreFailureAt(): number {
    return this.storeFailureAt;
  }

  private storeFailureAt = 0;

  private storeFailed(err: unknown): void {
    this.storeFailureAt = Date.now();
    this.deps.onStoreError?.(err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * One durable step for the whole batch: memberships written and undecided events held in one group
   * commit, which every other item waits for too (sync), so that the time to an answer does not say
   * what was decided. If the commit fails, every item not already durable becomes 'store_unavailable'
   * (retryable), whatever else was decided: a caller must not tell a refusal from a failure by it,
   * and sending an item again is harmless (writes merge, holds are decided twice the same way).
   */
  private async commit(events: Array<SegmentEvent | undefined>, outcomes: IntakeOutcome[]): Promise<void> {
    const { store } = this.deps;
    const written: SegmentEvent[] = [];
    const held: SegmentEvent[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      if (o === 'written') written.push(events[i]!);
      else if (o === 'held') held.push(events[i]!);
    }
    // One promise per kind of record for the whole batch: both join the same group commit.
    const writing = written.length ? store.writeMany(written) : null;
    const holding = held.length ? store.holdMany(held) : null;
    // Nothing to keep, or some items keep nothing: they wait for the same commit. (not_ready batches too:
    // the keys are missing for every item alike, but a store failure must still be reported.)
    const syncing = written.length + held.length < outcomes.length ? store.sync() : null;
    const [w, h, y] = await Promise.allSettled([writing, holding, syncing]);
    const writeFailed = w!.status === 'rejected';
    const holdFailed = h!.status === 'rejected';
    const failure: unknown =
      w!.status === 'rejected' ? w!.reason : h!.status === 'rejected' ? h!.reason : y!.status === 'rejected' ? y!.reason : null;
    if (failure !== null) {
      for (let i = 0; i < outcomes.length; i++) {
        const o = outcomes[i]!;
        if (o === 'written') {
          if (writeFailed) outcomes[i] = 'store_unavailable';
        } else if (o === 'held') {
          if (holdFailed) outcomes[i] = 'store_unavailable';
        } else if (o !== 'not_ready') outcomes[i] = 'store_unavailable';
      }
      this.storeFailed(failure);
    }
    if (!writeFailed) countRuns(written, sameSegmentAndKind, (e, n) => this.deps.metrics.written(e.segment, e.kind, n));
    if (held.length) this.deps.onHeld?.();
  }
}

const sameSegmentAndKind = (a: SegmentEvent, b: SegmentEvent) => a.segment === b.segment && a.kind === b.kind;

/**
 * Calls `count` once per run of consecutive items that are `same`, with the run's length: a batch is
 * almost always one segment and one sender, so its metrics cost one call, not one per item.
 */
function countRuns<T>(items: readonly T[], same: (a: T, b: T) => boolean, count: (first: T, n: number) => void): void {
  let start = 0;
  for (let i = 1; i < items.length; i++) {
    if (!same(items[start]!, items[i]!)) {
      count(items[start]!, i - start);
      start = i;
    }
  }
  if (items.length) count(items[start]!, items.length - start);
}
