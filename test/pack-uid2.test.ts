// @uid2-pixels/uid2 from the outside: `pnpm pack` (which builds dist/ through prepack), then plain `npm
// install` of the tarball into an empty project (no pnpm, no tsx, no workspace, no source condition),
// where ESM and CJS consumers decrypt a vector token and encrypt a raw UID2, a TypeScript consumer
// type-checks under nodenext and bundler, and the `uid2` bin runs. publint and arethetypeswrong check
// the tarball itself.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectors } from '../packages/uid2/test/vectors.ts';
import { packAndInstall, repoRoot, run, strangerEnv, tarballFiles } from './helpers/run.ts';

const tokenCase = vectors.cases.find((c) => c.id === 'v2-uid2-email-success')!;
const encryptCase = vectors.sharing_encrypt.find((c) => c.id === 'enc-default-keyset')!;
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

let dir: string;
let tarball: string;
let project: string;
const env = strangerEnv();

beforeAll(async () => {
  ({ dir, tarball, project } = await packAndInstall(join(repoRoot, 'packages/uid2'), 'consumer', { extra: ['@types/node@20'], env }));
  for (const file of ['esm.mjs', 'cjs.cjs']) copyFileSync(join(repoRoot, 'test/consumer', file), join(project, file));
  writeFileSync(join(project, 'keys.json'), JSON.stringify(vectors.keysets[tokenCase.keyset]), { mode: 0o600 });
  writeFileSync(join(project, 'case.json'), JSON.stringify({
    keys: vectors.keysets[tokenCase.keyset],
    token: tokenCase.token,
    tokenNow: tokenCase.now_ms,
    expectedUid: tokenCase.expected.uid,
    rawUid: encryptCase.raw_uid,
    encryptNow: encryptCase.now_ms,
  }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the @uid2-pixels/uid2 tarball', () => {
  it('holds dist/ (ESM, CJS, declarations with maps), the bin and the sources the maps point at; no tests', async () => {
    const files = await tarballFiles(tarball);
    for (const f of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/index.d.ts.map', 'dist/esm/cli/main.js', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'bin/uid2.mjs', 'src/index.ts', 'README.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('test/') || f.includes('tsconfig') || f.endsWith('.test.ts') || f.endsWith('.tsbuildinfo'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@uid2-pixels/uid2/package.json'), 'utf8')) as Record<string, unknown>;
    // No runtime dependency; the S3 client is an optional peer, needed only to drop token files into S3 (src/share).
    expect(manifest.dependencies).toBeUndefined();
    expect(existsSync(join(project, 'node_modules/zod'))).toBe(false);
    expect(manifest.peerDependenciesMeta).toEqual({ '@aws-sdk/client-s3': { optional: true } });
    expect(existsSync(join(project, 'node_modules/@aws-sdk/client-s3'))).toBe(false);
    expect(manifest.engines).toEqual({ node: '>=20.19' });
  });

  it.each([['ESM import', 'esm.mjs'], ['CJS require', 'cjs.cjs']])('%s decrypts a vector token and encrypts a raw UID2', async (_name, file) => {
    const result = await run(process.execPath, [file], { cwd: project, env });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ decrypt: 'Success', uidMatches: true, encrypt: 'Success', roundTrip: true, normalized: 'jane.doe@example.com' });
  });

  it('answers a subpath it does not export with Node\'s own error, never a .ts file', async () => {
    const result = await run(process.execPath, ['--input-type=module', '-e', "await import('@uid2-pixels/uid2/no-such-module')"], { cwd: project, env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERR_MODULE_NOT_FOUND|ERR_PACKAGE_PATH_NOT_EXPORTED/);
    expect(result.stderr).not.toMatch(/\.ts\b/);
  });

  it.each([
    ['nodenext (ESM file)', 'typed.mts', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['nodenext (CJS file)', 'typed.cts', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['bundler', 'typed.ts', { module: 'esnext', moduleResolution: 'bundler' }],
  ])('type-checks a TypeScript consumer under %s', async (name, file, options) => {
    const sub = join(project, name.replace(/\W+/g, '-'));
    await run('mkdir', ['-p', sub]);
    copyFileSync(join(repoRoot, 'test/consumer/typed.ts'), join(sub, file));
    writeFileSync(join(sub, 'tsconfig.json'), JSON.stringify({
      // skipLibCheck: the declarations themselves are arethetypeswrong's to judge (below); this checks
      // that a consumer's code sees real types through each resolution mode.
      compilerOptions: { ...options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: [file],
    }));
    const result = await run(process.execPath, [tsc, '-p', sub], { cwd: sub, env });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('runs its bin: npx uid2 --help and npx uid2 decrypt', async () => {
    const help = await run('npx', ['--no-install', 'uid2', '--help'], { cwd: project, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: uid2 <command>/);
    const decrypt = await run('npx', ['--no-install', 'uid2', 'decrypt', '--keys', 'keys.json', '--now', String(tokenCase.now_ms), tokenCase.token], { cwd: project, env });
    expect(decrypt.stderr).toBe('');
    expect(decrypt.code).toBe(0);
    const line = JSON.parse(decrypt.stdout) as { status: string; uid: string };
    expect(line.status).toBe('Success');
    expect(line.uid === tokenCase.expected.uid).toBe(true);
  });

  it('passes publint and arethetypeswrong with nothing to report', async () => {
    const publint = await run('pnpm', ['exec', 'publint', '--strict', tarball]);
    expect(publint.stdout).toContain('All good!');
    expect(publint.code).toBe(0);
    // The strict profile, node10 included (typesVersions maps the subpaths there).
    const attw = await run('pnpm', ['exec', 'attw', '--format', 'json', tarball]);
    const report = JSON.parse(attw.stdout) as { problems: Record<string, unknown[]> };
    expect(report.problems).toEqual({});
    expect(attw.code).toBe(0);
  });
});
