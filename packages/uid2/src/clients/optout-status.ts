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
    const unique = new Set(rawUids);
    // Without duplicates (the usual case) the input is sent as it is: no copy of up to 5,000 ids.
    const asked = unique.size === rawUids.length ? rawUids : [...unique];
    const times = await this.getOptOutTimes(asked);
    const result = new Map<string, number | null>();
    for (let i = 0; i < asked.length; i++) result.set(asked[i]!, times[i]!);
    return result;
  }

  /**
   * The time each given raw UID2 opted out (ms), or null when it has not: an array in the order given,
   * duplicates included (each is asked as given). For callers that hold their ids in an array (a
   * receiver deciding a batch): no map of every id is built, and when nobody in a request opted out
   * (the usual answer) no id is looked up at all. Throws as getOptOutStatus does.
   */
  async getOptOutTimes(rawUids: readonly string[]): Promise<Array<number | null>> {
    const times = new Array<number | null>(rawUids.length).fill(null);
    for (let start = 0; start < rawUids.length; start += this.#batchSize) {
      const batch = rawUids.length <= this.#batchSize ? rawUids : rawUids.slice(start, start + this.#batchSize);
      // The binary envelope (operator-api.md §1): up to 5,000 UID2s are ~250 kB, which base64 would make
      // a third larger and cost an encode here and a decode at the operator.
      const answer = await postEnveloped(this.#options, PATH, { advertising_ids: batch }, { binary: true });
      if (answer.status !== 'success') throw new Uid2ResponseError(PATH, `status "${answer.status}"`);
      const entries = optedOutEntries(answer.body);
      if (entries.length === 0) continue;
      // Only ids we asked about are taken; an operator answering others would be a bug, not data.
      const since = new Map(entries.map((e) => [e.advertising_id, e.opted_out_since]));
      for (let i = 0; i < batch.length; i++) {
        const t = since.get(batch[i]!);
        if (t !== undefined) times[start + i] = t;
      }
    }
    return times;
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
