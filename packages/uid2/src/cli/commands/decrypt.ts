// uid2 decrypt: tokens -> one JSON object per line, with the codec's status and fields.
import { decryptToken } from '../../token/index.ts';
import type { ClientKind, DecryptionResult } from '../../types.ts';
import { loadKeyRing } from '../keys-file.ts';
import { mapToLines } from '../line-io.ts';
import { EXIT_OK, parseCommandArgs, parseNow, required, UsageError, type Command } from '../usage.ts';

const help = `Usage: uid2 decrypt --keys FILE [--now MS|ISO] [--client sharing|bidstream] [--domain NAME] [TOKEN ...]

Decrypts UID2 tokens with the keys in FILE and prints one JSON object per token, in input order:
  {"status":"Success","uid":"...","siteId":1001,"established":MS,"identityType":"Email",
   "identityScope":"UID2","tokenVersion":4,"isClientSideGenerated":false,"expires":MS,"siteKeySiteId":-1}
Fields a status does not give are null. Times are Unix milliseconds.
Tokens come from the arguments, or else from standard input, one per line (blank lines are skipped).

Options:
  --keys FILE       a /v2/key/sharing or /v2/key/bidstream response body (as printed by 'uid2 keys')
  --now MS|ISO      the time to decrypt at (default: now)
  --client KIND     sharing (default) or bidstream: whose lifetime checks apply
  --domain NAME     bidstream only: the site domain or app name of the bid request
  -h, --help        show this help

Exit status: 0 when every token was processed (whatever its status), 2 for usage or keys-file errors.`;

/** The output line, keys in the documented order. */
export function decryptionLine(result: DecryptionResult): string {
  return JSON.stringify({
    status: result.status,
    uid: result.uid,
    siteId: result.siteId,
    established: result.established,
    identityType: result.identityType,
    identityScope: result.identityScope,
    tokenVersion: result.tokenVersion,
    isClientSideGenerated: result.isClientSideGenerated,
    expires: result.expires,
    siteKeySiteId: result.siteKeySiteId,
  });
}

export const decryptCommand: Command = {
  name: 'decrypt',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('decrypt', argv, {
      keys: { type: 'string' },
      now: { type: 'string' },
      client: { type: 'string' },
      domain: { type: 'string' },
    });
    const client = (values.client ?? 'sharing') as ClientKind;
    if (client !== 'sharing' && client !== 'bidstream') {
      throw new UsageError(`uid2 decrypt: --client must be sharing or bidstream, got ${JSON.stringify(values.client)}`);
    }
    const now = parseNow('decrypt', values.now);
    const ring = await loadKeyRing(required('decrypt', 'keys', values.keys), (line) => process.stderr.write(line + '\n'));
    const options = { now, client, domainOrAppName: values.domain };
    await mapToLines(positionals, process.stdin, process.stdout, (token) => decryptionLine(decryptToken(token, ring, options)));
    return EXIT_OK;
  },
};
