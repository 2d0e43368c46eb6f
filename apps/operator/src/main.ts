// CLI: `pnpm operator --port 8080 --data-dir .data/operator`. Flags win over environment variables.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DAY_MS } from './config.ts';
import { OperatorError } from './errors.ts';
import { createLogger } from './logging.ts';
import type { SiteLink } from './context.ts';
import { startOperator, type RunningOperator } from './start-operator.ts';

const HELP = `Usage: pnpm operator [-- options]

A local, wire-compatible UID2 operator with a sharing-permissions portal.
Landing page on /, API on /v2/*, health on /ops/healthcheck, metrics on /metrics, admin API on /admin/*,
portal on /portal.

Options (each also read from the environment variable shown; flags win):
  --port <n>                 UID2_OPERATOR_PORT           port to listen on (default 8080; 0 = any free port)
  --host <addr>              UID2_OPERATOR_HOST           interface to listen on (default 127.0.0.1)
  --data-dir <path>          UID2_OPERATOR_DATA_DIR       state directory, created owner-only (default .data/operator,
                                                          relative to where you run pnpm)
  --fixture <path>           UID2_OPERATOR_FIXTURE        seed for a new data dir (default apps/operator/fixtures/dev.json)
  --rotation-interval <ms>   UID2_OPERATOR_ROTATION_MS    new keys for every keyset this often (default ${DAY_MS} = 1 day; 0 = off)
  --identity-scope <scope>   UID2_OPERATOR_IDENTITY_SCOPE UID2 (default) or EUID: the scope of tokens, raw UID2s and keys
  --salt-rotation-interval <ms>  UID2_OPERATOR_SALT_ROTATION_MS
                             rotate due salt buckets this often (default ${DAY_MS} = 1 day; 0 = off)
  --salt-rotation-share <f>  UID2_OPERATOR_SALT_ROTATION_SHARE
                             share of all buckets one run may rotate (default 0.00274 = 1/365 a day,
                             about what production rotates)
  --log-level <level>        UID2_OPERATOR_LOG_LEVEL      pino level: trace|debug|info|warn|error|silent (default info;
                                                          debug adds one line per request)
  --links <label=url,...>    UID2_OPERATOR_LINKS          other sites to link from the landing page, e.g.
                                                          collector=http://localhost:8090,shop=http://localhost:8101
  --public-url <url>         UID2_OPERATOR_PUBLIC_URL     the address people use, shown in the start line
                                                          (default http://localhost:<port> on a loopback host)
  -h, --help                                              show this help

The first start seeds the data dir from the fixture (participants, keys, sharing grants, admin key).
Later starts reuse the data dir as it is; delete it to start over.
`;

function numberOption(flag: string | undefined, envName: string, fallback: number, name: string): number {
  const text = flag ?? process.env[envName];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new OperatorError('BAD_CONFIG', `${name} must be a non-negative integer, got "${text}"`);
  return n;
}

function shareOption(text: string | undefined): number {
  if (text === undefined || text === '') return 1 / 365;
  const n = Number(text);
  if (!(n > 0 && n <= 1)) throw new OperatorError('BAD_CONFIG', `--salt-rotation-share must be a number in (0, 1], got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  // `pnpm operator --port 1` reaches us as `main.ts -- --port 1` (the root script's `--` is passed on).
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      fixture: { type: 'string' },
      'rotation-interval': { type: 'string' },
      'identity-scope': { type: 'string' },
      'salt-rotation-interval': { type: 'string' },
      'salt-rotation-share': { type: 'string' },
      'log-level': { type: 'string' },
      links: { type: 'string' },
      'public-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  // `pnpm operator` runs this in apps/operator; relative paths mean what they meant where the user typed them.
  const base = env.INIT_CWD || process.cwd();
  const port = numberOption(values.port, 'UID2_OPERATOR_PORT', 8080, '--port');
  if (port > 65535) throw new OperatorError('BAD_CONFIG', `--port must be at most 65535, got ${port}`);
  const log = createLogger(values['log-level'] ?? env.UID2_OPERATOR_LOG_LEVEL ?? 'info');
  const fixture = values.fixture ?? env.UID2_OPERATOR_FIXTURE;
  // Handlers go in before the (slow) start so a signal during start-up still ends in a clean exit.
  let running: RunningOperator | undefined;
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    (running ? running.close() : Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const operator = await startOperator({
    port,
    host: values.host ?? env.UID2_OPERATOR_HOST ?? '127.0.0.1',
    dataDir: resolve(base, values['data-dir'] ?? env.UID2_OPERATOR_DATA_DIR ?? '.data/operator'),
    ...(fixture ? { fixture: resolve(base, fixture) } : {}),
    rotationIntervalMs: numberOption(values['rotation-interval'], 'UID2_OPERATOR_ROTATION_MS', DAY_MS, '--rotation-interval'),
    identityScope: (values['identity-scope'] ?? env.UID2_OPERATOR_IDENTITY_SCOPE ?? 'UID2').toUpperCase() as 'UID2' | 'EUID',
    saltRotation: {
      intervalMs: numberOption(values['salt-rotation-interval'], 'UID2_OPERATOR_SALT_ROTATION_MS', DAY_MS, '--salt-rotation-interval'),
      fraction: shareOption(values['salt-rotation-share'] ?? env.UID2_OPERATOR_SALT_ROTATION_SHARE),
    },
    logger: log,
    processMetrics: true,
    links: parseLinks(values.links ?? env.UID2_OPERATOR_LINKS ?? ''),
    ...publicUrl(values['public-url'] ?? env.UID2_OPERATOR_PUBLIC_URL),
  });
  running = operator;
  const url = operator.browserUrl;
  process.stdout.write(`UID2 operator on ${url} (portal ${url}/portal), data dir ${operator.dataDir}\n`);
}

function publicUrl(text: string | undefined): { publicUrl?: string } {
  if (!text) return {};
  if (!HTTP_URL.test(text)) throw new OperatorError('BAD_CONFIG', `--public-url must be an http(s) URL, got "${text}"`);
  return { publicUrl: text };
}

const HTTP_URL = /^https?:\/\/[^\s"'<>]+$/;

/** `label=url,label=url` -> links for the landing page; only http(s) URLs. */
function parseLinks(text: string): SiteLink[] {
  const links: SiteLink[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const label = item.slice(0, eq).trim();
    const url = item.slice(eq + 1).trim();
    if (eq < 1 || !/^[\w .-]{1,40}$/.test(label) || !HTTP_URL.test(url)) {
      throw new OperatorError('BAD_CONFIG', `--links: expected label=http(s)://url, got "${item}"`);
    }
    links.push({ label, url });
  }
  return links;
}

/** What to do about a start-up failure, for the errors a user can fix. */
function hintFor(code: string | undefined): string {
  if (code === 'PORT_IN_USE') {
    return 'Choose another port with --port <n> or UID2_OPERATOR_PORT (under `pnpm start`: --operator-port <n> or OPERATOR_PORT).\n';
  }
  if (code === undefined || code.startsWith('ERR_PARSE')) return 'Try --help.\n';
  return '';
}

main().catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`uid2-operator: ${code ? `${code}: ` : ''}${message}\n${hintFor(code)}`);
  process.exit(1);
});
