// Runs commands as a user would, for the repository-level tests.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  timeoutMs?: number;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 240_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * The environment of a stranger's machine: no workspace source condition (NODE_OPTIONS from this
 * repository's .npmrc), no npm/pnpm script variables. PATH and HOME stay (node, npm, the npm cache).
 */
export function strangerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'INIT_CWD' || /^(npm|pnpm)_/i.test(key) || key.startsWith('PNPM_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `uid2-pixels-${prefix}-`));
}

/** `pnpm pack` (which builds first, through `prepack`) into `dest`; returns the tarball's path. */
export async function pack(packageDir: string, dest: string): Promise<string> {
  const result = await run('pnpm', ['pack', '--pack-destination', dest], { cwd: packageDir });
  if (result.code !== 0) throw new Error(`pnpm pack failed in ${packageDir}:\n${result.stdout}\n${result.stderr}`);
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`expected one tarball in ${dest}, found ${tarballs.join(', ') || 'none'}`);
  return join(dest, tarballs[0]!);
}

/**
 * Packs a workspace package into a new temporary directory and installs the tarball with plain npm
 * (as a stranger: no workspace, no source condition) into an empty project `name` beside it, with
 * `extra` packages. `dir` holds both; remove it when done.
 */
export async function packAndInstall(
  packageDir: string,
  name: string,
  options: { type?: 'module'; extra?: readonly string[]; env: NodeJS.ProcessEnv },
): Promise<{ dir: string; tarball: string; project: string }> {
  const dir = tempDir(`pack-${name}`);
  const tarball = await pack(packageDir, dir);
  const project = join(dir, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...(options.type ? { type: options.type } : {}) }));
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...(options.extra ?? [])], { cwd: project, env: options.env });
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  return { dir, tarball, project };
}

/** Lists a tarball's files (without the leading `package/`). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const result = await run('tar', ['-tzf', tarball]);
  if (result.code !== 0) throw new Error(`tar failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
}
