// The stack runner's command line (scripts/stack.ts, behind `pnpm start`): help, and clear errors for bad
// flags. Starting, printing the URLs and a clean SIGINT exit are exercised by every spec's stack fixture.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from './support/stack.ts';

/** Runs the stack runner to its end (asynchronously, so a port held by this process stays served). */
const run = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/stack.ts'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });

test('--help lists every port and path flag with its environment variable', async () => {
  const result = await run('--help');
  expect(result.status).toBe(0);
  for (const [flag, env] of [
    ['--operator-port', 'OPERATOR_PORT'], ['--collector-port', 'COLLECTOR_PORT'], ['--shop-port', 'SHOP_PORT'],
    ['--publisher-port', 'PUBLISHER_PORT'], ['--dsp-port', 'DSP_PORT'], ['--data-dir', 'UID2_DATA_DIR'], ['--domain', 'UID2_DEMO_DOMAIN'],
  ]) {
    expect(result.stdout).toContain(flag);
    expect(result.stdout).toContain(env);
  }
});

test('bad flags and values fail at once with a message that names them', async () => {
  const badPort = await run('--shop-port', '99999');
  expect(badPort.status).toBe(2);
  expect(badPort.stderr).toContain('--shop-port must be a whole number from 1 to 65535, got "99999"');
  const badPart = await run('--only', 'operator,ledger');
  expect(badPart.status).toBe(2);
  expect(badPart.stderr).toContain('unknown part "ledger"');
  const badLevel = await run('--log-level', 'loud');
  expect(badLevel.status).toBe(2);
  expect(badLevel.stderr).toContain('--log-level must be trace, debug, info, warn, error, fatal or silent, got "loud"');
  const unknown = await run('--operator-prot', '1');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('unknown option --operator-prot (did you mean --operator-port?)');
  const missing = await run('--data-dir');
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('--data-dir needs a value');
});

test('a port in use is named with the flag and variable that change it, before anything starts', async () => {
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as { port: number }).port;
  try {
    const busy = await run('--only', 'collector', '--no-build', '--collector-port', String(port));
    expect(busy.status).toBe(2);
    expect(busy.stderr).toContain(`port ${port} (collector) is already in use: start with --collector-port <n> (or COLLECTOR_PORT=<n>)`);
    expect(busy.stdout).not.toContain('starting collector');
  } finally {
    holder.close();
  }
});
