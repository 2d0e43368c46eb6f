// The stack runner's command line (scripts/stack.ts, behind `pnpm start`): help, and clear errors for bad
// flags. Starting, printing the URLs and a clean SIGINT exit are exercised by every spec's stack fixture.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from './support/stack.ts';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/stack.ts'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });

test('--help lists every port and path flag with its environment variable', () => {
  const result = run('--help');
  expect(result.status).toBe(0);
  for (const [flag, env] of [
    ['--operator-port', 'OPERATOR_PORT'], ['--collector-port', 'COLLECTOR_PORT'], ['--shop-port', 'SHOP_PORT'],
    ['--publisher-port', 'PUBLISHER_PORT'], ['--dsp-port', 'DSP_PORT'], ['--data-dir', 'UID2_DATA_DIR'], ['--domain', 'UID2_DEMO_DOMAIN'],
  ]) {
    expect(result.stdout).toContain(flag);
    expect(result.stdout).toContain(env);
  }
});

test('bad flags and values fail at once with a message that names them', () => {
  const badPort = run('--shop-port', '99999');
  expect(badPort.status).toBe(2);
  expect(badPort.stderr).toMatch(/SHOP_PORT.*1-65535.*99999/);
  const badPart = run('--only', 'operator,ledger');
  expect(badPart.status).toBe(2);
  expect(badPart.stderr).toContain('unknown part "ledger"');
  const badLevel = run('--log-level', 'loud');
  expect(badLevel.status).toBe(2);
  expect(badLevel.stderr).toContain('--log-level must be trace, debug, info, warn, error, fatal or silent, got "loud"');
  const unknown = run('--colour');
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toContain('--colour');
});
