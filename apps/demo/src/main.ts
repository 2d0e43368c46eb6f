// CLI: `pnpm --filter @uid2-pixels/demo start -- [options]` starts the shop, publisher and DSP sites.
// The stack runner (scripts/stack.ts, `pnpm start`) runs this with the operator and collector.
import { exitQuietlyWhenStdoutCloses } from '@uid2-pixels/uid2/cli/stdout';
import { ArgsError, parseArgv } from '@uid2-pixels/uid2/cli/args';
import { createLogger } from './log.ts';
import { startDemo } from './index.ts';

const HELP = `Usage: pnpm --filter @uid2-pixels/demo start -- [options]

Starts the demo sites, each on its own port (and so its own origin):
  shop       Acme Shop (advertiser, site 101): checkout with a conversion pixel
  publisher  Daily Planet (publisher, site 103): article page that asks the DSP for an ad
  dsp        Bidwell DSP (site 102): ad server answering bid requests with a creative pixel

Options (flag, then environment variable):
  --shop-port <n>               SHOP_PORT                 default 8101
  --publisher-port <n>          PUBLISHER_PORT            default 8102
  --dsp-port <n>                DSP_PORT                  default 8103
  --host <addr>                 DEMO_HOST                 interface to listen on (default 127.0.0.1)
  --operator-url <url>          OPERATOR_URL              operator as browsers reach it (default http://localhost:8080)
  --operator-server-url <url>   OPERATOR_SERVER_URL       operator as the DSP server reaches it (default: --operator-url)
  --collector-url <url>         COLLECTOR_URL             collector as browsers reach it (default http://localhost:8090)
  --shop-url / --publisher-url / --dsp-url <url>
                                SHOP_URL / PUBLISHER_URL / DSP_URL   public origins (default http://localhost:<port>)
  --fixture <path>              DEMO_FIXTURE              participants file (default apps/operator/fixtures/dev.json)
  --key-refresh-ms <n>          DSP_KEY_REFRESH_MS        DSP key sync interval (default 3600000)
  --snippet <path>              DEMO_SNIPPET              built snippet (default packages/pixel/dist/uid2-pixel.iife.js)
  -h, --help
Credentials override the fixture (environment only, so they never show in the process list):
  SHOP_SUBSCRIPTION_ID, SHOP_SERVER_PUBLIC_KEY, PUBLISHER_SUBSCRIPTION_ID, PUBLISHER_SERVER_PUBLIC_KEY,
  DSP_API_KEY, DSP_SECRET
`;

const FLAGS: Record<string, [key: string, env: string]> = {
  'shop-port': ['shopPort', 'SHOP_PORT'],
  'publisher-port': ['publisherPort', 'PUBLISHER_PORT'],
  'dsp-port': ['dspPort', 'DSP_PORT'],
  host: ['host', 'DEMO_HOST'],
  'operator-url': ['operatorUrl', 'OPERATOR_URL'],
  'operator-server-url': ['operatorServerUrl', 'OPERATOR_SERVER_URL'],
  'collector-url': ['collectorUrl', 'COLLECTOR_URL'],
  'shop-url': ['shopUrl', 'SHOP_URL'],
  'publisher-url': ['publisherUrl', 'PUBLISHER_URL'],
  'dsp-url': ['dspUrl', 'DSP_URL'],
  fixture: ['fixture', 'DEMO_FIXTURE'],
  'key-refresh-ms': ['keyRefreshMs', 'DSP_KEY_REFRESH_MS'],
  snippet: ['snippet', 'DEMO_SNIPPET'],
};
const SECRET_ENV: Record<string, string> = {
  shopSubscriptionId: 'SHOP_SUBSCRIPTION_ID',
  shopServerPublicKey: 'SHOP_SERVER_PUBLIC_KEY',
  publisherSubscriptionId: 'PUBLISHER_SUBSCRIPTION_ID',
  publisherServerPublicKey: 'PUBLISHER_SERVER_PUBLIC_KEY',
  dspApiKey: 'DSP_API_KEY',
  dspSecret: 'DSP_SECRET',
};

async function main(): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  const { values } = parseArgv(
    process.argv.slice(2),
    Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
  );
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const flags = values as Record<string, string | boolean | undefined>;
  const input: Record<string, string | undefined> = {};
  for (const [flag, [key, env]] of Object.entries(FLAGS)) {
    const value = flags[flag];
    input[key] = typeof value === 'string' ? value : process.env[env];
  }
  for (const [key, env] of Object.entries(SECRET_ENV)) input[key] = process.env[env];

  const log = createLogger('demo');
  const demo = await startDemo(input, log);
  const { urls } = demo.config;
  // As the operator and the collector say it: the URL a browser opens, then the interface bound.
  const bound = (port: number) => `${demo.config.listenHost.includes(':') ? `[${demo.config.listenHost}]` : demo.config.listenHost}:${port}`;
  log.info(
    { shop: urls.shop, publisher: urls.publisher, dsp: urls.dsp, listen: { shop: bound(demo.ports.shop), publisher: bound(demo.ports.publisher), dsp: bound(demo.ports.dsp) } },
    'demo sites listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ArgsError) {
    process.stderr.write(`demo: ${error.message}\nRun "pnpm --filter @uid2-pixels/demo start -- --help" for usage.\n`);
  } else {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(2);
});
