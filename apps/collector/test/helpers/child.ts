// Runs the real `collector` command as a child process (bin/collector.mjs) with a config file, reads
// its JSON log lines, and learns its URL from the "collector listening" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CollectorConfig } from '../../src/config.ts';

export const COLLECTOR_BIN = fileURLToPath(new URL('../../bin/collector.mjs', import.meta.url));

export interface ChildCollector {
  child: ChildProcess;
  url: string;
  port: number;
  lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

const started = new Set<ChildProcess>();

/** Kills (SIGKILL, by pid) every collector this file started that is still running: test teardown. */
export async function killStarted(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      started.delete(child);
    }),
  );
}

/** Writes the config (owner-only: it holds the operator secret) and returns its path. */
export function writeConfig(dir: string, config: CollectorConfig, name = 'collector.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

export async function spawnCollector(
  args: string[],
  options: { expectListening?: number; env?: NodeJS.ProcessEnv; fileSizeLimitKb?: number } = {},
): Promise<ChildCollector> {
  // The URL is read from the info-level "collector listening" line: the interface it bound (its "url" is the browser's name).
  const withLevel = args.includes('--log-level') ? args : [...args, '--log-level', 'info'];
  const env = { ...process.env, ...options.env };
  const child =
    options.fileSizeLimitKb === undefined
      ? spawn(process.execPath, [COLLECTOR_BIN, ...withLevel], { stdio: ['ignore', 'pipe', 'pipe'], env })
      : // A real disk-full stand-in: the kernel refuses writes past RLIMIT_FSIZE with EFBIG (exec keeps the pid).
        spawn('bash', ['-c', `ulimit -f ${options.fileSizeLimitKb}; exec "$0" "$@"`, process.execPath, COLLECTOR_BIN, ...withLevel], { stdio: ['ignore', 'pipe', 'pipe'], env });
  started.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const want = options.expectListening ?? 1;
  let seen = 0;
  const listening = new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('"collector listening"')) {
        seen++;
        if (seen >= want) resolve(`http://${(JSON.parse(line) as { listen: string }).listen}`);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
    void exited.then((code) => reject(new Error(`collector exited (${code}) before listening:\n${lines.join('\n')}`)));
  });
  const url = await listening;
  return { child, url, port: Number(new URL(url).port), lines, exited };
}

export async function waitReady(url: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}
