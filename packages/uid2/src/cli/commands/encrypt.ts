// uid2 encrypt: raw UID2s -> sharing tokens, one JSON object per line.
import { encryptRawUid } from '../../token/index.ts';
import { loadKeyRing } from '../keys-file.ts';
import { mapToLines } from '../line-io.ts';
import { EXIT_OK, parseCommandArgs, parseNow, required, UsageError, type Command } from '../usage.ts';

const help = `Usage: uid2 encrypt --keys FILE [--now MS|ISO] [--keyset-id N] [RAW_UID2 ...]

Encrypts raw UID2s into sharing tokens with the keys in FILE (a /v2/key/sharing body) and prints one
JSON object per raw UID2, in input order:
  {"status":"Success","token":"..."}        token is null when status is not Success
Raw UID2s come from the arguments, or else from standard input, one per line (blank lines are skipped).

Options:
  --keys FILE       a /v2/key/sharing response body (as printed by 'uid2 keys')
  --now MS|ISO      the time to encrypt at (default: now)
  --keyset-id N     encrypt with this keyset instead of the body's default_keyset_id
  -h, --help        show this help

Exit status: 0 when every value was processed (whatever its status), 2 for usage or keys-file errors.`;

export const encryptCommand: Command = {
  name: 'encrypt',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('encrypt', argv, {
      keys: { type: 'string' },
      now: { type: 'string' },
      'keyset-id': { type: 'string' },
    });
    const now = parseNow('encrypt', values.now);
    let keysetId: number | undefined;
    if (values['keyset-id'] !== undefined) {
      keysetId = Number(values['keyset-id']);
      if (!/^-?\d+$/.test(values['keyset-id']) || !Number.isSafeInteger(keysetId)) {
        throw new UsageError(`uid2 encrypt: --keyset-id must be an integer, got ${JSON.stringify(values['keyset-id'])}`);
      }
    }
    const ring = await loadKeyRing(required('encrypt', 'keys', values.keys), (line) => process.stderr.write(line + '\n'));
    await mapToLines(positionals, process.stdin, process.stdout, (rawUid) => {
      const { status, token } = encryptRawUid(rawUid, ring, { now, keysetId });
      return JSON.stringify({ status, token });
    });
    return EXIT_OK;
  },
};
