// uid2 share api | uid2 share file: a sender's raw UID2s -> sharing tokens -> a receiver, over its bulk
// API or as token files in a directory or S3 prefix. One JSON summary line on stdout at the end; a
// progress line on stderr when it is a terminal; exit 1 when anything was not delivered.
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { SharingClient } from '../../clients/sharing-client.ts';
import { shareViaApi } from '../../share/api.ts';
import type { SharingEncrypter } from '../../share/encrypt-stream.ts';
import { parseDestination, shareViaFiles } from '../../share/file.ts';
import { encryptRawUid } from '../../token/index.ts';
import { loadKeyRing } from '../keys-file.ts';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, required, UsageError, type Command } from '../usage.ts';

const help = `Usage:
  uid2 share api  --to URL --segment NAME [options] [FILE]
  uid2 share file --to DIR|s3://BUCKET/PREFIX --segment NAME [options] [FILE]

Reads raw UID2s (one per line, from FILE or standard input), encrypts each into a sharing token with
this sender's sharing keys, and delivers the tokens to a receiver:
  api   POSTs batches to the receiver's bulk API (URL/share/v1/segments/NAME/tokens), gzipped, with
        bounded parallelism, retries with backoff, and an Idempotency-Key per batch so a retried
        batch counts once. The receiver's sender key is read from UID2_SENDER_KEY.
  file  writes gzipped token files (<to>/<NAME>/<stem>-00001.csv.gz, ...) into the prefix the receiver
        gave this sender: a directory, or an S3 prefix (credentials from the AWS environment).
        Each file is put in place whole (rename, or one PutObject), never half-written.
Raw UID2s never leave this machine; only tokens do.

Keys (one of):
  --base-url URL --api-key KEY --secret SECRET   fetch /v2/key/sharing (env UID2_BASE_URL, UID2_API_KEY,
                                                 UID2_SECRET; environment variables keep them out of 'ps')
  --keys FILE                                    a /v2/key/sharing body, as written by 'uid2 keys --out'

Options:
  --to URL|DIR|s3://BUCKET/PREFIX   where to deliver (api: the receiver's base URL)
  --segment NAME    the receiver's segment to fill
  --batch-size N    api: tokens per request (default 5000)
  --parallel N      api: requests in flight (default 4)
  --retries N       retries of one batch or file after the first attempt (default 10)
  --format F        file: csv (a "token" column) or ndjson (default csv)
  --name STEM       file: file name stem (default uid2-share-<UTC time>)
  --lines-per-file N  file: tokens per file at most (default 1000000)
  --endpoint URL    file: an S3-compatible endpoint instead of AWS
  --path-style      file: path-style S3 addressing (most S3-compatible servers need it)
  --region R        file: S3 region (default AWS_REGION or us-east-1)
  --quiet           no progress line
  -h, --help        show this help

Output: one JSON line, e.g. {"command":"share api","read":..,"delivered":..,"written":..,"held":..,
"rejected":{..},"undelivered":0,..}. Tokens the receiver rejected (opted out, ...) count as delivered.
Exit status: 0 when every line was encrypted and delivered, 1 when any was not, 2 for usage errors.`;

function positiveInt(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < (name === 'retries' ? 0 : 1)) {
    throw new UsageError(`uid2 ${command}: --${name} must be a ${name === 'retries' ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function* lines(file: string | undefined): AsyncGenerator<string> {
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  yield* createInterface({ input, crlfDelay: Infinity });
}

/** Progress on stderr when it is a terminal: read, delivered, rate. */
function progress(quiet: boolean): { update: (p: { read: number; delivered: number }) => void; done: () => void } {
  if (quiet || !process.stderr.isTTY) return { update: () => {}, done: () => {} };
  const started = performance.now();
  let last = 0;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      const rate = Math.round(p.delivered / ((now - started) / 1000));
      process.stderr.write(`\r\x1b[Kuid2 share: read ${p.read.toLocaleString('en')} · delivered ${p.delivered.toLocaleString('en')} · ${rate.toLocaleString('en')} tokens/s`);
    },
    done: () => process.stderr.write('\r\x1b[K'),
  };
}

async function encrypter(command: string, values: Record<string, string | boolean | undefined>): Promise<SharingEncrypter & { stop?: () => void }> {
  if (typeof values.keys === 'string') {
    const ring = await loadKeyRing(values.keys, (line) => process.stderr.write(line + '\n'));
    return { encrypt: (raw) => encryptRawUid(raw, ring, { now: Date.now() }) };
  }
  const client = new SharingClient({
    baseUrl: required(command, 'base-url', values['base-url'] as string | undefined, 'UID2_BASE_URL'),
    apiKey: required(command, 'api-key', values['api-key'] as string | undefined, 'UID2_API_KEY'),
    secret: required(command, 'secret', values.secret as string | undefined, 'UID2_SECRET'),
    refreshIntervalMs: 3_600_000,
  });
  await client.start(); // rejects with the operator's error: exit 1
  return { encrypt: (raw) => client.encrypt(raw), stop: () => client.stop() };
}

export const shareCommand: Command = {
  name: 'share',
  help,
  async run(argv) {
    const [mode, ...rest] = argv;
    if (mode !== 'api' && mode !== 'file') {
      throw new UsageError(`uid2 share: expected "api" or "file"${mode === undefined ? '' : `, got ${JSON.stringify(mode)}`}. See: uid2 share --help`);
    }
    const command = `share ${mode}`;
    const { values, positionals } = parseCommandArgs(command, rest, {
      to: { type: 'string' },
      segment: { type: 'string' },
      keys: { type: 'string' },
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      'batch-size': { type: 'string' },
      parallel: { type: 'string' },
      retries: { type: 'string' },
      format: { type: 'string' },
      name: { type: 'string' },
      'lines-per-file': { type: 'string' },
      endpoint: { type: 'string' },
      'path-style': { type: 'boolean' },
      region: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError(`uid2 ${command}: one input FILE at most. See: uid2 share --help`);
    const to = required(command, 'to', values.to);
    const segment = required(command, 'segment', values.segment);
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(segment)) throw new UsageError(`uid2 ${command}: --segment must be a segment name (letters, digits, . _ : -)`);
    const retries = positiveInt(command, 'retries', values.retries, 10);
    const input = positionals[0];
    if (input !== undefined && input !== '-') {
      try {
        await access(input, constants.R_OK);
      } catch (e) {
        throw new UsageError(`uid2 ${command}: cannot read ${input} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const bar = progress(values.quiet === true);
    let summary;
    if (mode === 'api') {
      if (!/^https?:\/\//.test(to)) throw new UsageError(`uid2 share api: --to must be the receiver's http(s) base URL`);
      const senderKey = required(command, 'sender-key', undefined, 'UID2_SENDER_KEY');
      const batchSize = positiveInt(command, 'batch-size', values['batch-size'], 5000);
      const parallel = positiveInt(command, 'parallel', values.parallel, 4);
      const sharing = await encrypter(command, values);
      try {
        summary = await shareViaApi({ rawUids: lines(input), sharing, url: to, senderKey, segment, batchSize, parallel, retries, onProgress: bar.update });
      } finally {
        sharing.stop?.();
      }
    } else {
      const format = values.format ?? 'csv';
      if (format !== 'csv' && format !== 'ndjson') throw new UsageError(`uid2 share file: --format must be csv or ndjson`);
      const dest = parseDestination(to);
      if (dest.kind === 's3') {
        if (values.endpoint !== undefined) dest.endpoint = values.endpoint;
        if (values.region !== undefined) dest.region = values.region;
        dest.forcePathStyle = values['path-style'] === true;
      } else if (values.endpoint !== undefined || values['path-style']) {
        throw new UsageError('uid2 share file: --endpoint and --path-style apply to an s3:// destination');
      }
      const linesPerFile = positiveInt(command, 'lines-per-file', values['lines-per-file'], 1_000_000);
      const sharing = await encrypter(command, values);
      try {
        summary = await shareViaFiles({ rawUids: lines(input), sharing, to: dest, segment, format, linesPerFile, retries, onProgress: bar.update, ...(values.name !== undefined && { name: values.name }) });
      } finally {
        sharing.stop?.();
      }
    }
    bar.done();
    process.stdout.write(JSON.stringify(summary) + '\n');
    return summary.undelivered === 0 && summary.notEncrypted === 0 ? EXIT_OK : EXIT_FAILED;
  },
};
