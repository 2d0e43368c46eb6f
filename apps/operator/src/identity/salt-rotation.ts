// Salt-bucket rotation: the scheduled job (a small share of due buckets per run, as production rotates
// about 1/365 of buckets a day) and forced rotations from the admin API and portal. A rotated bucket
// gives new raw UID2s; refresh tokens hold the first-level hash, so tokens issued before a rotation keep
// refreshing (into the new raw UID2), and opt-outs (keyed by first-level hash) keep applying.
import { DAY_MS } from '../config.ts';
import { OperatorError } from '../errors.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { OperatorStore } from '../state/store.ts';

export interface SaltSchedule {
  /** How often the scheduler rotates due buckets, ms. 0 turns scheduled salt rotation off. */
  intervalMs: number;
  /** At most this share of all buckets rotates per run. */
  fraction: number;
  /** A rotated (or checked and kept) bucket is due again this long after the run: its refresh_from. */
  cadenceMs: number;
}

export const DEFAULT_SALT_SCHEDULE: SaltSchedule = { intervalMs: DAY_MS, fraction: 1 / 365, cadenceMs: 30 * DAY_MS };

export interface SaltRotateRequest {
  /** Rotate these buckets (bucket_id strings as /v2/identity/map shows them). */
  bucketIds?: string[];
  /** Rotate this many buckets, least recently rotated first. */
  count?: number;
  /** Rotate this share (0..1] of all buckets, least recently rotated first. */
  fraction?: number;
  user?: string;
}

export interface SaltRotateResult {
  rotated: number;
  bucketIds: string[];
  refreshFrom: number;
}

export class SaltRotation {
  readonly #store: OperatorStore;
  readonly #schedule: SaltSchedule;
  readonly #metrics: OperatorMetrics;
  readonly #now: () => number;

  constructor(store: OperatorStore, schedule: SaltSchedule, metrics: OperatorMetrics, now: () => number) {
    if (!(schedule.fraction > 0 && schedule.fraction <= 1)) throw new OperatorError('BAD_CONFIG', 'salt rotation fraction must be in (0, 1]');
    if (!(schedule.intervalMs >= 0) || !(schedule.cadenceMs > 0)) throw new OperatorError('BAD_CONFIG', 'salt rotation interval must be >= 0 and cadence > 0');
    this.#store = store;
    this.#schedule = schedule;
    this.#metrics = metrics;
    this.#now = now;
  }

  get schedule(): SaltSchedule {
    return this.#schedule;
  }

  /** Scheduled job: rotate due buckets when a run is due, and forget previous salts older than 90 days. */
  tick(): void {
    const now = this.#now();
    const salts = this.#store.salts;
    const last = this.#store.state.lastSaltRotation;
    if (last === undefined) {
      // A data dir from before salt rotation: the schedule starts now.
      this.#store.mutate((s) => void (s.lastSaltRotation = now));
      return;
    }
    const runDue = this.#schedule.intervalMs > 0 && now - last >= this.#schedule.intervalMs;
    let changed = salts.forgetPrevious(now) > 0;
    if (runDue) {
      const due = this.#byAge().filter((i) => {
        const refreshFrom = salts.buckets[i]!.refreshFrom;
        return refreshFrom === null || refreshFrom <= now;
      });
      const n = Math.min(due.length, Math.ceil(salts.buckets.length * this.#schedule.fraction));
      const next = now + this.#schedule.cadenceMs;
      salts.rotate(due.slice(0, n), now, next);
      salts.postpone(due.slice(n), next);
      this.#metrics.saltBucketsRotated.inc(n);
      this.#store.audit.record('scheduler', 'Rotate Salts', { rotated: n, checked: due.length });
      changed = true;
    }
    if (changed) this.#store.saveSalts();
    if (runDue) this.#store.mutate((s) => void (s.lastSaltRotation = now));
  }

  /** Forced rotation (admin API, portal, tests): rotates now, whatever the buckets' refresh_from says. */
  rotate(request: SaltRotateRequest): SaltRotateResult {
    const now = this.#now();
    const salts = this.#store.salts;
    const total = salts.buckets.length;
    let indexes: number[];
    if (request.bucketIds !== undefined) {
      const byId = new Map(salts.buckets.map((b, i) => [salts.bucketId(b.id), i]));
      indexes = request.bucketIds.map((id) => {
        const index = byId.get(id);
        if (index === undefined) throw new OperatorError('NOT_FOUND', `no salt bucket ${id}`);
        return index;
      });
    } else {
      const n = request.count ?? Math.ceil(total * (request.fraction ?? this.#schedule.fraction));
      indexes = this.#byAge().slice(0, Math.max(0, Math.min(total, n)));
    }
    const refreshFrom = now + this.#schedule.cadenceMs;
    const rotated = salts.rotate(indexes, now, refreshFrom);
    this.#store.saveSalts();
    this.#metrics.saltBucketsRotated.inc(rotated);
    this.#store.audit.record(request.user ?? 'admin', 'Rotate Salts', { rotated, total });
    return { rotated, bucketIds: [...new Set(indexes)].map((i) => salts.bucketId(salts.buckets[i]!.id)), refreshFrom };
  }

  /** Bucket indexes, least recently rotated first (ties in file order). */
  #byAge(): number[] {
    const buckets = this.#store.salts.buckets;
    return buckets.map((_, i) => i).sort((a, b) => buckets[a]!.lastUpdated - buckets[b]!.lastUpdated || a - b);
  }
}
