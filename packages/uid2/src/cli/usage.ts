// Argument parsing shared by the commands: the project's flag parser (args.ts), with errors that say
// which command was misused and point at its --help. Exit codes: 0 done, 1 failed (bad input value,
// operator error), 2 usage or configuration error (unknown option, unreadable or malformed file).
import { checkBaseUrl, Uid2BaseUrlError } from '../clients/base-url.ts';
import { Uid2Error } from '../errors.ts';
import { ArgsError, parseArgv, type FlagSpecs } from './args.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong or a file it names is unusable; exit 2. */
export class UsageError extends Uid2Error {
  constructor(message: string) {
    super('cli-usage', message);
  }
}

export interface Command {
  name: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

/** parseArgv with its errors turned into UsageError. `--help`/`-h` is accepted (main.ts answers it first). */
export function parseCommandArgs<T extends FlagSpecs>(command: string, argv: string[], options: T) {
  try {
    return parseArgv(argv, options, { maxPositionals: Infinity });
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    throw new UsageError(`uid2 ${command}: ${error.message}. See: uid2 ${command} --help`);
  }
}

/** `--now` as Unix ms or an ISO 8601 date-time. */
export function parseNow(command: string, value: string | undefined): number {
  if (value === undefined) return Date.now();
  if (/^-?\d+$/.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return ms;
  } else {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`uid2 ${command}: --now must be Unix milliseconds or an ISO 8601 date, got ${JSON.stringify(value)}`);
}

/** A required string option. */
export function required(command: string, name: string, value: string | undefined, envName?: string): string {
  if (value !== undefined && value !== '') return value;
  const env = envName === undefined ? undefined : process.env[envName];
  if (env !== undefined && env !== '') return env;
  const hint = envName === undefined ? '' : ` (or set ${envName})`;
  throw new UsageError(`uid2 ${command}: --${name} is required${hint}. See: uid2 ${command} --help`);
}

/** --base-url (or UID2_BASE_URL) must carry its scheme: say so, with the flag, as a usage error. */
export function baseUrlArgument(value: string): string {
  try {
    return checkBaseUrl(value);
  } catch (error) {
    if (error instanceof Uid2BaseUrlError) throw new UsageError(`--base-url (or UID2_BASE_URL): ${error.message}`);
    throw error;
  }
}
