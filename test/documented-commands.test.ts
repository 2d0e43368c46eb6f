// Every command line the docs show runs as written.
//
// THE CONVENTION (also in the root README, "Tests"):
//   - Every line of a ```sh, ```bash or ```shell block in README.md, packages/*/README.md,
//     apps/*/README.md and docs/*.md is a command, run from the repository root as `pnpm exec` would
//     (node_modules/.bin on PATH, so `uid2`, `collector` and `uid2-operator` are installed commands).
//     Lines starting with `#` are comments; a trailing `# ...` is a comment; `\` continues a line.
//   - Output, templates with placeholders, and anything not meant to be run go in ```text.
//   - A command fails the test when it exits non-zero or prints a usage error (unknown option or
//     command, unexpected argument, missing value).
//   - How a command is run:
//       servers (npm/pnpm start, pnpm operator|collector, pnpm --filter X start, node apps/...,
//         collector | uid2-operator | uid2-demo, except `export`)   run with --help appended, which
//         still checks every flag the line gives;
//       the test suite itself (npm test, pnpm exec vitest run ..., pnpm exec playwright test ...)
//         npm test gets --help, vitest runs `list --filesOnly`, playwright `--list`: the projects,
//         files and filters named must exist;
//       everything else runs as written. Commands of a block share its `export` lines and run in order.
//   - A real temporary stack (operator + collector, scripts/stack.ts) serves the commands that talk to
//     one: `localhost:8080`/`:8090` (or 127.0.0.1) in a command are pointed at it, and the environment
//     gives UID2_BASE_URL, UID2_API_KEY, UID2_SECRET (site 102 of the dev fixture), ADMIN_TOKEN (the
//     collector's), COLLECTOR_OPERATOR_URL and COLLECTOR_DATA_DIR.
//   - `node ...` lines (the production start) run without the repository's source condition, as a
//     deployment would: they run the compiled dist/ that an earlier documented build command made.
//   - Files a command writes into the checkout (keys.json, acme.csv, ...) are removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SharingClient } from '@uid2-pixels/uid2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, strangerEnv, tempDir } from './helpers/run.ts';

export interface DocCommand {
  file: string;
  line: number;
  block: number;
  command: string;
}

const RUN_LANGUAGES = new Set(['sh', 'bash', 'shell']);

/** The documentation files the convention covers, relative to the repository root. */
export function docFiles(root = repoRoot): string[] {
  const files = ['README.md'];
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, parent))) {
      if (existsSync(join(root, parent, name, 'README.md'))) files.push(`${parent}/${name}/README.md`);
    }
  }
  if (existsSync(join(root, 'docs'))) {
    for (const name of readdirSync(join(root, 'docs'))) if (name.endsWith('.md')) files.push(`docs/${name}`);
  }
  return files.filter((f) => existsSync(join(root, f)));
}

/** Drops a trailing `# comment` that is outside quotes. */
export function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** The runnable commands of one Markdown text. */
export function extractCommands(file: string, text: string): DocCommand[] {
  const commands: DocCommand[] = [];
  const lines = text.split('\n');
  let language: string | null = null;
  let block = 0;
  let pending: { line: number; text: string } | null = null;
  lines.forEach((raw, index) => {
    const fence = /^\s*```(\S*)/.exec(raw);
    if (fence) {
      if (language === null) {
        language = fence[1]!.toLowerCase();
        block++;
      } else {
        language = null;
      }
      return;
    }
    if (language === null || !RUN_LANGUAGES.has(language)) return;
    const trimmed = raw.trim();
    if (pending === null && (trimmed === '' || trimmed.startsWith('#'))) return;
    const text = pending ? `${pending.text} ${trimmed}` : trimmed;
    const line = pending?.line ?? index + 1;
    if (text.endsWith('\\')) {
      pending = { line, text: text.slice(0, -1).trimEnd() };
      return;
    }
    pending = null;
    const command = stripComment(text);
    if (command !== '') commands.push({ file, line, block, command });
  });
  return commands;
}

const SERVER = [
  /^(npm|pnpm)( run)? start\b/,
  /^pnpm (operator|collector)\b/,
  /^pnpm --filter \S+ start\b/,
  /^(\w+=\S+ )*node apps\/\S+/,
  /^(collector|uid2-operator|uid2-demo)\b/,
];

/** The command line the test runs for a documented one (see the convention above). */
export function runnable(command: string): string {
  if (/^npm (run )?test\b/.test(command)) return `${command} -- --help`;
  if (/^pnpm (run )?test\b/.test(command)) return `${command} --help`;
  if (/^pnpm exec vitest run\b/.test(command)) return command.replace('vitest run', 'vitest list --filesOnly');
  if (/^pnpm exec playwright test\b/.test(command)) return `${command} --list`;
  if (SERVER.some((pattern) => pattern.test(command)) && !/\bexport\b/.test(command)) {
    return /^npm /.test(command) && !command.includes(' -- ') ? `${command} -- --help` : `${command} --help`;
  }
  return command;
}

/** Whether a command talks to a running operator or collector. */
export function needsStack(command: string): boolean {
  return /(localhost|127\.0\.0\.1):80[89]0\b|\$ADMIN_TOKEN|^uid2 keys\b|\bcollector export\b/.test(command);
}

const USAGE_ERROR = /unknown option|unknown command|unexpected argument|needs a value|ERR_PARSE_ARGS|Unknown (option|argument)/i;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const commands = docFiles().flatMap((file) => extractCommands(file, readFileSync(join(repoRoot, file), 'utf8')));
const fixture = JSON.parse(readFileSync(join(repoRoot, 'apps/operator/fixtures/dev.json'), 'utf8')) as {
  participants: Array<{ siteId: number; apiKey: string; secret: string }>;
};
const collectorDev = JSON.parse(readFileSync(join(repoRoot, 'apps/collector/config/dev.json'), 'utf8')) as { adminToken: string };

/** Files the commands wrote into the checkout; removed once a doc file's commands are done. */
const written = new Set<string>();

let stack: { child: ChildProcess; operatorPort: number; collectorPort: number; dir: string } | undefined;

async function startStack(): Promise<NonNullable<typeof stack>> {
  const dir = tempDir('doc-stack');
  const [operatorPort, collectorPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/stack.ts'), '--only', 'operator,collector', '--no-build', '--health-timeout', '120000',
    '--operator-port', String(operatorPort), '--collector-port', String(collectorPort), '--data-dir', dir], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (output.includes('stack is up')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the temporary stack exited (${code}):\n${output}`)));
  });
  const started = { child, operatorPort, collectorPort, dir };
  await playTheStory(started);
  return started;
}

/**
 * The docs' commands come after the README's story (an order at Acme Shop, an ad on Daily Planet), so
 * their segments have a member: one conversion from Acme (101) and one impression from Bidwell (102),
 * sent as real pixels with tokens from each sender's sharing keys.
 */
async function playTheStory(at: { operatorPort: number; collectorPort: number }): Promise<void> {
  const rawUid = Buffer.concat([Buffer.from([0]), randomBytes(32)]).toString('base64');
  for (const [siteId, kind, segment] of [[101, 'conversion', 'acme-converters'], [102, 'impression', 'bidwell-impressions']] as const) {
    const { apiKey, secret } = fixture.participants.find((p) => p.siteId === siteId)!;
    const client = new SharingClient({ baseUrl: `http://127.0.0.1:${at.operatorPort}`, apiKey, secret });
    await client.refreshKeys();
    const { status, token } = client.encrypt(rawUid);
    expect(status).toBe('Success');
    const query = new URLSearchParams({ uid2_token: token!, segment });
    const pixel = await fetch(`http://127.0.0.1:${at.collectorPort}/pixel/${kind}?${query}`);
    expect(pixel.status).toBe(200);
  }
}

function stackEnv(): NodeJS.ProcessEnv {
  if (!stack) return {};
  const dsp = fixture.participants.find((p) => p.siteId === 102)!;
  return {
    UID2_BASE_URL: `http://127.0.0.1:${stack.operatorPort}`,
    UID2_API_KEY: dsp.apiKey,
    UID2_SECRET: dsp.secret,
    ADMIN_TOKEN: collectorDev.adminToken,
    COLLECTOR_OPERATOR_URL: `http://127.0.0.1:${stack.operatorPort}`,
    COLLECTOR_DATA_DIR: join(stack.dir, 'collector'),
  };
}

function pointAtStack(command: string): string {
  if (!stack) return command;
  return command
    .replace(/\b(localhost|127\.0\.0\.1):8080\b/g, `127.0.0.1:${stack.operatorPort}`)
    .replace(/\b(localhost|127\.0\.0\.1):8090\b/g, `127.0.0.1:${stack.collectorPort}`);
}

/** Untracked, not ignored files in the checkout (what a command may leave behind). */
async function looseFiles(): Promise<Set<string>> {
  const result = await run('git', ['ls-files', '--others', '--exclude-standard'], { cwd: repoRoot });
  return new Set(result.stdout.split('\n').filter(Boolean));
}

beforeAll(async () => {
  if (commands.some((c) => needsStack(c.command))) stack = await startStack();
});

afterAll(async () => {
  if (stack) {
    const exited = new Promise((resolve) => stack!.child.once('exit', resolve));
    stack.child.kill('SIGTERM');
    await exited;
    rmSync(stack.dir, { recursive: true, force: true });
  }
});

describe('the convention', () => {
  it('extracts sh/bash blocks only, joins continuations and drops comments', () => {
    const md = ['```sh', 'pnpm a   # note', '# only a comment', 'pnpm b \\', '  --flag "x # y"', '```', '```text', 'not run', '```', '```bash', 'c', '```'].join('\n');
    expect(extractCommands('x.md', md)).toEqual([
      { file: 'x.md', line: 2, block: 1, command: 'pnpm a' },
      { file: 'x.md', line: 4, block: 1, command: 'pnpm b --flag "x # y"' },
      { file: 'x.md', line: 11, block: 3, command: 'c' },
    ]);
  });

  it('runs servers with --help and the suite as listings', () => {
    expect(runnable('npm start')).toBe('npm start -- --help');
    expect(runnable('pnpm operator --port 9090')).toBe('pnpm operator --port 9090 --help');
    expect(runnable('pnpm collector export --segment a --format csv')).toBe('pnpm collector export --segment a --format csv');
    expect(runnable('pnpm exec vitest run --project uid2')).toBe('pnpm exec vitest list --filesOnly --project uid2');
    expect(runnable('pnpm exec playwright test e2e/a.spec.ts')).toBe('pnpm exec playwright test e2e/a.spec.ts --list');
    expect(runnable('uid2 hash-email a@b.c')).toBe('uid2 hash-email a@b.c');
  });

  it('finds commands in the docs', () => {
    expect(commands.length).toBeGreaterThan(10);
  });
});

const byFile = new Map<string, DocCommand[]>();
for (const c of commands) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);

for (const [file, list] of byFile) {
  describe(file, () => {
    const exportsByBlock = new Map<number, string[]>();
    for (const doc of list) {
      it(`${file}:${doc.line}: ${doc.command}`, async () => {
        const exported = exportsByBlock.get(doc.block) ?? [];
        const line = pointAtStack(runnable(doc.command));
        const before = await looseFiles();
        const script = ['set -o pipefail', ...exported, line].join('\n');
        // `node apps/...` is the production start: run it as a deployment would, without the
        // repository's source condition, so it runs the compiled dist/ that the docs build first.
        const base = /^(\w+=\S+ )*node /.test(doc.command) ? strangerEnv() : process.env;
        const result = await run('bash', ['-c', script], {
          cwd: repoRoot,
          env: { ...base, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`, ...stackEnv() },
          timeoutMs: 180_000,
        });
        if (/^export\s/.test(doc.command)) exportsByBlock.set(doc.block, [...exported, line]);
        // Files a later command reads (keys.json) stay until the file's commands are done.
        for (const f of await looseFiles()) if (!before.has(f)) written.add(f);
        const where = `${file}:${doc.line}: \`${doc.command}\` (ran: \`${line}\`)`;
        expect(result.code, `${where} exited ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout.slice(0, 2000)}`).toBe(0);
        const usage = USAGE_ERROR.exec(result.stderr);
        expect(usage, `${where} printed a usage error:\n${result.stderr}`).toBeNull();
      });
    }
    afterAll(() => {
      for (const f of written) rmSync(join(repoRoot, f), { force: true });
      written.clear();
    });
  });
}
