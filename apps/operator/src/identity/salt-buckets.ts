// Salt buckets in the real salt file's line format (spec §7):
//   id, last_updated_ms, current_salt, refresh_from_ms, previous_salt,
//   cur_key_id, cur_key, cur_key_salt, prev_key_id, prev_key, prev_key_salt
// A bucket with a current salt gives v2/v3 raw UIDs; one with only key material gives v4.
import { randomBytes } from 'node:crypto';
import Hashids from 'hashids';
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
  lastUpdated: number;
  currentSalt: string | null;
  refreshFrom: number | null;
  currentKey: V4KeyMaterial | null;
}

export type RawUidVersion = 2 | 3;

export const FIRST_BUCKET_ID = 1_000_000;

function optionalInt(field: string | undefined, line: number): number | null {
  if (field === undefined || field === '') return null;
  const n = Number(field);
  if (!Number.isSafeInteger(n)) throw new OperatorError('BAD_STATE', `salt line ${line}: not an integer: ${field}`);
  return n;
}

export function parseSaltLine(text: string, lineNo = 0): SaltBucket {
  const f = text.split(',');
  const id = optionalInt(f[0], lineNo);
  if (id === null) throw new OperatorError('BAD_STATE', `salt line ${lineNo}: missing id`);
  const keyId = optionalInt(f[5], lineNo);
  const currentKey = keyId !== null && f[6] && f[7] ? { id: keyId, key: f[6], salt: f[7] } : null;
  const currentSalt = f[2] ? f[2] : null;
  if (currentSalt === null && currentKey === null) {
    throw new OperatorError('BAD_STATE', `salt line ${lineNo}: neither a salt nor key material`);
  }
  return { id, lastUpdated: optionalInt(f[1], lineNo) ?? 0, currentSalt, refreshFrom: optionalInt(f[3], lineNo), currentKey };
}

export function formatSaltLine(b: SaltBucket): string {
  const key = b.currentKey;
  return [b.id, b.lastUpdated, b.currentSalt ?? '', b.refreshFrom ?? '', '', key?.id ?? '', key?.key ?? '', key?.salt ?? '', '', '', ''].join(',');
}

export function parseSaltLines(text: string): SaltBucket[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new OperatorError('BAD_STATE', 'salt file has no buckets');
  return lines.map((line, i) => parseSaltLine(line, i + 1));
}

export function generateSaltBuckets(count: number, now: number): SaltBucket[] {
  return Array.from({ length: count }, (_, i) => ({
    id: FIRST_BUCKET_ID + i,
    lastUpdated: now,
    currentSalt: randomBytes(32).toString('base64'),
    refreshFrom: null,
    currentKey: null,
  }));
}

export function generateSaltConfig(): SaltConfig {
  return { firstLevel: randomBytes(32).toString('base64'), idPrefix: 'b', idSecret: randomBytes(16).toString('hex') };
}

export interface MappedIdentity {
  firstLevelHash: Buffer;
  rawUid: Buffer;
  bucketId: string;
}

/** Maps identity hashes to first-level hashes and raw UID2s with one salt configuration. */
export class SaltBuckets {
  readonly #config: SaltConfig;
  readonly #buckets: readonly SaltBucket[];
  readonly #hashids: Hashids;
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
    this.#buckets = buckets;
    this.#hashids = new Hashids(config.idSecret, 9);
    this.#scope = options.scope ?? 'UID2';
    this.#version = options.rawUidVersion ?? 3;
    this.#environment = options.environment ?? 'test';
  }

  get scope(): Scope {
    return this.#scope;
  }

  firstLevelHash(identityHash: Uint8Array): Buffer {
    return firstLevelHash(identityHash, this.#config.firstLevel);
  }

  bucketFor(flh: Uint8Array): SaltBucket {
    return this.#buckets[saltBucketIndex(flh, this.#buckets.length)]!;
  }

  rawUidFromFirstLevelHash(flh: Uint8Array, kind: IdentityKind): Buffer {
    const bucket = this.bucketFor(flh);
    if (bucket.currentSalt !== null) {
      return this.#version === 2 ? rawUidV2(flh, bucket.currentSalt) : rawUidV3(flh, bucket.currentSalt, this.#scope, kind);
    }
    return rawUidV4(flh, bucket.currentKey!, this.#scope, kind, this.#environment);
  }

  map(identityHash: Uint8Array, kind: IdentityKind): MappedIdentity {
    const flh = this.firstLevelHash(identityHash);
    const bucket = this.bucketFor(flh);
    return { firstLevelHash: flh, rawUid: this.rawUidFromFirstLevelHash(flh, kind), bucketId: this.bucketId(bucket.id) };
  }

  bucketId(id: number): string {
    return this.#config.idPrefix + this.#hashids.encode(id);
  }
}
