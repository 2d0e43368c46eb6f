// The CLI as users start it: --help, flags, JSON logs without secrets, /metrics, clean SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PublisherClient } from '@uid2-pixels/uid2/clients';
import { participant, tempDataDir } from './helpers.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('pnpm operator', () => {
  it('--help documents every flag and its environment variable', () => {
    const out = spawnSync(tsx, ['src/main.ts', '--help'], { cwd: appDir, encoding: 'utf8' });
    expect(out.status).toBe(0);
    for (const text of ['--port', 'UID2_OPERATOR_PORT', 'default 8080', '--data-dir', 'UID2_OPERATOR_DATA_DIR', '.data/operator', '--rotation-interval', '--log-level']) {
      expect(out.stdout).toContain(text);
    }
  });

  it('accepts the `--` that `pnpm operator -- …` passes on', () => {
    const out = spawnSync(tsx, ['src/main.ts', '--', '--help'], { cwd: appDir, encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('Usage: pnpm operator');
  });

  it('rejects a bad flag value with a clear message and exit code 1', () => {
    const out = spawnSync(tsx, ['src/main.ts', '--port', 'eighty'], { cwd: appDir, encoding: 'utf8' });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('--port must be a non-negative integer');
    const unknown = spawnSync(tsx, ['src/main.ts', '--nope'], { cwd: appDir, encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('Try --help');
  });

  it('names the flag and variable that change a port already in use', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as AddressInfo;
    try {
      const out = spawnSync(tsx, ['src/main.ts', '--port', String(port), '--data-dir', dataDir, '--log-level', 'silent'], { cwd: appDir, encoding: 'utf8' });
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(
        `uid2-operator: PORT_IN_USE: port ${port} on 127.0.0.1 is already in use (another operator, or an earlier start still running?)\n` +
          'Choose another port with --port <n> or UID2_OPERATOR_PORT (under `pnpm start`: --operator-port <n> or OPERATOR_PORT).\n',
      );
    } finally {
      holder.close();
    }
  });

  it('rejects a malformed --links value, naming the item', () => {
    const out = spawnSync(tsx, ['src/main.ts', '--port', '0', '--links', 'shop=ftp://x'], { cwd: appDir, encoding: 'utf8', env: { ...process.env, INIT_CWD: dataDir } });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('--links: expected label=http(s)://url, got "shop=ftp://x"');
  });

  it('resolves the default data dir against the directory pnpm was run from (INIT_CWD)', async () => {
    const child = spawn(tsx, ['src/main.ts', '--port', '0', '--log-level', 'silent'], { cwd: appDir, env: { ...process.env, INIT_CWD: dataDir } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in ${stdout}`)), 20_000);
      child.stdout.on('data', () => stdout.includes('data dir') && (clearTimeout(timer), resolve()));
    });
    expect(stdout).toContain(`data dir ${dataDir}/.data/operator`);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('serves, logs JSON without keys or DII, exposes metrics and stops on SIGTERM', async () => {
    const child = spawn(tsx, ['src/main.ts', '--port', '0', '--data-dir', dataDir], { cwd: appDir, env: { ...process.env, UID2_OPERATOR_LOG_LEVEL: 'debug' } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in ${stdout}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /UID2 operator on (http:\/\/localhost:\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const p = participant(103);
    const result = await new PublisherClient({ baseUrl: url, apiKey: p.apiKey, secret: p.secret }).generateToken({ email: 'logged@example.com' });
    expect(result.status).toBe('success');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/uid2_operator_http_requests_total\{route="\/v2\/token\/generate",code="200"\} 1/);
    expect(metrics).toMatch(/uid2_operator_identity_responses_total\{endpoint="generate",status="success"\} 1/);
    expect(metrics).toContain('process_cpu_user_seconds_total');

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const jsonLines = stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(1);
    for (const line of jsonLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(jsonLines.some((l) => JSON.parse(l).path === '/v2/token/generate')).toBe(true);
    for (const secret of [p.apiKey, p.secret, 'logged@example.com', result.status === 'success' ? result.identity.advertisingToken : 'x']) {
      expect(stdout).not.toContain(secret);
    }
  });
});
