// The apps' production start: `pnpm build`, then the operator and the collector started with plain
// `node` through their bins, as a deployment would (no tsx, no source condition): they serve, the
// collector fetches its keys from the operator, and Ctrl-C (SIGTERM) stops them cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, strangerEnv, tempDir } from './helpers/run.ts';

const children: ChildProcess[] = [];
let dir: string;

function start(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(repoRoot, bin), ...args], { cwd: dir, env: strangerEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  return { child, output: () => output };
}

/** The port a server announced, from its output. */
async function announcedPort(output: () => string, pattern: RegExp, child: ChildProcess): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const match = pattern.exec(output());
    if (match) return Number(match[1]);
    if (child.exitCode !== null) throw new Error(`exited early:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no port announced:\n${output()}`);
}

async function waitOk(url: string): Promise<Response> {
  for (let i = 0; i < 300; i++) {
    const response = await fetch(url).catch(() => null);
    if (response?.ok) return response;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never answered 2xx`);
}

beforeAll(async () => {
  dir = tempDir('production');
  const build = await run('pnpm', ['build']);
  if (build.code !== 0) throw new Error(`pnpm build failed:\n${build.stdout}\n${build.stderr}`);
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('production start with plain node', () => {
  it('runs the operator and the collector from dist/, and stops them on SIGTERM', async () => {
    const operator = start('apps/operator/bin/uid2-operator.mjs', ['--port', '0', '--data-dir', join(dir, 'operator'), '--log-level', 'warn']);
    const operatorPort = await announcedPort(operator.output, /UID2 operator on http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/, operator.child);
    await waitOk(`http://127.0.0.1:${operatorPort}/ops/healthcheck`);

    const collector = start('apps/collector/bin/collector.mjs', ['--port', '0', '--data-dir', join(dir, 'collector'), '--operator-url', `http://127.0.0.1:${operatorPort}`, '--log-level', 'info',
      '--config', join(repoRoot, 'apps/collector/config/dev.json')], { NODE_ENV: 'production' });
    const collectorPort = await announcedPort(collector.output, /"listen":"127\.0\.0\.1:(\d+)"/, collector.child);
    const ready = await waitOk(`http://127.0.0.1:${collectorPort}/readyz`);
    expect(await ready.json()).toMatchObject({ ready: true });

    for (const { child, output } of [collector, operator]) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    }
  });
});
