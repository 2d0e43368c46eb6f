// Command-line parsing for `collector`: a command word, then flags. Unknown flags are usage errors.
import { parseArgs } from 'node:util';
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

export function parseCommandLine(argv: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    segment: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    sender: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of Object.keys(FLAG_FIELDS)) options[name] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const word = positionals[0] ?? 'serve';
  if (word !== 'serve' && word !== 'export' && word !== 'sender-key' && word !== 'help') {
    throw new UsageError(`unknown command "${word}" (commands: serve, export, sender-key)`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const flags: Record<string, string | undefined> = {};
  for (const name of Object.keys(FLAG_FIELDS)) flags[name] = str(name);
  if (word !== 'export') {
    for (const k of ['segment', 'format', 'out']) if (str(k) !== undefined) throw new UsageError(`--${k} belongs to the export command`);
  }
  if (word !== 'sender-key' && str('sender') !== undefined) throw new UsageError('--sender belongs to the sender-key command');
  return {
    command: values.help ? 'help' : word,
    sender: str('sender'),
    configFile: str('config'),
    flags,
    exportOptions: { segment: str('segment'), format: str('format'), out: str('out') },
  };
}
