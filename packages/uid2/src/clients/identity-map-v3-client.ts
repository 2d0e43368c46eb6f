// /v3/identity/map (identity-map.md §1): hashed emails and phones in one request through the binary
// envelope; each answer is {u, p, r} (current raw UID2, previous raw UID2 or null, refresh-from in
// seconds) or {e} (why not), positionally aligned with what was sent. Results are keyed by the caller's
// input values; duplicates all get the answer of their hash.
import { checkBaseUrl } from './base-url.ts';
import { Uid2ResponseError } from './errors.ts';
import type { IdentityMapV3Input } from './identity-map-input.ts';
import { postEnveloped, type OperatorHttpOptions } from './operator-http.ts';
import { unmappedIdentity, type IdentityMapResult } from './unmapped-identity.ts';

const PATH = '/v3/identity/map';
const BODY_KEYS = new Set(['email', 'email_hash', 'phone', 'phone_hash']);

export type IdentityMapV3ClientOptions = OperatorHttpOptions;

export interface MappedIdentityV3 {
  /** The raw UID2 now (base64). */
  currentRawUid: string;
  /** The raw UID2 before the bucket's last rotation, if that was less than 90 days ago; else null. */
  previousRawUid: string | null;
  /** Map this identity again after this time: its raw UID2 does not change before. */
  refreshFrom: Date;
}

export type IdentityMapV3Response = IdentityMapResult<MappedIdentityV3>;

export class IdentityMapV3Client {
  readonly #options: IdentityMapV3ClientOptions;

  constructor(options: IdentityMapV3ClientOptions) {
    checkBaseUrl(options.baseUrl);
    this.#options = options;
  }

  /**
   * Maps every identifier of the input in one request (at most 5,000 per request is the operator's
   * guidance: use mapIdentitiesInBatches for more). Throws the transport errors of postEnveloped
   * (Uid2HttpError carries the operator's status and message), or Uid2ResponseError for a bad answer.
   */
  async generateIdentityMap(input: IdentityMapV3Input): Promise<IdentityMapV3Response> {
    const request = input.toRequestBody();
    const answer = await postEnveloped(this.#options, PATH, request, { binary: true });
    if (answer.status !== 'success') throw new Uid2ResponseError(PATH, `status "${answer.status}"`);
    return readV3Body(answer.body, request, input);
  }
}

function readV3Body(
  body: unknown,
  sent: { email_hash: string[]; phone_hash: string[] },
  input: IdentityMapV3Input,
): IdentityMapV3Response {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Uid2ResponseError(PATH, 'body is not an object');
  const result: IdentityMapV3Response = { mappedIdentities: new Map(), unmappedIdentities: new Map() };
  for (const [type, answers] of Object.entries(body)) {
    if (!BODY_KEYS.has(type)) throw new Uid2ResponseError(PATH, `unexpected body key "${type}"`);
    if (!Array.isArray(answers)) throw new Uid2ResponseError(PATH, `body.${type} is not an array`);
    const hashes = type === 'email_hash' || type === 'phone_hash' ? sent[type] : [];
    if (answers.length !== hashes.length) throw new Uid2ResponseError(PATH, `body.${type} has ${answers.length} answers for ${hashes.length} identifiers`);
    answers.forEach((answer: unknown, i) => {
      const entry = readEntry(answer, `${type}[${i}]`);
      for (const key of input.inputsFor(hashes[i]!)) {
        if ('e' in entry) result.unmappedIdentities.set(key, unmappedIdentity(entry.e));
        else result.mappedIdentities.set(key, entry);
      }
    });
  }
  return result;
}

/** {u, p, r} with all three keys (p may be null), or {e}; anything else is a malformed answer. */
function readEntry(value: unknown, where: string): MappedIdentityV3 | { e: string } {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.e === 'string') return { e: v.e };
  const { u, p, r } = v;
  if (typeof u !== 'string' || !('p' in v) || (p !== null && typeof p !== 'string') || typeof r !== 'number' || !Number.isFinite(r)) {
    throw new Uid2ResponseError(PATH, `${where} is neither {u, p, r} nor {e}`);
  }
  return { currentRawUid: u, previousRawUid: p, refreshFrom: new Date(r * 1000) };
}
