// The stack runner behind `pnpm start` / `npm start`: starts the local UID2 operator, the pixel collector
// and the three demo sites as child processes, prefixes and redacts their output, waits until each answers
// its health check, prints the URLs, and on Ctrl-C (SIGINT/SIGTERM) stops every child and exits 0.
// It starts whichever parts exist in the checkout, so a partial tree still runs what it has.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitQuietlyWhenStdoutCloses } from '@uid2-pixels/uid2/cli/stdout';
import { ArgsError, intFlag, intFlagOrEnv, parseArgv } from '@uid2-pixels/uid2/cli/args';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `Usage: pnpm start [-- options]     (same as: npm start -- [options])

Starts the local UID2 operator, the pixel collector and the demo sites (advertiser shop, publisher,
DSP ad server) on embedded defaults, prints their URLs, and stops them all on Ctrl-C.

Options (each also read from the environment variable shown):
  --operator-port <n>    OPERATOR_PORT     operator port (default 8080)
  --collector-port <n>   COLLECTOR_PORT    collector port (default 8090)
  --shop-port <n>        SHOP_PORT         advertiser shop port (default 8101)
  --publisher-port <n>   PUBLISHER_PORT    publisher page port (default 8102)
  --dsp-port <n>         DSP_PORT          DSP ad server port (default 8103)
  --data-dir <path>      UID2_DATA_DIR     data root; operator/ and collector/ live under it (default .data)
  --domain <name>        UID2_DEMO_DOMAIN  give each party its own host under <name> (shop.<name>,
                                           publisher.<name>, ...). \`--domain localhost\` works as is:
                                           browsers resolve *.localhost here and treat it as secure.
                                           Other names must resolve here, and over plain http they are
                                           not secure contexts, so the snippet cannot get tokens there.
                                           Default: every site on localhost, one port each
  --only <list>          UID2_STACK_ONLY   comma-separated parts to start: operator,collector,demo
  --health-timeout <ms>  UID2_HEALTH_TIMEOUT  how long to wait for each part to answer (default 30000)
  --log-level <level>    UID2_LOG_LEVEL    log level of every part (default info; debug shows each request)
  --no-build                               do not (re)build the browser snippet before starting
  -h, --help                               show this help
`;

class StackError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'StackError';
    this.code = code;
  }
}

interface StackConfig {
  ports: { operator: number; collector: number; shop: number; publisher: number; dsp: number };
  dataDir: string;
  domain: string | null;
  only: Set<string> | null;
  healthTimeoutMs: number;
  build: boolean;
  /** Passed to every part through its own log-level variable; null leaves each at its default (info). */
  logLevel: string | null;
}

function readConfig(argv: string[]): StackConfig {
  const { values } = parseArgv(argv, {
    'operator-port': { type: 'string' },
    'collector-port': { type: 'string' },
    'shop-port': { type: 'string' },
    'publisher-port': { type: 'string' },
    'dsp-port': { type: 'string' },
    'data-dir': { type: 'string' },
    domain: { type: 'string' },
    only: { type: 'string' },
    'health-timeout': { type: 'string' },
    'log-level': { type: 'string' },
    'no-build': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const port = (flag: string, envName: string, fallback: number): number =>
    intFlagOrEnv(`--${flag}`, values[flag as 'operator-port'], envName, fallback, { min: 1, max: 65535 }, env);
  const dataDirText = values['data-dir'] ?? env.UID2_DATA_DIR ?? '.data';
  const onlyText = values.only ?? env.UID2_STACK_ONLY;
  const only = onlyText ? new Set(onlyText.split(',').map((s) => s.trim()).filter(Boolean)) : null;
  for (const name of only ?? []) {
    if (!['operator', 'collector', 'demo'].includes(name)) {
      throw new StackError('BAD_PART', `--only: unknown part "${name}" (known: operator, collector, demo)`);
    }
  }
  const timeoutText = values['health-timeout'] ?? env.UID2_HEALTH_TIMEOUT;
  const timeoutSource = values['health-timeout'] !== undefined ? '--health-timeout' : 'UID2_HEALTH_TIMEOUT';
  const healthTimeoutMs = timeoutText ? intFlag(timeoutSource, timeoutText, { min: 1, max: 3_600_000 }) : 30_000;
  const logLevel = values['log-level'] ?? env.UID2_LOG_LEVEL ?? null;
  if (logLevel !== null && !['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new StackError('BAD_LOG_LEVEL', `--log-level must be trace, debug, info, warn, error, fatal or silent, got "${logLevel}"`);
  }
  const domain = values.domain ?? env.UID2_DEMO_DOMAIN ?? null;
  if (domain !== null && !/^[a-z0-9.-]+$/i.test(domain)) {
    throw new StackError('BAD_DOMAIN', `--domain must be a host name, got "${domain}"`);
  }
  return {
    ports: {
      operator: port('operator-port', 'OPERATOR_PORT', 8080),
      collector: port('collector-port', 'COLLECTOR_PORT', 8090),
      shop: port('shop-port', 'SHOP_PORT', 8101),
      publisher: port('publisher-port', 'PUBLISHER_PORT', 8102),
      dsp: port('dsp-port', 'DSP_PORT', 8103),
    },
    dataDir: isAbsolute(dataDirText) ? dataDirText : resolve(root, dataDirText),
    domain: domain ? domain.toLowerCase() : null,
    only,
    healthTimeoutMs,
    build: !values['no-build'],
    logLevel,
  };
}

/** The URL a browser uses for a site: its own host under --domain, or localhost with its own port. */
function siteUrl(config: StackConfig, host: string, port: number): string {
  return config.domain ? `http://${host}.${config.domain}:${port}` : `http://localhost:${port}`;
}

interface Part {
  name: 'operator' | 'collector' | 'demo';
  /** Ports it listens on, with the flag and variable that change each (checked free before starting). */
  ports: Array<[port: number, flag: string, env: string]>;
  /** Entry file, relative to the repo root; the part is skipped when it does not exist yet. */
  entry: string;
  args: string[];
  env: Record<string, string>;
  /** URLs polled until each answers 2xx. */
  health: string[];
  /** What the newcomer is told to open, printed once everything is up. */
  urls: Array<[label: string, url: string]>;
}

function planParts(config: StackConfig): Part[] {
  const { ports } = config;
  const operatorUrl = siteUrl(config, 'operator', ports.operator);
  const collectorUrl = siteUrl(config, 'collector', ports.collector);
  const shopUrl = siteUrl(config, 'shop', ports.shop);
  const publisherUrl = siteUrl(config, 'publisher', ports.publisher);
  const dspUrl = siteUrl(config, 'dsp', ports.dsp);
  const local = (port: number) => `http://127.0.0.1:${port}`;
  const starts = (part: string) => !config.only || config.only.has(part);
  // The operator's landing page links to the other sites that this run starts.
  const links = [
    ...(starts('collector') ? [`collector=${collectorUrl}`, `status=${collectorUrl}/status`] : []),
    ...(starts('demo') ? [`shop=${shopUrl}`, `publisher=${publisherUrl}`, `dsp=${dspUrl}`] : []),
  ];
  const logLevel = (name: string): Record<string, string> => (config.logLevel ? { [name]: config.logLevel } : {});
  return [
    {
      name: 'operator',
      entry: 'apps/operator/src/main.ts',
      args: [
        '--port', String(ports.operator), '--data-dir', join(config.dataDir, 'operator'),
        // Its start line then names the address the banner gives, and its landing page links the others.
        '--public-url', operatorUrl, ...(links.length ? ['--links', links.join(',')] : []),
      ],
      env: logLevel('UID2_OPERATOR_LOG_LEVEL'),
      health: [`${local(ports.operator)}/ops/healthcheck`],
      ports: [[ports.operator, '--operator-port', 'OPERATOR_PORT']],
      urls: [
        ['operator', operatorUrl],
        ['portal', `${operatorUrl}/portal`],
      ],
    },
    {
      name: 'collector',
      entry: 'apps/collector/src/main.ts',
      args: [
        '--port', String(ports.collector),
        '--public-url', collectorUrl,
        '--data-dir', join(config.dataDir, 'collector'),
        '--operator-url', local(ports.operator),
      ],
      // The development config, named, so the collector does not warn that none was given.
      env: { COLLECTOR_CONFIG: process.env.COLLECTOR_CONFIG ?? join(root, 'apps/collector/config/dev.json'), ...logLevel('COLLECTOR_LOG_LEVEL') },
      // Ready once its sharing keys are loaded: before that every pixel would be lost.
      health: [`${local(ports.collector)}/readyz`],
      ports: [[ports.collector, '--collector-port', 'COLLECTOR_PORT']],
      urls: [
        ['collector', collectorUrl],
        ['status', `${collectorUrl}/status`],
      ],
    },
    {
      name: 'demo',
      entry: 'apps/demo/src/main.ts',
      args: [
        '--shop-port', String(ports.shop),
        '--publisher-port', String(ports.publisher),
        '--dsp-port', String(ports.dsp),
        // The browser-facing addresses (pages and pixels) and the server-side one (the DSP's key sync).
        '--operator-url', operatorUrl,
        '--operator-server-url', local(ports.operator),
        '--collector-url', collectorUrl,
        '--shop-url', shopUrl,
        '--publisher-url', publisherUrl,
        '--dsp-url', dspUrl,
      ],
      env: logLevel('LOG_LEVEL'),
      health: [ports.shop, ports.publisher, ports.dsp].map((p) => `${local(p)}/healthz`),
      ports: [
        [ports.shop, '--shop-port', 'SHOP_PORT'],
        [ports.publisher, '--publisher-port', 'PUBLISHER_PORT'],
        [ports.dsp, '--dsp-port', 'DSP_PORT'],
      ],
      urls: [
        ['shop', shopUrl],
        ['publisher', publisherUrl],
        ['dsp', dspUrl],
      ],
    },
  ];
}

// --- Output: every child line is prefixed with its part and scrubbed of identifying values ----------

const REDACTIONS: Array<[RegExp, string]> = [
  // Emails (DII).
  [/[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
  // Phone numbers in E.164.
  [/(?:\+|%2B)\d{10,15}\b/g, '[phone]'],
  // UID2 credentials: API keys, CSTG public and private keys.
  [/UID2-[CXY]-[A-Z]-[A-Za-z0-9+/=._-]+/g, '[uid2-credential]'],
  // Tokens (advertising, refresh, sharing): long base64 / base64url runs.
  [/[A-Za-z0-9+/_-]{60,}={0,2}/g, '[token]'],
  // Raw UID2s, hashes and 32-byte secrets: 44-character base64 values.
  [/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])/g, '[base64-32]'],
  [/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}==(?![A-Za-z0-9+/=])/g, '[base64-32]'],
];

function redact(line: string): string {
  let out = line;
  for (const [pattern, replacement] of REDACTIONS) out = out.replace(pattern, replacement);
  return out;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** pino JSON lines become `level msg {other fields}`; anything else passes through. Redaction runs last. */
function formatLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { level, msg, time: _time, pid: _pid, hostname: _host, ...rest } = record;
      const levelName = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level ?? '');
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      return redact(`${levelName.padEnd(5)} ${String(msg ?? '')}${extra}`);
    } catch {
      // Not JSON after all: print it as text.
    }
  }
  return redact(line);
}

const width = 9;
function say(part: string, text: string, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(`[${part}]`.padEnd(width + 2) + ' ' + text + '\n');
}

function pipeOutput(part: string, child: ChildProcess): void {
  for (const [source, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    if (!source) continue;
    createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => say(part, formatLine(line), sink));
  }
}

// --- Snippet build ------------------------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The demo pages load the built snippet; rebuild it when its sources are newer than the bundle. */
function ensureSnippetBuilt(): void {
  const src = join(root, 'packages/pixel/src');
  const bundle = join(root, 'packages/pixel/dist/uid2-pixel.iife.js');
  if (!existsSync(src)) return;
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestMtime(src)) return;
  say('pixel', 'building the browser snippet (pnpm --filter @uid2-pixels/pixel build)');
  const result = spawnSync('pnpm', ['--filter', '@uid2-pixels/pixel', 'build'], { cwd: root, encoding: 'utf8' });
  for (const line of `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')) if (line.trim()) say('pixel', redact(line));
  if (result.status !== 0) throw new StackError('SNIPPET_BUILD_FAILED', 'the browser snippet did not build; see the [pixel] lines above');
}

// --- Ports ------------------------------------------------------------------------------------------

/** Resolves false when something already listens on the port (an earlier stack, say). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

/** Every port a part needs, checked before anything starts, so a taken one names its flag. */
async function assertPortsFree(parts: Part[]): Promise<void> {
  for (const part of parts) {
    for (const [port, flag, envName] of part.ports) {
      if (!(await portIsFree(port))) {
        throw new StackError(
          'PORT_IN_USE',
          `port ${port} (${part.name}) is already in use: start with ${flag} <n> (or ${envName}=<n>), or stop what holds it (another \`npm start\`?)`,
        );
      }
    }
  }
}

// --- Children -----------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function waitHealthy(part: Part, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of part.health) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new StackError('CHILD_EXITED', `${part.name} exited during startup (code ${child.exitCode ?? child.signalCode})`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new StackError('HEALTH_TIMEOUT', `${part.name} did not answer ${url} within ${timeoutMs} ms`);
      await sleep(150);
    }
  }
}

async function main(): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  const config = readConfig(process.argv.slice(2));
  const parts = planParts(config).filter((part) => {
    if (config.only && !config.only.has(part.name)) return false;
    if (!existsSync(join(root, part.entry))) {
      say('stack', `skipping ${part.name}: ${part.entry} is not in this checkout yet`);
      return false;
    }
    return true;
  });
  if (parts.length === 0) throw new StackError('NOTHING_TO_START', 'no part of the stack exists yet');
  await assertPortsFree(parts);
  if (config.build && parts.some((part) => part.name === 'demo')) ensureSnippetBuilt();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let exitCode = 0;

  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      exitCode = code;
      if (children.size > 0) say('stack', 'stopping…');
      // Stop in reverse order: the sites before the collector before the operator they depend on.
      for (const [name, child] of [...children].reverse()) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const exited = await Promise.race([
            new Promise<boolean>((done) => child.once('exit', () => done(true))),
            sleep(10_000).then(() => false),
          ]);
          if (!exited) {
            say('stack', `${name} ignored SIGTERM for 10 s; killing it`);
            child.kill('SIGKILL');
          }
        }
      }
      say('stack', 'stopped');
      process.exit(exitCode);
    }
    // A second stop request while stopping: keep waiting for the first one to finish.
    return new Promise<never>(() => {});
  };

  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // If the runner itself dies, take the children with it.
  process.on('exit', () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  });

  for (const part of parts) {
    if (stopping) break;
    say('stack', `starting ${part.name}`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, part.entry), ...part.args], {
      cwd: join(root, dirname(dirname(part.entry))),
      env: { ...process.env, ...part.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(part.name, child);
    pipeOutput(part.name, child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      say('stack', `${part.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the rest`, process.stderr);
      void stop(1);
    });
    try {
      await waitHealthy(part, child, config.healthTimeoutMs);
    } catch (error) {
      if (stopping) break;
      say('stack', (error as Error).message, process.stderr);
      await stop(1);
    }
  }
  if (stopping) return;

  const lines = parts.flatMap((part) => part.urls).map(([label, url]) => `  ${label.padEnd(10)} ${url}`);
  const started = new Set(parts.map((part) => part.name));
  const hints = started.has('demo') && started.has('collector')
    ? [
        'Try the story (docs/walkthrough.md): check out at the shop with any email, then sign in at the',
        'publisher with the same email; the collector status page shows both segments filling.',
        'The portal asks for the admin key: "adminKey" in apps/operator/fixtures/dev.json.',
      ]
    : [];
  process.stdout.write(
    `\nuid2-pixels stack is up (data in ${config.dataDir}):\n${lines.join('\n')}\n` +
      `${hints.map((h) => `${h}\n`).join('')}` +
      'Ctrl-C stops everything.\n\n',
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ArgsError ? ' (see: npm start -- --help)' : '';
  say('stack', `cannot start: ${message}${hint}`, process.stderr);
  process.exit(2);
});
