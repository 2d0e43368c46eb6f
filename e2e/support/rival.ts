// A second collector that belongs to site 105 (Rival Retail), a receiver nobody granted anything: it is
// configured to accept the same senders and segments as the story's collector, so the only thing it
// lacks is the senders' permission in the portal.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorAccess } from './collector.ts';
import { participant } from './operator.ts';
import { freePorts, repoRoot, writeCollectorConfig, type RunningStack } from './stack.ts';

export interface RivalCollector extends CollectorAccess {
  /** Browser-facing URL (its own host). */
  url: string;
  stop(): Promise<void>;
}

export async function startRivalCollector(stack: RunningStack): Promise<RivalCollector> {
  const [port] = (await freePorts(1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), 'uid2-e2e-rival-'));
  const rival = participant(105);
  const adminToken = randomBytes(24).toString('hex');
  const config = writeCollectorConfig(join(dir, 'collector.config.json'), {
    adminToken,
    operator: { url: stack.api.operator, apiKey: rival.apiKey, secret: rival.secret, keyRefreshMs: 1000, keyRefreshJitter: 0 },
  });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'apps/collector/src/main.ts'), '--port', String(port), '--data-dir', join(dir, 'data')],
    { cwd: join(repoRoot, 'apps/collector'), env: { ...process.env, COLLECTOR_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the rival collector exited:\n${output.join('')}`);
    const ready = await fetch(`${api}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the rival collector did not become ready:\n${output.join('')}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    api,
    adminToken,
    url: `http://rival-collector.localhost:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
