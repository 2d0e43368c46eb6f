// The flag parser every bin uses (uid2, collector, uid2-operator, the stack runner).
import { describe, expect, it } from 'vitest';
import { ArgsError, closest, intFlag, intFlagOrEnv, parseArgv } from '../../src/cli/args.ts';

const SPECS = {
  port: { type: 'string' },
  workers: { type: 'string' },
  'data-dir': { type: 'string' },
  'no-build': { type: 'boolean' },
  out: { type: 'string', short: 'o' },
} as const;

describe('parseArgv', () => {
  it('reads --flag value, --flag=value, short flags, booleans and --help', () => {
    const { values, positionals } = parseArgv(['--port', '8080', '--data-dir=/tmp/x', '-o', 'f.csv', '--no-build', '-h'], SPECS);
    expect(values).toEqual({ port: '8080', 'data-dir': '/tmp/x', out: 'f.csv', 'no-build': true, help: true });
    expect(positionals).toEqual([]);
  });

  it('drops the leading -- that npm and pnpm forward, and treats a later -- as the end of flags', () => {
    expect(parseArgv(['--', '--port', '1'], SPECS).values).toEqual({ port: '1' });
    expect(parseArgv(['--port', '1', '--', '--help'], SPECS, { maxPositionals: 1 })).toEqual({ values: { port: '1' }, positionals: ['--help'] });
  });

  it('takes a value that starts with one dash, so a negative number reaches its range check', () => {
    const { values } = parseArgv(['--workers', '-3'], SPECS);
    expect(values.workers).toBe('-3');
    expect(() => intFlag('--workers', values.workers!, { min: 0, max: 64 })).toThrow(
      new ArgsError('--workers must be a whole number from 0 to 64, got "-3"'),
    );
  });

  it('names an unknown flag and suggests the nearest known one', () => {
    expect(() => parseArgv(['--prot', '1'], SPECS)).toThrow(new ArgsError('unknown option --prot (did you mean --port?)'));
    expect(() => parseArgv(['--datadir', 'x'], SPECS)).toThrow(new ArgsError('unknown option --datadir (did you mean --data-dir?)'));
    expect(() => parseArgv(['--wor', '2'], SPECS)).toThrow(new ArgsError('unknown option --wor (did you mean --workers?)'));
    expect(() => parseArgv(['--zzzzzzzz'], SPECS)).toThrow(new ArgsError('unknown option --zzzzzzzz'));
    expect(() => parseArgv(['-x'], SPECS)).toThrow(new ArgsError('unknown option -x'));
  });

  it('names a flag that is missing its value, and a boolean given one', () => {
    expect(() => parseArgv(['--port'], SPECS)).toThrow(new ArgsError('--port needs a value'));
    expect(() => parseArgv(['--port', '--workers', '2'], SPECS)).toThrow(new ArgsError('--port needs a value'));
    expect(() => parseArgv(['--no-build=yes'], SPECS)).toThrow(new ArgsError('--no-build takes no value (got "yes")'));
  });

  it('refuses positionals beyond the allowed number', () => {
    expect(() => parseArgv(['serve'], SPECS)).toThrow(new ArgsError('unexpected argument "serve"'));
    expect(parseArgv(['export', '--port', '1'], SPECS, { maxPositionals: 1 }).positionals).toEqual(['export']);
    expect(() => parseArgv(['a', 'b'], SPECS, { maxPositionals: 1 })).toThrow(new ArgsError('unexpected argument "b" (at most 1 expected)'));
  });
});

describe('intFlag', () => {
  it('accepts whole numbers in range and rejects the rest with the flag, range and input', () => {
    expect(intFlag('--port', '0', { min: 0, max: 65535 })).toBe(0);
    expect(intFlag('--port', '65535', { min: 0, max: 65535 })).toBe(65535);
    for (const bad of ['65536', '1.5', 'eighty', '', '0x10', '1e3']) {
      expect(() => intFlag('--port', bad, { min: 0, max: 65535 })).toThrow(`--port must be a whole number from 0 to 65535, got "${bad}"`);
    }
  });
});

describe('intFlagOrEnv', () => {
  const range = { min: 1, max: 65535 };
  it('takes the flag over the variable, the variable over the fallback; an empty variable is unset', () => {
    expect(intFlagOrEnv('--port', '81', 'X_PORT', 8080, range, { X_PORT: '82' })).toBe(81);
    expect(intFlagOrEnv('--port', undefined, 'X_PORT', 8080, range, { X_PORT: '82' })).toBe(82);
    expect(intFlagOrEnv('--port', undefined, 'X_PORT', 8080, range, { X_PORT: '' })).toBe(8080);
    expect(intFlagOrEnv('--port', undefined, 'X_PORT', 8080, range, {})).toBe(8080);
  });
  it('names where a bad value came from: the flag or the variable', () => {
    expect(() => intFlagOrEnv('--port', '0', 'X_PORT', 8080, range, { X_PORT: '82' })).toThrow(new ArgsError('--port must be a whole number from 1 to 65535, got "0"'));
    expect(() => intFlagOrEnv('--port', '', 'X_PORT', 8080, range, {})).toThrow(new ArgsError('--port must be a whole number from 1 to 65535, got ""'));
    expect(() => intFlagOrEnv('--port', undefined, 'X_PORT', 8080, range, { X_PORT: 'eighty' })).toThrow(new ArgsError('X_PORT must be a whole number from 1 to 65535, got "eighty"'));
  });
  it('reads process.env by default', () => {
    process.env.UID2_ARGS_TEST_PORT = '8123';
    try {
      expect(intFlagOrEnv('--port', undefined, 'UID2_ARGS_TEST_PORT', 1, range)).toBe(8123);
    } finally {
      delete process.env.UID2_ARGS_TEST_PORT;
    }
  });
});

describe('closest', () => {
  it('finds typos, swaps and prefixes, and nothing for unrelated words', () => {
    expect(closest('decrpyt', ['decrypt', 'encrypt', 'keys'])).toBe('decrypt');
    expect(closest('expor', ['serve', 'export'])).toBe('export');
    expect(closest('frobnicate', ['serve', 'export'])).toBeUndefined();
  });
});
