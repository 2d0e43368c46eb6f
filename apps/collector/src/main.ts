// The `collector` command (bin/collector.mjs, `pnpm collector`, scripts/stack.ts): serve or export.
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, redactedConfig, workerCount, type CollectorConfig } from './config.ts';
import { runExport } from './cli/export.ts';
import { exitQuietlyWhenStdoutCloses } from '@uid2-pixels/uid2/cli/stdout';
import { parseCommandLine } from './cli/args.ts';
import { HELP } from './cli/help.ts';
import { runPrimary, runWorker } from './cluster.ts';
import { CollectorError, ConfigError, UsageError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { startCollector } from './server.ts';
import { issueSenderKey } from './share/sender-keys.ts';

const DEV_CONFIG = fileURLToPath(new URL('../config/dev.json', import.meta.url));

function fail(message: string, code: number): never {
  process.stderr.write(`collector: ${message}\n`);
  process.exit(code);
}

/** Stops on SIGTERM/SIGINT (draining first); a second signal exits at once. */
function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight pixels');
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function main(): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  if (cluster.isWorker) {
    const collector = await runWorker();
    const stop = () => void collector.close().then(() => process.exit(0), () => process.exit(1));
    // The primary sends SIGTERM to each worker on shutdown; a worker drains like a single process.
    process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary coordinates
    process.on('SIGTERM', stop);
    // The primary died (kill -9): answer what is in flight, then go too, rather than live on orphaned.
    process.on('disconnect', () => {
      collector.log.error('the primary process is gone; worker stopping');
      stop();
    });
    return;
  }

  let args;
  try {
    args = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}\nRun "collector --help" for usage.`, 2);
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (args.command === 'sender-key') {
    // Needs no config: the key is random, and only its hash goes into the config.
    const site = Number(args.sender);
    if (!args.sender || !/^\d{1,10}$/.test(args.sender) || !Number.isSafeInteger(site) || site <= 0) {
      fail('sender-key: --sender <siteId> is required (a positive integer)', 2);
    }
    const issued = issueSenderKey(site);
    process.stdout.write(JSON.stringify(issued) + '\n');
    process.stderr.write(`collector: give "key" to sender ${site} once (it is not stored); add "hash" to that sender's keyHashes in the config\n`);
    return;
  }

  let configFile = args.configFile ?? process.env.COLLECTOR_CONFIG;
  let devConfig = false;
  if (!configFile && process.env.NODE_ENV !== 'production' && existsSync(DEV_CONFIG)) {
    configFile = DEV_CONFIG;
    devConfig = true;
  }
  let config: CollectorConfig;
  try {
    config = loadConfig({ file: configFile, env: process.env, flags: args.flags });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }

  if (args.command === 'export') {
    try {
      await runExport(config, args.exportOptions);
    } catch (err) {
      if (err instanceof UsageError) fail(err.message, 2);
      fail(`export failed: ${(err as Error).message}`, 1);
    }
    return;
  }

  const log = createLogger(config.logLevel);
  if (devConfig) log.warn({ config: DEV_CONFIG }, 'no --config given: using the development config (site 104 of the operator dev fixture)');
  log.debug({ config: redactedConfig(config) }, 'configuration');
  process.on('unhandledRejection', (err) => log.error({ err: { message: (err as Error)?.message } }, 'unhandled rejection'));

  if (workerCount(config) > 1) {
    const primary = await runPrimary(config, log);
    onShutdown(log, () => primary.close());
    return;
  }
  const collector = await startCollector({ config, logger: log });
  onShutdown(log, () => collector.close());
}

main().catch((err: Error & { code?: string }) => {
  // Our own errors say what to do; a system error gets its code for the search engine.
  process.stderr.write(`collector: ${err.code && !(err instanceof CollectorError) ? `${err.code}: ` : ''}${err.message}\n`);
  process.exit(1);
});
