// Key lookups for sealing and opening, and the rotation job (new keys, then dropping keys no token needs).
import type { KeySchedule, TokenLifetimes } from '../config.ts';
import { OperatorError } from '../errors.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { MASTER_KEYSET_ID, REFRESH_KEYSET_ID, type KeyRecord } from '../state/model.ts';
import type { OperatorStore } from '../state/store.ts';
import { activeKey, defaultKeysetOf, ensureActiveKeys, pruneKeys, rotateKeys, type RetentionMs } from './keys.ts';

/** A key ready for crypto: its record plus the decoded secret. */
export interface UsableKey {
  id: number;
  keysetId: number;
  siteId: number;
  created: number;
  activates: number;
  expires: number;
  secret: Uint8Array;
}

export interface RotateOptions {
  keysetIds?: number[];
  /** Activate the new keys at once instead of after the activation lead. */
  activateNow?: boolean;
  user?: string;
}

export class KeyService {
  readonly #store: OperatorStore;
  readonly #schedule: KeySchedule;
  readonly #retention: RetentionMs;
  readonly #audit: AuditTrail;
  readonly #metrics: OperatorMetrics;
  readonly #now: () => number;
  #byId = new Map<number, UsableKey>();
  #indexedKeys: KeyRecord[] | null = null;

  constructor(store: OperatorStore, schedule: KeySchedule, lifetimes: TokenLifetimes, metrics: OperatorMetrics, now: () => number) {
    this.#store = store;
    this.#schedule = schedule;
    this.#audit = store.audit;
    this.#metrics = metrics;
    this.#now = now;
    const skewMs = lifetimes.allowClockSkewSeconds * 1000;
    this.#retention = {
      sealedToken: Math.max(lifetimes.identityExpiresAfterSeconds, lifetimes.sharingTokenExpirySeconds) * 1000 + skewMs,
      refreshToken: lifetimes.refreshExpiresAfterSeconds * 1000 + skewMs,
    };
  }

  /** Any key the operator still holds, by id (for opening tokens sealed earlier). */
  keyById(id: number): UsableKey | null {
    this.#reindex();
    return this.#byId.get(id) ?? null;
  }

  masterKey(now: number): UsableKey {
    return this.#active(MASTER_KEYSET_ID, now, 'master');
  }

  refreshKey(now: number): UsableKey {
    return this.#active(REFRESH_KEYSET_ID, now, 'refresh');
  }

  /** The active key of the site's default keyset: the site key of tokens issued for that site. */
  siteKey(siteId: number, now: number): UsableKey {
    const keyset = defaultKeysetOf(this.#store.state.keysets, siteId);
    if (!keyset) throw new OperatorError('NO_ACTIVE_KEY', 'No active encryption key available');
    return this.#active(keyset.keysetId, now, `site ${siteId}`);
  }

  /** Scheduled job: a new key per keyset if one is due, then drop keys nothing can need any more. */
  tick(): void {
    const now = this.#now();
    const due = this.#schedule.rotationIntervalMs > 0 && now - this.#store.state.lastRotation >= this.#schedule.rotationIntervalMs;
    if (due) this.rotate({ user: 'scheduler' });
    else this.maintain();
  }

  /** Makes sure every keyset can seal now and prunes expired keys; saves only if something changed. */
  maintain(): void {
    const now = this.#now();
    const state = this.#store.state;
    const added = ensureActiveKeys(state, now, this.#schedule);
    const removed = pruneKeys(state, now, this.#retention);
    if (added.length || removed.length) {
      this.#store.save();
      this.#metrics.keysPruned.inc(removed.length);
    }
  }

  rotate(options: RotateOptions = {}): KeyRecord[] {
    const now = this.#now();
    const schedule = options.activateNow ? { ...this.#schedule, activationLeadMs: 0 } : this.#schedule;
    const { added, removed } = this.#store.mutate((state) => ({
      added: rotateKeys(state, now, schedule, options.keysetIds),
      removed: pruneKeys(state, now, this.#retention),
    }));
    this.#metrics.keyRotations.inc();
    this.#metrics.keysPruned.inc(removed.length);
    this.#audit.record(options.user ?? 'admin', 'Rotate Keys', {
      added: added.map((k) => ({ id: k.id, keysetId: k.keysetId, activates: k.activates, expires: k.expires })),
      removed: removed.map((k) => k.id),
    });
    return added;
  }

  #active(keysetId: number, now: number, what: string): UsableKey {
    // A lapse (clock jump, long sleep between scheduler ticks) is healed on demand, not answered with a 500.
    if (!activeKey(this.#store.state.keys, keysetId, now)) this.maintain();
    const record = activeKey(this.#store.state.keys, keysetId, now);
    const key = record ? this.keyById(record.id) : null;
    if (!key) throw new OperatorError('NO_ACTIVE_KEY', `No active encryption key available (${what})`);
    return key;
  }

  #reindex(): void {
    const keys = this.#store.state.keys;
    if (this.#indexedKeys === keys && this.#byId.size === keys.length) return;
    const siteOf = new Map(this.#store.state.keysets.map((k) => [k.keysetId, k.siteId]));
    this.#byId = new Map(
      keys.map((k) => [
        k.id,
        { id: k.id, keysetId: k.keysetId, siteId: siteOf.get(k.keysetId) ?? 0, created: k.created, activates: k.activates, expires: k.expires, secret: Buffer.from(k.secret, 'base64') },
      ]),
    );
    this.#indexedKeys = keys;
  }
}
