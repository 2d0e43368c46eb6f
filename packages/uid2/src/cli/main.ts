// The `uid2` command line (bin/uid2.mjs loads this file through tsx). One file per command in
// commands/; this file only dispatches, prints the top-level help and maps errors to exit codes.
import { Uid2Error } from '../errors.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command } from './usage.ts';

interface CommandEntry {
  name: string;
  summary: string;
  /** Loaded on use: `uid2 hash-email` need not compile the token codec and its schema library. */
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: 'decrypt', summary: 'decrypt UID2 tokens with a keys file (JSON lines out)', load: async () => (await import('./commands/decrypt.ts')).decryptCommand },
  { name: 'encrypt', summary: 'encrypt raw UID2s into sharing tokens (JSON lines out)', load: async () => (await import('./commands/encrypt.ts')).encryptCommand },
  { name: 'hash-email', summary: 'normalise and hash an email address', load: async () => (await import('./commands/hash.ts')).hashEmailCommand },
  { name: 'hash-phone', summary: 'check and hash an E.164 phone number', load: async () => (await import('./commands/hash.ts')).hashPhoneCommand },
  { name: 'map', summary: 'map emails, phones or hashes to raw UID2s (JSON lines out)', load: async () => (await import('./commands/map.ts')).mapCommand },
  { name: 'share', summary: 'send raw UID2s as sharing tokens: share api (bulk API) or share file (dir / S3)', load: async () => (await import('./commands/share.ts')).shareCommand },
  { name: 'keys', summary: 'fetch a keys body from an operator (for --keys FILE)', load: async () => (await import('./commands/keys.ts')).keysCommand },
];

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: uid2 <command> [options]',
    '',
    'UID2 tokens, keys and DII from the command line.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'uid2 <command> --help' for a command's options.",
    'Environment: UID2_BASE_URL, UID2_API_KEY, UID2_SECRET (fallbacks for uid2 keys, map and share), UID2_SENDER_KEY (share api).',
  ].join('\n');
}

/** `--help` / `-h` anywhere before a `--` separator. */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    const text = topic === undefined ? topLevelHelp() : (await topic.load()).help;
    // Without any argument this is a usage error: help goes to stderr and the exit status is 2.
    (name === undefined ? process.stderr : process.stdout).write(text + '\n');
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    process.stderr.write(`uid2: unknown command ${JSON.stringify(name)}\n\n${topLevelHelp()}\n`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (wantsHelp(rest)) {
    process.stdout.write(command.help + '\n');
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(error.message.startsWith('uid2 ') ? `${error.message}\n` : `uid2 ${name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof Uid2Error) {
      // Library errors never carry secrets, tokens or DII in their messages.
      process.stderr.write(`uid2 ${name}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

// `uid2 decrypt ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  throw error;
});

process.exitCode = await run(process.argv.slice(2));
