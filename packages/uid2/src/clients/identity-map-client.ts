// /v2/identity/map and /v2/identity/buckets (identity-map.md §2, §3; deprecated by the operator on
// 2026-09-30 in favour of /v3/identity/map): one kind of hashed identifier per request, answered as
// mapped {identifier, advertising_id, bucket_id} and unmapped {identifier, reason}; and the salt
// buckets rotated since a time, for callers that re-map by bucket.
import { checkBaseUrl } from './base-url.ts';
import { Uid2ResponseError } from './errors.ts';
import type { IdentityMapInput } from './identity-map-input.ts';
import { postEnveloped, type OperatorHttpOptions } from './operator-http.ts';
import { unmappedIdentity, type IdentityMapResult } from './unmapped-identity.ts';

const MAP = '/v2/identity/map';
const BUCKETS = '/v2/identity/buckets';

export type IdentityMapClientOptions = OperatorHttpOptions;

export interface MappedIdentity {
  rawUid: string;
  bucketId: string;
}

export type IdentityMapResponse = IdentityMapResult<MappedIdentity>;

export interface IdentityBucket {
  bucketId: string;
  /** As the operator sends it: UTC `yyyy-MM-ddTHH:mm:ss.SSS`, no zone suffix. */
  lastUpdated: string;
}

export class IdentityMapClient {
  readonly #options: IdentityMapClientOptions;

  constructor(options: IdentityMapClientOptions) {
    checkBaseUrl(options.baseUrl);
    this.#options = options;
  }

  /** Maps the input's identifiers (one request). Throws the transport errors of postEnveloped or Uid2ResponseError. */
  async generateIdentityMap(input: IdentityMapInput): Promise<IdentityMapResponse> {
    const answer = await postEnveloped(this.#options, MAP, input.toRequestBody());
    if (answer.status !== 'success') throw new Uid2ResponseError(MAP, `status "${answer.status}"`);
    const body = (answer.body ?? {}) as { mapped?: unknown; unmapped?: unknown };
    const result: IdentityMapResponse = { mappedIdentities: new Map(), unmappedIdentities: new Map() };
    for (const [i, item] of listOf(body.mapped, 'mapped').entries()) {
      const { identifier, advertising_id, bucket_id } = item;
      if (typeof identifier !== 'string' || typeof advertising_id !== 'string' || typeof bucket_id !== 'string') {
        throw new Uid2ResponseError(MAP, `mapped[${i}] is not {identifier, advertising_id, bucket_id}`);
      }
      for (const key of inputsOf(input, identifier)) result.mappedIdentities.set(key, { rawUid: advertising_id, bucketId: bucket_id });
    }
    for (const [i, item] of listOf(body.unmapped, 'unmapped').entries()) {
      const { identifier, reason } = item;
      if (typeof identifier !== 'string' || typeof reason !== 'string') throw new Uid2ResponseError(MAP, `unmapped[${i}] is not {identifier, reason}`);
      for (const key of inputsOf(input, identifier)) result.unmappedIdentities.set(key, unmappedIdentity(reason));
    }
    return result;
  }

  /** The buckets rotated at or after `since` (sent as UTC ISO local date-time, as the SDKs do). */
  async getIdentityBuckets(since: Date): Promise<IdentityBucket[]> {
    if (Number.isNaN(since.getTime())) throw new RangeError('since is an invalid Date');
    const answer = await postEnveloped(this.#options, BUCKETS, { since_timestamp: since.toISOString().slice(0, 23) });
    if (answer.status !== 'success') throw new Uid2ResponseError(BUCKETS, `status "${answer.status}"`);
    if (!Array.isArray(answer.body)) throw new Uid2ResponseError(BUCKETS, 'body is not an array');
    return answer.body.map((item: unknown, i) => {
      const { bucket_id, last_updated } = (item ?? {}) as Record<string, unknown>;
      if (typeof bucket_id !== 'string' || typeof last_updated !== 'string') throw new Uid2ResponseError(BUCKETS, `[${i}] is not {bucket_id, last_updated}`);
      return { bucketId: bucket_id, lastUpdated: last_updated };
    });
  }
}

function listOf(value: unknown, name: string): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Uid2ResponseError(MAP, `body.${name} is not an array`);
  return value.map((v) => (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>);
}

/** The caller's values for an echoed identifier (the hash we sent); an identifier we never sent is a bad answer. */
function inputsOf(input: IdentityMapInput, identifier: string): readonly string[] {
  const inputs = input.inputsFor(identifier);
  if (inputs.length === 0) throw new Uid2ResponseError(MAP, 'answer names an identifier that was not sent');
  return inputs;
}
