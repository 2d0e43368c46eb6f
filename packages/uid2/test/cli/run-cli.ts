// Runs the real `uid2` bin (node packages/uid2/bin/uid2.mjs) as a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/uid2.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, UID2_BASE_URL: undefined, UID2_API_KEY: undefined, UID2_SECRET: undefined, ...options.env };
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => undefined); // the CLI may exit before reading everything (usage errors)
    child.stdin.end(options.stdin ?? '');
  });
}

export function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}
