// Command-line parsing for `collector`: a command word, then flags (the project's flag parser, which
// names unknown flags with a suggestion and takes the `--` npm and pnpm forward).
import { ArgsError, closest, parseArgv, type FlagSpecs } from '@uid2-pixels/uid2/cli/args';
import { UsageError } from '../errors.ts';
import { FLAG_FIELDS } from '../config.ts';

export interface ParsedArgs {
  command: 'serve' | 'export' | 'sender-key' | 'help';
  configFile: string | undefined;
  /** Config flags by name (see FLAG_FIELDS). */
  flags: Record<string, string | undefined>;
  exportOptions: { segment: string | undefined; format: string | undefined; out: string | undefined };
  /** sender-key: the site id of the sender to issue a bulk API key to. */
  sender: string | undefined;
}

const COMMANDS = ['serve', 'export', 'sender-key', 'help'] as const;
const EXPORT_FLAGS = ['segment', 'format', 'out'] as const;

const SPECS: FlagSpecs = {
  config: { type: 'string' },
  sender: { type: 'string' },
  ...Object.fromEntries(EXPORT_FLAGS.map((name) => [name, { type: 'string' }])),
  ...Object.fromEntries(Object.keys(FLAG_FIELDS).map((name) => [name, { type: 'string' }])),
};

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgv(argv, SPECS, { maxPositionals: 1 });
  } catch (err) {
    if (err instanceof ArgsError) throw new UsageError(err.message);
    throw err;
  }
  const { values, positionals } = parsed;
  const word = positionals[0] ?? 'serve';
  if (!(COMMANDS as readonly string[]).includes(word)) {
    const near = closest(word, COMMANDS);
    throw new UsageError(`unknown command "${word}"${near ? ` (did you mean ${near}?)` : ''} (commands: serve, export, sender-key)`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const flags: Record<string, string | undefined> = {};
  for (const name of Object.keys(FLAG_FIELDS)) flags[name] = str(name);
  if (word !== 'export' && !values.help) {
    for (const k of EXPORT_FLAGS) if (str(k) !== undefined) throw new UsageError(`--${k} belongs to the export command`);
  }
  if (word !== 'sender-key' && str('sender') !== undefined) throw new UsageError('--sender belongs to the sender-key command');
  return {
    command: values.help || word === 'help' ? 'help' : (word as 'serve' | 'export' | 'sender-key'),
    sender: str('sender'),
    configFile: str('config'),
    flags,
    exportOptions: { segment: str('segment'), format: str('format'), out: str('out') },
  };
}
