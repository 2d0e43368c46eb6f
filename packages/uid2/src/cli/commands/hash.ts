// uid2 hash-email / hash-phone: the normalised value and its base64 SHA-256, as /v2/token/generate,
// /v2/identity/map and CSTG take them.
import { isNormalizedPhone, normalizeEmail } from '../../dii/normalize.ts';
import { sha256Base64 } from '../../dii/hash.ts';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, type Command } from '../usage.ts';

function oneValue(command: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(`uid2 ${command}: expected exactly one VALUE, got ${positionals.length}. See: uid2 ${command} --help`);
  }
  return positionals[0]!;
}

const emailHelp = `Usage: uid2 hash-email VALUE

Normalises an email address the way the UID2 operator does (lower-cases A-Z, trims leading and
trailing spaces; for gmail.com removes dots and +suffix) and prints
  {"normalized":"...","hash":"<base64 SHA-256>"}
Exit status 1 with a message when VALUE is not a valid email address.

Options:
  -h, --help        show this help`;

const phoneHelp = `Usage: uid2 hash-phone VALUE

Checks that VALUE is an E.164 phone number ('+' then 10-15 digits 0-9, nothing else; phones cannot be
normalised automatically) and prints
  {"normalized":"...","hash":"<base64 SHA-256>"}
Exit status 1 with a message when VALUE is not E.164.

Options:
  -h, --help        show this help`;

/** A command that checks/normalises one value and prints it with its hash. */
function hashCommand(name: string, help: string, normalize: (value: string) => string | null, invalid: string): Command {
  return {
    name,
    help,
    async run(argv) {
      const { positionals } = parseCommandArgs(name, argv, {});
      const normalized = normalize(oneValue(name, positionals));
      if (normalized === null) {
        // The message describes the rule, not the value (which may be someone's email or phone).
        process.stderr.write(`uid2 ${name}: ${invalid}\n`);
        return EXIT_FAILED;
      }
      process.stdout.write(JSON.stringify({ normalized, hash: sha256Base64(normalized) }) + '\n');
      return EXIT_OK;
    },
  };
}

export const hashEmailCommand = hashCommand(
  'hash-email',
  emailHelp,
  normalizeEmail,
  'not a valid email address (it needs one "@" with text on both sides)',
);

export const hashPhoneCommand = hashCommand(
  'hash-phone',
  phoneHelp,
  (phone) => (isNormalizedPhone(phone) ? phone : null),
  'not an E.164 phone number: "+" then 10-15 digits 0-9, no spaces or symbols (e.g. +12345678901)',
);
