// A batch's decrypt results as columns of numbers plus one array of raw UID2s: what a decrypt thread
// sends back to the main thread. A typed array moves between threads without a copy, where 5,000
// result objects would each be serialised and rebuilt.
import type { DecryptionStatus, KeyRing, TokenKeyIds } from '@uid2-pixels/uid2';
// The token module alone: a decrypt thread loads only what it runs (the package index loads every client).
import { decryptToken } from '@uid2-pixels/uid2/token';
import type { DecryptedBatch, OpenedToken } from './decrypter.ts';

/** Numbers per token in `DecryptColumns.numbers`. */
const WIDTH = 6;
const IDENTITY_TYPES = [null, 'Email', 'Phone'] as const;

export interface DecryptColumns {
  /** The distinct statuses of the batch; `numbers` holds an index into it. */
  statuses: DecryptionStatus[];
  /** Per token: status index, site id, identity type index, token version, master key id, site key id; NaN for null. */
  numbers: Float64Array<ArrayBuffer>;
  /** Per token: the raw UID2, or null. */
  uids: Array<string | null>;
}

const orNaN = (v: number | null) => (v === null ? NaN : v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** Decrypts every token as SharingClient.decrypt does (sharing lifetime rules), at `now`. */
export function decryptColumns(tokens: readonly string[], ring: KeyRing | null, now: number): DecryptColumns {
  const numbers = new Float64Array(tokens.length * WIDTH);
  const uids = new Array<string | null>(tokens.length);
  const statuses: DecryptionStatus[] = [];
  const keyIds: TokenKeyIds = { masterKeyId: null, siteKeyId: null };
  const options = { now, client: 'sharing' as const, keyIds };
  let last: DecryptionStatus | null = null;
  let lastIndex = 0;
  for (let i = 0, o = 0; i < tokens.length; i++, o += WIDTH) {
    const r = decryptToken(tokens[i]!, ring, options);
    if (r.status !== last) {
      last = r.status;
      lastIndex = statuses.indexOf(last);
      if (lastIndex < 0) lastIndex = statuses.push(last) - 1;
    }
    numbers[o] = lastIndex;
    numbers[o + 1] = orNaN(r.siteId);
    numbers[o + 2] = IDENTITY_TYPES.indexOf(r.identityType);
    numbers[o + 3] = orNaN(r.tokenVersion);
    numbers[o + 4] = orNaN(keyIds.masterKeyId);
    numbers[o + 5] = orNaN(keyIds.siteKeyId);
    uids[i] = r.uid;
  }
  return { statuses, numbers, uids };
}

/** Reads columns back one token at a time, into one reused result object. */
export function readColumns({ statuses, numbers, uids }: DecryptColumns): DecryptedBatch {
  const result: OpenedToken = { status: 'NotInitialized', uid: null, siteId: null, identityType: null, tokenVersion: null };
  return {
    length: uids.length,
    at(i, keyIds) {
      const o = i * WIDTH;
      result.status = statuses[numbers[o]!]!;
      result.siteId = orNull(numbers[o + 1]!);
      result.identityType = IDENTITY_TYPES[numbers[o + 2]!]!;
      result.tokenVersion = orNull(numbers[o + 3]!) as OpenedToken['tokenVersion'];
      keyIds.masterKeyId = orNull(numbers[o + 4]!);
      keyIds.siteKeyId = orNull(numbers[o + 5]!);
      result.uid = uids[i]!;
      return result;
    },
  };
}
