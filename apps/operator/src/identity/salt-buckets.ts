// Salt buckets in the real salt file's line format (spec §7):
//   id, last_updated_ms, current_salt, refresh_from_ms, previous_salt,
//   cur_key_id, cur_key, cur_key_salt, prev_key_id, prev_key, prev_key_salt
// A bucket with a current salt gives v2/v3 raw UIDs; one with only key material gives v4. A rotated
// bucket keeps its previous salt (or key) so /v3/identity/map can answer the previous raw UID2 (`p`)
// for 90 days after the rotation.
import { randomBytes } from 'node:crypto';
import Hashids from 'hashids';
import { DAY_MS } from '../config.ts';
import { OperatorError } from '../errors.ts';
import type { SaltConfig } from '../state/model.ts';
import {
  firstLevelHash,
  rawUidV2,
  rawUidV3,
  rawUidV4,
  saltBucketIndex,
  type IdentityEnvironment,
  type IdentityKind,
  type Scope,
  type V4KeyMaterial,
} from './raw-uid.ts';

export interface SaltBucket {
  id: number;
  /** When the bucket last rotated, ms. */
  lastUpdated: number;
  currentSalt: string | null;
  /** Raw UID2s of this bucket do not change before this time, ms; null = no promise (answered as next UTC midnight). */
  refreshFrom: number | null;
  previousSalt: string | null;
  currentKey: V4KeyMaterial | null;
  previousKey: V4KeyMaterial | null;
}

export type RawUidVersion = 2 | 3;

const FIRST_BUCKET_ID = 1_000_000;
/** How long a rotated bucket's previous raw UID2 is still answered (`p` of /v3/identity/map). */
const PREVIOUS_SALT_DAYS = 90;
export const PREVIOUS_SALT_MS = PREVIOUS_SALT_DAYS * DAY_MS;

function optionalInt(field: string | undefined, line: number): number | null {
  if (field === undefined || field === '') return null;
  const n = Number(field);
  if (!Number.isSafeInteger(n)) throw new OperatorError('BAD_STATE', `salt line ${line}: not an integer: ${field}`);
  return n;
}

function keyMaterial(f: string[], at: number, line: number): V4KeyMaterial | null {
  const id = optionalInt(f[at], line);
  return id !== null && f[at + 1] && f[at + 2] ? { id, key: f[at + 1]!, salt: f[at + 2]! } : null;
}

export function parseSaltLine(text: string, lineNo = 0): SaltBucket {
  const f = text.split(',');
  const id = optionalInt(f[0], lineNo);
  if (id === null) throw new OperatorError('BAD_STATE', `salt line ${lineNo}: missing id`);
  const currentKey = keyMaterial(f, 5, lineNo);
  const currentSalt = f[2] ? f[2] : null;
  if (currentSalt === null && currentKey === null) {
    throw new OperatorError('BAD_STATE', `salt line ${lineNo}: neither a salt nor key material`);
  }
  return {
    id,
    lastUpdated: optionalInt(f[1], lineNo) ?? 0,
    currentSalt,
    refreshFrom: optionalInt(f[3], lineNo),
    previousSalt: f[4] ? f[4] : null,
    currentKey,
    previousKey: keyMaterial(f, 8, lineNo),
  };
}

export function formatSaltLine(b: SaltBucket): string {
  const cur = b.currentKey;
  const prev = b.previousKey;
  return [
    b.id,
    b.lastUpdated,
    b.currentSalt ?? '',
    b.refreshFrom ?? '',
    b.previousSalt ?? '',
    cur?.id ?? '',
    cur?.key ?? '',
    cur?.salt ?? '',
    prev?.id ?? '',
    prev?.key ?? '',
    prev?.salt ?? '',
  ].join(',');
}

export function parseSaltLines(text: string): SaltBucket[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new OperatorError('BAD_STATE', 'salt file has no buckets');
  return lines.map((line, i) => parseSaltLine(line, i + 1));
}

const newSalt = (): string => randomBytes(32).toString('base64');

/**
 * New buckets for a new data dir. Their refresh_from is spread over the rotation cadence (day 1 .. day
 * `cadenceDays`), so the scheduler finds a few buckets due each day instead of all of them at once.
 */
export function generateSaltBuckets(count: number, now: number, cadenceDays = 30): SaltBucket[] {
  return Array.from({ length: count }, (_, i) => ({
    id: FIRST_BUCKET_ID + i,
    lastUpdated: now,
    currentSalt: newSalt(),
    refreshFrom: now + ((i % cadenceDays) + 1) * DAY_MS,
    previousSalt: null,
    currentKey: null,
    previousKey: null,
  }));
}

export function generateSaltConfig(): SaltConfig {
  return { firstLevel: randomBytes(32).toString('base64'), idPrefix: 'b', idSecret: randomBytes(16).toString('hex') };
}

/** The next UTC midnight strictly after `now`, ms: what the operator answers when refresh_from has passed. */
export function nextUtcMidnight(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

export interface MappedIdentity {
  firstLevelHash: Buffer;
  rawUid: Buffer;
  bucketId: string;
}

/** A /v3/identity/map answer for one identity: current and previous raw UID2 and refresh-from (s). */
export interface MappedIdentityV3 {
  firstLevelHash: Buffer;
  rawUid: Buffer;
  /** The raw UID2 before the bucket's last rotation, if that was less than 90 days ago; else null. */
  previousRawUid: Buffer | null;
  /** Unix seconds. */
  refreshFrom: number;
}

/** Maps identity hashes to first-level hashes and raw UID2s, and rotates bucket salts. */
export class SaltBuckets {
  readonly #config: SaltConfig;
  readonly #buckets: SaltBucket[];
  readonly #hashids: Hashids;
  readonly #bucketIds = new Map<number, string>();
  readonly #scope: Scope;
  readonly #version: RawUidVersion;
  readonly #environment: IdentityEnvironment;

  constructor(
    config: SaltConfig,
    buckets: readonly SaltBucket[],
    options: { scope?: Scope; rawUidVersion?: RawUidVersion; environment?: IdentityEnvironment } = {},
  ) {
    if (buckets.length === 0) throw new OperatorError('BAD_STATE', 'no salt buckets');
    this.#config = config;
    this.#buckets = buckets.map((b) => ({ ...b }));
    this.#hashids = new Hashids(config.idSecret, 9);
    this.#scope = options.scope ?? 'UID2';
    this.#version = options.rawUidVersion ?? 3;
    this.#environment = options.environment ?? 'test';
  }

  get scope(): Scope {
    return this.#scope;
  }

  /** The buckets in file order (read only: change them through rotate/forgetPrevious). */
  get buckets(): readonly Readonly<SaltBucket>[] {
    return this.#buckets;
  }

  firstLevelHash(identityHash: Uint8Array): Buffer {
    return firstLevelHash(identityHash, this.#config.firstLevel);
  }

  bucketFor(flh: Uint8Array): Readonly<SaltBucket> {
    return this.#buckets[saltBucketIndex(flh, this.#buckets.length)]!;
  }

  #rawUid(flh: Uint8Array, kind: IdentityKind, salt: string | null, key: V4KeyMaterial | null): Buffer | null {
    if (salt !== null) return this.#version === 2 ? rawUidV2(flh, salt) : rawUidV3(flh, salt, this.#scope, kind);
    return key === null ? null : rawUidV4(flh, key, this.#scope, kind, this.#environment);
  }

  rawUidFromFirstLevelHash(flh: Uint8Array, kind: IdentityKind): Buffer {
    const bucket = this.bucketFor(flh);
    return this.#rawUid(flh, kind, bucket.currentSalt, bucket.currentKey)!;
  }

  map(identityHash: Uint8Array, kind: IdentityKind): MappedIdentity {
    const flh = this.firstLevelHash(identityHash);
    const bucket = this.bucketFor(flh);
    return { firstLevelHash: flh, rawUid: this.#rawUid(flh, kind, bucket.currentSalt, bucket.currentKey)!, bucketId: this.bucketId(bucket.id) };
  }

  /** The v3 mapping: `p` only within 90 days of the bucket's rotation, `r` = refresh_from or next UTC midnight. */
  mapV3(flh: Uint8Array, kind: IdentityKind, now: number): MappedIdentityV3 {
    const bucket = this.bucketFor(flh);
    const recent = now - bucket.lastUpdated < PREVIOUS_SALT_MS;
    const previousRawUid = recent ? this.#rawUid(flh, kind, bucket.previousSalt, bucket.previousKey) : null;
    const refreshFrom = bucket.refreshFrom !== null && bucket.refreshFrom > now ? bucket.refreshFrom : nextUtcMidnight(now);
    return {
      firstLevelHash: Buffer.from(flh),
      rawUid: this.#rawUid(flh, kind, bucket.currentSalt, bucket.currentKey)!,
      previousRawUid,
      refreshFrom: Math.floor(refreshFrom / 1000),
    };
  }

  bucketId(id: number): string {
    let text = this.#bucketIds.get(id);
    if (text === undefined) {
      text = this.#config.idPrefix + this.#hashids.encode(id);
      this.#bucketIds.set(id, text);
    }
    return text;
  }

  /**
   * Rotates the buckets at the given indexes: the current salt (or v4 key) becomes the previous one, a
   * new random one takes its place, last_updated = now and refresh_from = `refreshFrom`.
   */
  rotate(indexes: Iterable<number>, now: number, refreshFrom: number): number {
    // A loop, not Math.max(...spread): a spread of 2 ids per bucket overflows the call stack from about
    // 65,000 buckets, and the real operator has 1,048,576.
    let nextKeyId = 1;
    for (const b of this.#buckets) nextKeyId = Math.max(nextKeyId, (b.currentKey?.id ?? 0) + 1, (b.previousKey?.id ?? 0) + 1);
    let count = 0;
    for (const index of new Set(indexes)) {
      const b = this.#buckets[index];
      if (!b) continue;
      if (b.currentSalt !== null) {
        b.previousSalt = b.currentSalt;
        b.currentSalt = newSalt();
      } else {
        b.previousKey = b.currentKey;
        // v4 key material is used as text bytes: 32 characters each (spec §7 step 5).
        b.currentKey = { id: nextKeyId++, key: randomBytes(24).toString('base64'), salt: randomBytes(24).toString('base64') };
      }
      b.lastUpdated = now;
      b.refreshFrom = refreshFrom;
      count++;
    }
    return count;
  }

  /** Moves refresh_from of the given buckets (checked, not rotated) to `refreshFrom`. */
  postpone(indexes: Iterable<number>, refreshFrom: number): void {
    for (const index of indexes) {
      const b = this.#buckets[index];
      if (b) b.refreshFrom = refreshFrom;
    }
  }

  /** Drops previous salts/keys of buckets rotated 90 days ago or more; returns how many were dropped. */
  forgetPrevious(now: number): number {
    let count = 0;
    for (const b of this.#buckets) {
      if ((b.previousSalt !== null || b.previousKey !== null) && now - b.lastUpdated >= PREVIOUS_SALT_MS) {
        b.previousSalt = null;
        b.previousKey = null;
        count++;
      }
    }
    return count;
  }

  /** Buckets whose last rotation is at or after `since` (ms), as /v2/identity/buckets lists them. */
  modifiedSince(since: number): { bucketId: string; lastUpdated: number }[] {
    return this.#buckets.filter((b) => b.lastUpdated >= since).map((b) => ({ bucketId: this.bucketId(b.id), lastUpdated: b.lastUpdated }));
  }

  toFileText(): string {
    return this.#buckets.map(formatSaltLine).join('\n') + '\n';
  }
}
