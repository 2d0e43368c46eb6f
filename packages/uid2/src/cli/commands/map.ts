// uid2 map: emails, phones or their hashes -> raw UID2s through /v3/identity/map, one JSON object per
// line in input order. Values are hashed here (only hashes are sent), in requests of at most 5,000.
import { InvalidDiiError } from '../../dii/errors.ts';
import { IdentityMapV3Client } from '../../clients/identity-map-v3-client.ts';
import { IdentityMapV3Input } from '../../clients/identity-map-input.ts';
import { mapIdentitiesInBatches, MAX_IDENTIFIERS_PER_REQUEST } from '../../clients/identity-map-batches.ts';
import { UnmappedIdentityReason } from '../../clients/unmapped-identity.ts';
import { argsOrLines, LineWriter } from '../line-io.ts';
import { baseUrlArgument, EXIT_OK, parseCommandArgs, required, UsageError, type Command } from '../usage.ts';

const help = `Usage: uid2 map --base-url URL --api-key KEY --secret SECRET [--type TYPE] [--concurrency N] [VALUE ...]

Maps emails, phone numbers or their SHA-256 hashes to raw UID2s with POST /v3/identity/map and prints
one JSON object per value, in input order:
  {"input":"jane@example.com","status":"mapped","uid":"...","previousUid":null,"refreshFrom":MS}
  {"input":"optout@example.com","status":"unmapped","reason":"optout"}
reason is "optout", "invalid identifier" (also for values that fail local checks) or "unknown".
previousUid is the raw UID2 before the last salt rotation (less than 90 days ago), else null.
refreshFrom (Unix ms): map again after it; the raw UID2 does not change before.
Values come from the arguments, or else from standard input, one per line (blank lines are skipped).
Emails are normalised and phones checked here; only hashes leave the machine. Requests carry at most
5,000 values and are retried with backoff on 429 and 5xx. On a terminal, progress goes to stderr.

Options:
  --base-url URL     operator base URL, e.g. http://localhost:8080     (env UID2_BASE_URL)
  --api-key KEY      API key of a MAPPER participant                    (env UID2_API_KEY)
  --secret SECRET    the participant's client secret, base64             (env UID2_SECRET)
  --type TYPE        auto (default: "+..." is a phone, anything else an email), email, phone,
                     email_hash or phone_hash (base64 or hex SHA-256 of the normalised value)
  --concurrency N    requests in flight at once (default 4, at most 20)
  -h, --help         show this help

Exit status: 0 when every value was answered (whatever its status), 1 when the operator call fails,
2 for usage errors.`;

const TYPES = ['auto', 'email', 'phone', 'email_hash', 'phone_hash'] as const;
type ValueType = (typeof TYPES)[number];

/** Values read before a round of requests: enough for every worker, small enough to stream. */
const CHUNK_BATCHES = 5;

function addValue(input: IdentityMapV3Input, type: ValueType, value: string): boolean {
  try {
    if (type === 'email' || (type === 'auto' && !value.startsWith('+'))) input.withEmail(value);
    else if (type === 'phone' || type === 'auto') input.withPhone(value);
    else if (type === 'email_hash') input.withHashedEmail(value);
    else input.withHashedPhone(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidDiiError) return false;
    throw error;
  }
}

export const mapCommand: Command = {
  name: 'map',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('map', argv, {
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      type: { type: 'string' },
      concurrency: { type: 'string' },
    });
    const type = (values.type ?? 'auto') as ValueType;
    if (!TYPES.includes(type)) throw new UsageError(`uid2 map: --type must be one of ${TYPES.join(', ')}, got ${JSON.stringify(values.type)}`);
    const concurrency = Number(values.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 20) {
      throw new UsageError(`uid2 map: --concurrency must be an integer from 1 to 20, got ${JSON.stringify(values.concurrency)}`);
    }
    const client = new IdentityMapV3Client({
      baseUrl: baseUrlArgument(required('map', 'base-url', values['base-url'], 'UID2_BASE_URL')),
      apiKey: required('map', 'api-key', values['api-key'], 'UID2_API_KEY'),
      secret: required('map', 'secret', values.secret, 'UID2_SECRET'),
    });
    const writer = new LineWriter(process.stdout);
    const chunkSize = MAX_IDENTIFIERS_PER_REQUEST * Math.max(CHUNK_BATCHES, concurrency);
    // Progress on a terminal only: a pipe or a log file gets no carriage returns.
    const progress = process.stderr.isTTY ? (n: number) => process.stderr.write(`\ruid2 map: ${n.toLocaleString('en-US')} values mapped`) : null;
    let mappedBefore = 0;
    let chunk: string[] = [];
    const flush = async () => {
      const input = new IdentityMapV3Input();
      const valid = chunk.map((value) => addValue(input, type, value));
      const onProgress = progress ? (done: number) => progress(mappedBefore + done) : undefined;
      const result = await mapIdentitiesInBatches(client, input, { concurrency, ...(onProgress ? { onProgress } : {}) });
      for (const [i, value] of chunk.entries()) await writer.writeLine(resultLine(value, valid[i]!, result));
      mappedBefore += input.size;
      chunk = [];
    };
    for await (const value of argsOrLines(positionals, process.stdin)) {
      chunk.push(value);
      if (chunk.length >= chunkSize) await flush();
    }
    if (chunk.length > 0) await flush();
    await writer.flush();
    if (progress && mappedBefore > 0) process.stderr.write('\n');
    return EXIT_OK;
  },
};

function resultLine(value: string, valid: boolean, result: Awaited<ReturnType<IdentityMapV3Client['generateIdentityMap']>>): string {
  const mapped = valid ? result.mappedIdentities.get(value) : undefined;
  if (mapped) {
    return JSON.stringify({
      input: value,
      status: 'mapped',
      uid: mapped.currentRawUid,
      previousUid: mapped.previousRawUid,
      refreshFrom: mapped.refreshFrom.getTime(),
    });
  }
  const reason = valid ? (result.unmappedIdentities.get(value)?.reason ?? UnmappedIdentityReason.UNKNOWN) : UnmappedIdentityReason.INVALID_IDENTIFIER;
  return JSON.stringify({ input: value, status: 'unmapped', reason });
}
