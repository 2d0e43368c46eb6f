// Opt-out decisions (spec §6): records keyed by first-level hash, plus the documented test identities
// that behave the same on every operator. Matching is by first-level hash, so hashed inputs match too.
import { createHash } from 'node:crypto';
import type { OptoutRecord } from '../state/model.ts';
import type { SaltBuckets } from './salt-buckets.ts';

export type OptoutPurpose = 'generate' | 'refresh';

const NEVER = ['validate@example.com', '+12345678901'];
const ALWAYS = ['optout@example.com', '+00000000000'];
const ON_REFRESH = ['refresh-optout@example.com', '+00000000002'];

export const TEST_IDENTITIES = { never: NEVER, always: ALWAYS, onRefresh: ON_REFRESH } as const;

export class OptoutPolicy {
  readonly #never: Set<string>;
  readonly #always: Set<string>;
  readonly #onRefresh: Set<string>;
  /** Index of the stored records by first-level hash, rebuilt when the list is replaced or grows. */
  #indexed: { records: readonly OptoutRecord[]; size: number; flhs: Set<string> } | null = null;

  constructor(salts: SaltBuckets) {
    const flhOf = (dii: string) => salts.firstLevelHash(createHash('sha256').update(dii, 'utf8').digest()).toString('base64');
    this.#never = new Set(NEVER.map(flhOf));
    this.#always = new Set(ALWAYS.map(flhOf));
    this.#onRefresh = new Set(ON_REFRESH.map(flhOf));
  }

  isOptedOut(firstLevelHash: Uint8Array, purpose: OptoutPurpose, records: readonly OptoutRecord[]): boolean {
    const flh = Buffer.from(firstLevelHash).toString('base64');
    if (this.#never.has(flh)) return false;
    if (this.#always.has(flh)) return true;
    if (this.#onRefresh.has(flh)) return purpose === 'refresh';
    return this.#index(records).has(flh);
  }

  #index(records: readonly OptoutRecord[]): Set<string> {
    const cached = this.#indexed;
    if (cached && cached.records === records && cached.size === records.length) return cached.flhs;
    const flhs = new Set(records.map((r) => r.firstLevelHash));
    this.#indexed = { records, size: records.length, flhs };
    return flhs;
  }
}
