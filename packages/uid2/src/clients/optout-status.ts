// /v2/optout/status (operator-api.md §3.7): which raw UID2s have opted out, and since when.
// Roles MAPPER, SHARER or ID_READER. Large inputs are sent in batches the operator accepts.
import { checkBaseUrl } from './base-url.ts';
import { postEnveloped, type OperatorHttpOptions } from './operator-http.ts';
import { Uid2ResponseError } from './errors.ts';

const PATH = '/v2/optout/status';
/** The operator's default `optout_status_max_request_size`. */
export const DEFAULT_OPTOUT_BATCH_SIZE = 5000;

export interface OptOutStatusClientOptions extends OperatorHttpOptions {
  /** Raw UID2s per request. Default 5000, the operator's limit. */
  batchSize?: number;
}

export class OptOutStatusClient {
  readonly #options: OptOutStatusClientOptions;
  readonly #batchSize: number;

  constructor(options: OptOutStatusClientOptions) {
    checkBaseUrl(options.baseUrl);
    this.#options = options;
    this.#batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_OPTOUT_BATCH_SIZE));
  }

  /**
   * Maps every given raw UID2 to the time it opted out (ms) or null when it has not. Duplicates are
   * asked once. Throws the transport errors of postEnveloped, or Uid2ResponseError for a bad answer.
   */
  async getOptOutStatus(rawUids: readonly string[]): Promise<Map<string, number | null>> {
    const result = new Map<string, number | null>();
    for (const rawUid of rawUids) result.set(rawUid, null);
    // Without duplicates (the usual case) the input is sent as it is: no copy of up to 5,000 ids.
    const unique = result.size === rawUids.length ? rawUids : [...result.keys()];
    for (let start = 0; start < unique.length; start += this.#batchSize) {
      const batch = unique.length <= this.#batchSize ? unique : unique.slice(start, start + this.#batchSize);
      // The binary envelope (operator-api.md §1): up to 5,000 UID2s are ~250 kB, which base64 would make
      // a third larger and cost an encode here and a decode at the operator.
      const answer = await postEnveloped(this.#options, PATH, { advertising_ids: batch }, { binary: true });
      if (answer.status !== 'success') throw new Uid2ResponseError(PATH, `status "${answer.status}"`);
      for (const entry of optedOutEntries(answer.body)) {
        // Only ids we asked about; an operator answering others would be a bug, not data.
        if (result.has(entry.advertising_id)) result.set(entry.advertising_id, entry.opted_out_since);
      }
    }
    return result;
  }
}

/** One-shot form of OptOutStatusClient#getOptOutStatus. */
export function getOptOutStatus(
  options: OptOutStatusClientOptions,
  rawUids: readonly string[],
): Promise<Map<string, number | null>> {
  return new OptOutStatusClient(options).getOptOutStatus(rawUids);
}

function optedOutEntries(body: unknown): Array<{ advertising_id: string; opted_out_since: number }> {
  const list = (body as { opted_out?: unknown } | null)?.opted_out;
  if (!Array.isArray(list)) throw new Uid2ResponseError(PATH, 'body has no "opted_out" array');
  return list.map((entry: unknown, index) => {
    const { advertising_id, opted_out_since } = (entry ?? {}) as Record<string, unknown>;
    if (typeof advertising_id !== 'string' || typeof opted_out_since !== 'number' || !Number.isFinite(opted_out_since)) {
      throw new Uid2ResponseError(PATH, `opted_out[${index}] is not {advertising_id, opted_out_since}`);
    }
    return { advertising_id, opted_out_since };
  });
}
