// @uid2-pixels/pixel from the outside: `pnpm pack` (Vite build + declarations through prepack), plain
// `npm install` of the tarball into an empty project: dist/ holds the <script> IIFE a site can serve and
// the ESM build with types a site's bundle imports.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, repoRoot, run, strangerEnv, tarballFiles } from './helpers/run.ts';

const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
let dir: string;
let tarball: string;
let project: string;
const env = strangerEnv();

beforeAll(async () => {
  ({ dir, tarball, project } = await packAndInstall(join(repoRoot, 'packages/pixel'), 'site', { type: 'module', env }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the @uid2-pixels/pixel tarball', () => {
  it('holds the IIFE, the ESM build and its declarations, and has no dependencies', async () => {
    const files = await tarballFiles(tarball);
    for (const f of ['dist/uid2-pixel.iife.js', 'dist/uid2-pixel.lite.iife.js', 'dist/uid2-secure-signals.iife.js', 'dist/euid-secure-signals.iife.js', 'dist/uid2-pixel.js', 'dist/types/index.d.ts', 'package.json', 'README.md']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    const installed = join(project, 'node_modules/@uid2-pixels/pixel');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(join(installed, 'dist/uid2-pixel.iife.js'), 'utf8')).toContain('uid2pixel');
  });

  it('loads as an ES module with the documented functions', async () => {
    const script = "const m = await import('@uid2-pixels/pixel'); console.log(JSON.stringify(['init', 'track', 'impression', 'fillMacro', 'getToken'].map((n) => typeof m[n])));";
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });

  it('type-checks a site\'s TypeScript under bundler resolution', async () => {
    copyFileSync(join(repoRoot, 'test/consumer/pixel.ts'), join(project, 'pixel.ts'));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, types: [] },
      files: ['pixel.ts'],
    }));
    const result = await run(process.execPath, [tsc, '-p', project], { cwd: project, env });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('passes publint and arethetypeswrong (ESM-only profile; the IIFEs are files to serve, not modules)', async () => {
    const publint = await run('pnpm', ['exec', 'publint', '--strict', tarball]);
    expect(publint.stdout).toContain('All good!');
    expect(publint.code).toBe(0);
    const attw = await run('pnpm', ['exec', 'attw', '--profile', 'esm-only', '--exclude-entrypoints', './iife', './lite.iife', './secure-signals.iife', './euid-secure-signals.iife', '--no-color', tarball]);
    expect(attw.stdout).not.toMatch(/Error|💀|❌/);
    expect(attw.code).toBe(0);
  });
});
