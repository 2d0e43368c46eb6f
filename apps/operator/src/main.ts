// CLI: `uid2-operator --port 8080 --data-dir .data/operator` (in this repository: `pnpm operator ...`).
// Flags win over environment variables.
import { resolve } from 'node:path';
import { exitQuietlyWhenStdoutCloses } from '@uid2-pixels/uid2/cli/stdout';
import { ArgsError, intFlagOrEnv, parseArgv } from '@uid2-pixels/uid2/cli/args';
import { DAY_MS } from './config.ts';
import { OperatorError } from './errors.ts';
import { createLogger } from './logging.ts';
import type { SiteLink } from './context.ts';
import { startOperator, type RunningOperator } from './start-operator.ts';

const HELP = `Usage: uid2-operator [options]        (in this repository: pnpm operator [options])

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

/** The salt rotation share from its flag or else its environment variable: a number in (0, 1]. */
function shareOption(flag: string | undefined, envText: string | undefined): number {
  const text = flag ?? envText;
  if (text === undefined || text === '') return 1 / 365;
  const n = Number(text);
  const source = flag !== undefined ? '--salt-rotation-share' : 'UID2_OPERATOR_SALT_ROTATION_SHARE';
  if (!(n > 0 && n <= 1)) throw new ArgsError(`${source} must be a number in (0, 1], got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  // `pnpm operator -- --help` forwards the `--`; parseArgv drops it.
  const { values } = parseArgv(process.argv.slice(2), {
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
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  // `pnpm operator` runs this in apps/operator; relative paths mean what they meant where the user typed them.
  const base = env.INIT_CWD || process.cwd();
  const port = intFlagOrEnv('--port', values.port, 'UID2_OPERATOR_PORT', 8080, { min: 0, max: 65535 });
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
    rotationIntervalMs: intFlagOrEnv('--rotation-interval', values['rotation-interval'], 'UID2_OPERATOR_ROTATION_MS', DAY_MS, { min: 0, max: Number.MAX_SAFE_INTEGER }),
    identityScope: (values['identity-scope'] ?? env.UID2_OPERATOR_IDENTITY_SCOPE ?? 'UID2').toUpperCase() as 'UID2' | 'EUID',
    saltRotation: {
      intervalMs: intFlagOrEnv('--salt-rotation-interval', values['salt-rotation-interval'], 'UID2_OPERATOR_SALT_ROTATION_MS', DAY_MS, { min: 0, max: Number.MAX_SAFE_INTEGER }),
      fraction: shareOption(values['salt-rotation-share'], env.UID2_OPERATOR_SALT_ROTATION_SHARE),
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
  if (error instanceof ArgsError) {
    process.stderr.write(`uid2-operator: ${error.message}\nRun "uid2-operator --help" for usage.\n`);
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`uid2-operator: ${code ? `${code}: ` : ''}${message}\n${hintFor(code)}`);
  process.exit(1);
});
