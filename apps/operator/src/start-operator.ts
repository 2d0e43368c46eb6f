// startOperator: opens (or seeds) a data dir, builds the app, listens, and runs the key rotation
// schedule. Used by main.ts and by other packages' tests (port 0 + a temp data dir).
import { once } from 'node:events';
import { createServer } from 'node:http';
import { isLoopbackHost, listen, urlHost } from '@uid2-pixels/uid2/internal/listen';
import type { Logger } from 'pino';
import { DEFAULT_LIFETIMES, keyScheduleFor, DAY_MS, type TokenLifetimes } from './config.ts';
import type { OperatorContext, SiteLink } from './context.ts';
import { OperatorError } from './errors.ts';
import { createApp } from './http/app.ts';
import { OptoutPolicy } from './identity/optout.ts';
import type { Scope } from './identity/raw-uid.ts';
import type { RawUidVersion } from './identity/salt-buckets.ts';
import { inScope } from './cstg/keypair.ts';
import { DEFAULT_SALT_SCHEDULE, SaltRotation, type SaltRotateRequest, type SaltRotateResult, type SaltSchedule } from './identity/salt-rotation.ts';
import { KeyService, type RotateOptions } from './keys/key-service.ts';
import { createLogger } from './logging.ts';
import { OperatorMetrics } from './metrics.ts';
import { apiKeyMatches } from './participants/api-keys.ts';
import { loadFixture, parseFixture, type OperatorFixture } from './state/fixture.ts';
import type { KeyRecord } from './state/model.ts';
import { OperatorStore, type SaltSeed } from './state/store.ts';

export interface StartOperatorOptions {
  /** Data dir; created owner-only and seeded from the fixture when it has no state yet. */
  dataDir: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Seed for a new data dir: a path or a parsed fixture. Default fixtures/dev.json. Ignored if the dir has state. */
  fixture?: string | OperatorFixture;
  /** Every keyset gets a new key this often. Default one day; 0 turns scheduled rotation off. */
  rotationIntervalMs?: number;
  /** How long before activation a new key is published. Default rotationInterval / 24. */
  keyActivationLeadMs?: number;
  /** How long a key seals (activates -> expires). Default 2 x rotationInterval. */
  keyLifetimeMs?: number;
  /** Token lifetimes in seconds (defaults: identity 3600, refresh 86400, refresh_from 900, sharing 2592000). */
  lifetimes?: Partial<TokenLifetimes>;
  /** Salt buckets for a new data dir. Default 1024. */
  saltBucketCount?: number;
  /** Exact salts for a new data dir (first_level + salt-file lines), e.g. the spec's test salts. */
  salts?: SaltSeed;
  /**
   * Salt-bucket rotation: every `intervalMs` (default 1 day; 0 = off) up to `fraction` of the buckets
   * (default 1/365) among those due rotate; rotated and checked buckets are due again after `cadenceMs`
   * (default 30 days), which is the `r` /v3/identity/map answers.
   */
  saltRotation?: Partial<SaltSchedule>;
  /** Raw UID2 format for salt buckets: 3 (default, 33 bytes with the scope/type prefix) or 2 (legacy 32 bytes). */
  rawUidVersion?: RawUidVersion;
  /**
   * 'UID2' (default) or 'EUID' (the real operator's `identity_scope`): the scope in every token, refresh
   * token, raw UID2 prefix and key sync answer, and the `EUID-X-`/`EUID-Y-` prefix of CSTG key pairs
   * (the fixture's pairs are re-prefixed; their key material is the same).
   */
  identityScope?: Scope;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
  /** A pino logger; default: JSON logs at UID2_OPERATOR_LOG_LEVEL (silent when unset). */
  logger?: Logger;
  /** Add Node's default process metrics to /metrics. Default false (main.ts turns it on). */
  processMetrics?: boolean;
  /** The other sites of the stack, linked from the landing page `/`. Default none. */
  links?: SiteLink[];
  /** The address people reach this operator at (e.g. behind a host name); shown instead of the listen address. */
  publicUrl?: string;
}

export interface RunningOperator {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** The URL to show people: `publicUrl` if given, else `localhost` for a loopback address, else `url`. */
  browserUrl: string;
  port: number;
  dataDir: string;
  /** The admin key (Bearer for /admin/*), when the seeding fixture's key still matches; else null. */
  adminKey: string | null;
  /** The fixture this start was given or loaded (its participants hold the API keys and secrets). */
  fixture: OperatorFixture;
  /** Rotate now: new keys for every keyset (or the given ones); `activateNow` skips the lead time. */
  rotateKeys(options?: RotateOptions): KeyRecord[];
  /** Rotate salt buckets now (all of `bucketIds`, or `count`, or a `fraction` of them, oldest first). */
  rotateSalts(request: SaltRotateRequest): SaltRotateResult;
  /** Stops the schedule and the server; resolves when every connection is closed. Safe to call twice. */
  close(): Promise<void>;
}

export async function startOperator(options: StartOperatorOptions): Promise<RunningOperator> {
  const now = options.now ?? Date.now;
  const rotationIntervalMs = options.rotationIntervalMs ?? DAY_MS;
  if (!Number.isFinite(rotationIntervalMs) || rotationIntervalMs < 0) throw new OperatorError('BAD_CONFIG', 'rotationIntervalMs must be >= 0');
  const schedule = keyScheduleFor(rotationIntervalMs, {
    ...(options.keyActivationLeadMs !== undefined ? { activationLeadMs: options.keyActivationLeadMs } : {}),
    ...(options.keyLifetimeMs !== undefined ? { keyLifetimeMs: options.keyLifetimeMs } : {}),
  });
  if (rotationIntervalMs > 0 && schedule.keyLifetimeMs <= rotationIntervalMs + schedule.activationLeadMs) {
    throw new OperatorError('BAD_CONFIG', 'keyLifetimeMs must exceed rotationIntervalMs + keyActivationLeadMs, or a keyset runs out of keys');
  }
  const lifetimes: TokenLifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
  const scope = options.identityScope ?? 'UID2';
  if (scope !== 'UID2' && scope !== 'EUID') throw new OperatorError('BAD_CONFIG', `identityScope must be UID2 or EUID, got ${String(scope)}`);
  const seed = typeof options.fixture === 'object' ? parseFixture(options.fixture) : loadFixture(options.fixture);
  const fixture = { ...seed, participants: seed.participants.map((p) => inScope(p, scope)) };

  const store = OperatorStore.open({
    dataDir: options.dataDir,
    fixture: () => fixture,
    now,
    schedule,
    saltBucketCount: options.saltBucketCount ?? 1024,
    rawUidVersion: options.rawUidVersion ?? 3,
    scope,
    ...(options.salts ? { salts: options.salts } : {}),
  });
  const log = options.logger ?? createLogger(process.env.UID2_OPERATOR_LOG_LEVEL ?? 'silent');
  const metrics = new OperatorMetrics({ defaultMetrics: options.processMetrics ?? false });
  const keys = new KeyService(store, schedule, lifetimes, metrics, now);
  keys.tick(); // catch up after downtime: rotate if due, make sure every keyset can seal
  const saltSchedule: SaltSchedule = { ...DEFAULT_SALT_SCHEDULE, ...options.saltRotation };
  const saltRotation = new SaltRotation(store, saltSchedule, metrics, now);
  saltRotation.tick();
  const ctx: OperatorContext = { store, keys, lifetimes, schedule, optouts: new OptoutPolicy(store.salts), saltRotation, metrics, log, now, links: options.links ?? [] };

  const host = options.host ?? '127.0.0.1';
  const server = createServer(createApp(ctx));
  const port = await listen(server, options.port ?? 0, host, (error) => listenError(error, host, options.port ?? 0));
  const url = `http://${urlHost(host)}:${port}`;
  const browserUrl = options.publicUrl?.replace(/\/+$/, '') ?? (isLoopbackHost(host) ? `http://localhost:${port}` : url);

  const timers = [
    scheduleJob(rotationIntervalMs, () => keys.tick(), 'key rotation failed', log),
    scheduleJob(saltSchedule.intervalMs, () => saltRotation.tick(), 'salt rotation failed', log),
  ];

  log.info(
    { url: browserUrl, listen: `${host}:${port}`, dataDir: options.dataDir, seeded: store.seeded, rotationIntervalMs, saltRotationIntervalMs: saltSchedule.intervalMs },
    'operator listening',
  );
  let closing: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    for (const timer of timers) clearInterval(timer);
    server.closeIdleConnections();
    const closed = once(server, 'close');
    server.close();
    const force = setTimeout(() => server.closeAllConnections(), 2000);
    await closed;
    clearTimeout(force);
  };
  const adminKey = apiKeyMatches(fixture.adminKey, store.state.adminKeySalt, store.state.adminKeyHash) ? fixture.adminKey : null;

  return {
    url,
    browserUrl,
    port,
    dataDir: options.dataDir,
    adminKey,
    fixture,
    rotateKeys: (rotate) => keys.rotate({ user: 'api', ...rotate }),
    rotateSalts: (request) => saltRotation.rotate({ user: 'api', ...request }),
    close: () => (closing ??= stop()),
  };
}

/** A taken, forbidden or absent address as an error that says so. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): OperatorError | undefined {
  if (error.code === 'EADDRINUSE') {
    return new OperatorError('PORT_IN_USE', `port ${port} on ${host} is already in use (another operator, or an earlier start still running?)`, { cause: error });
  }
  if (error.code === 'EACCES') {
    return new OperatorError('PORT_IN_USE', `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges)`, { cause: error });
  }
  if (error.code === 'EADDRNOTAVAIL') {
    return new OperatorError('BAD_CONFIG', `cannot listen on ${host}: no such address on this machine`, { cause: error });
  }
  return undefined;
}

/**
 * Runs a scheduled job a few times per interval, so it is late by a quarter interval at most (and at
 * most 1 min). A failing run is logged and retried on the next tick.
 */
function scheduleJob(intervalMs: number, job: () => void, failure: string, log: Logger): NodeJS.Timeout {
  const tickEvery = intervalMs > 0 ? Math.max(10, Math.min(Math.floor(intervalMs / 4), 60_000)) : 60_000;
  const timer = setInterval(() => {
    try {
      job();
    } catch (error) {
      log.error({ err: error }, failure);
    }
  }, tickEvery);
  timer.unref();
  return timer;
}
