// uid2 keys: fetch a /v2/key/sharing (or /v2/key/bidstream) body through the v2 envelope and print it,
// ready to be the --keys FILE of decrypt/encrypt.
import { chmod, writeFile } from 'node:fs/promises';
import { postEnveloped } from '../../clients/operator-http.ts';
import { Uid2ResponseError } from '../../clients/errors.ts';
import { KeyRing } from '../../keys/index.ts';
import { baseUrlArgument, EXIT_OK, parseCommandArgs, required, UsageError, type Command } from '../usage.ts';

const help = `Usage: uid2 keys --base-url URL --api-key KEY --secret SECRET [--bidstream] [--out FILE]

Fetches the keys this participant may use from a UID2 operator (POST /v2/key/sharing, or
/v2/key/bidstream with --bidstream) through the v2 envelope, checks the body and prints it as JSON.
The body holds key secrets: prefer --out, which writes FILE with mode 0600, to a shell redirect.

Options:
  --base-url URL    operator base URL, e.g. http://localhost:8080     (env UID2_BASE_URL)
  --api-key KEY     API key of a SHARER or ID_READER participant       (env UID2_API_KEY)
  --secret SECRET   the participant's client secret, base64             (env UID2_SECRET)
                    (environment variables keep credentials out of 'ps' and shell history)
  --bidstream       fetch /v2/key/bidstream instead of /v2/key/sharing
  --out FILE        write the body to FILE (mode 0600) instead of standard output
  -h, --help        show this help

Exit status: 0 on success, 1 when the operator call fails, 2 for usage errors.`;

export const keysCommand: Command = {
  name: 'keys',
  help,
  async run(argv) {
    const { values } = parseCommandArgs('keys', argv, {
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      bidstream: { type: 'boolean' },
      out: { type: 'string' },
    });
    const options = {
      baseUrl: baseUrlArgument(required('keys', 'base-url', values['base-url'], 'UID2_BASE_URL')),
      apiKey: required('keys', 'api-key', values['api-key'], 'UID2_API_KEY'),
      secret: required('keys', 'secret', values.secret, 'UID2_SECRET'),
    };
    const path = values.bidstream ? '/v2/key/bidstream' : '/v2/key/sharing';
    const answer = await postEnveloped(options, path);
    if (answer.status !== 'success') throw new Uid2ResponseError(path, `status "${answer.status}"`);
    const ring = KeyRing.fromResponseBody(answer.body);
    const text = JSON.stringify(answer.body, null, 2) + '\n';
    if (values.out === undefined) {
      process.stdout.write(text);
    } else {
      try {
        await writeFile(values.out, text, { mode: 0o600 });
        await chmod(values.out, 0o600); // `mode` only applies when the file is created
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new UsageError(`cannot write ${values.out}${typeof code === 'string' ? ` (${code})` : ''}`);
      }
      process.stderr.write(`uid2 keys: wrote ${ring.size} keys to ${values.out}\n`);
    }
    return EXIT_OK;
  },
};
