// Command-line flags for every bin of the project (uid2, collector, uid2-operator, the stack runner).
// node:util parseArgs gets three things wrong for people typing commands: `--workers -3` is "ambiguous"
// instead of a bad number, a typo gets no suggestion, and the `--` that npm and pnpm put in front of
// forwarded arguments ends option parsing. This parser keeps parseArgs' shape and fixes those:
//   - a leading `--` is dropped (`pnpm collector -- --help` and `pnpm collector --help` are the same);
//   - a value may start with one dash (`--workers -3` reaches the number check, which says what is wrong);
//   - an unknown flag is named, with the nearest known one suggested;
//   - a flag missing its value is named.
// Errors are ArgsError (a plain message, never a stack trace); each bin prints it with its own name.

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** One-letter alias: `-h`. */
  short?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues<T extends FlagSpecs> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

export interface ParsedArgv<T extends FlagSpecs> {
  values: FlagValues<T>;
  positionals: string[];
}

export interface ParseOptions {
  /** How many positional arguments are allowed (default: none). */
  maxPositionals?: number;
}

/** The command line is wrong. The message names the argument and, for a typo, the likely flag. */
export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

/** Parses `argv` against `specs`. `--help`/`-h` is always known; check `values.help` after parsing. */
export function parseArgv<T extends FlagSpecs>(argv: readonly string[], specs: T, options: ParseOptions = {}): ParsedArgv<T & { help: { type: 'boolean' } }> {
  const all: FlagSpecs = { ...specs, help: { type: 'boolean', short: 'h' } };
  const byShort = new Map(Object.entries(all).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      const long = byShort.get(arg.slice(1));
      if (long === undefined) throw new ArgsError(`unknown option ${arg}${suggestion(arg.slice(1), all)}`);
      name = long;
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = all[name];
    if (spec === undefined) throw new ArgsError(`unknown option --${name}${suggestion(name, all)}`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new ArgsError(`--${name} takes no value (got "${inline}")`);
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      // A value may begin with one dash (a negative number, `-` for stdin), never with two.
      if (next === undefined || next.startsWith('--')) throw new ArgsError(`--${name} needs a value`);
      inline = next;
      i++;
    }
    values[name] = inline;
  }
  const max = options.maxPositionals ?? 0;
  if (positionals.length > max) {
    const extra = positionals[max]!;
    throw new ArgsError(max === 0 ? `unexpected argument "${extra}"` : `unexpected argument "${extra}" (at most ${max} expected)`);
  }
  return { values: values as FlagValues<T & { help: { type: 'boolean' } }>, positionals };
}

/** A whole number within [min, max], or an ArgsError that names the flag, the range and the input. */
export function intFlag(flag: string, text: string, range: { min: number; max: number }): number {
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new ArgsError(`${flag} must be a whole number from ${range.min} to ${range.max}, got "${text}"`);
  }
  return n;
}

/**
 * A whole number within [min, max] from its flag when given, else from its environment variable (unset
 * or empty: `fallback`). A bad value is an ArgsError that names where it came from: the flag or the
 * variable.
 */
export function intFlagOrEnv(
  flag: string,
  given: string | undefined,
  envName: string,
  fallback: number,
  range: { min: number; max: number },
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (given !== undefined) return intFlag(flag, given, range);
  const text = env[envName];
  return text === undefined || text === '' ? fallback : intFlag(envName, text, range);
}

/** ` (did you mean --port?)` for the closest known flag within a small edit distance, else ''. */
export function suggestion(typed: string, specs: FlagSpecs): string {
  const best = closest(typed, Object.keys(specs));
  return best === undefined ? '' : ` (did you mean --${best}?)`;
}

/** The candidate nearest to `typed` (a prefix of it, or a few edits away), if any is near enough. */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of candidates) {
    const d = name.startsWith(typed) && typed.length >= 2 ? 0.5 : editDistance(typed.toLowerCase(), name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
