// startCollector: one collector process. Opens the store, starts key sync, and listens with a raw
// node:http 'request' listener that answers the pixel routes itself and hands every other request to
// Express. Used by main.ts (single process), by each cluster worker (cluster.ts), and by tests.
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { OptOutStatusClient, SharingClient } from '@uid2-pixels/uid2';
import { isLoopbackHost, listen, urlHost } from '@uid2-pixels/uid2/internal/listen';
import { createApp } from './app.ts';
import { SenderAcl } from './authorise.ts';
import { workerCount, type CollectorConfig } from './config.ts';
import { defaultDecryptThreads, ThreadedDecrypter } from './decrypt-threads.ts';
import type { TokenDecrypter } from './decrypter.ts';
import { startHeldResolver, type HeldResolver } from './held-resolver.ts';
import { KeyRefreshError, refreshSharingKeys, type KeyRefreshResult } from './key-refresh.ts';
import { createLogger, type Logger } from './log.ts';
import { CollectorMetrics } from './metrics.ts';
import { OptoutGate, type OptoutStatusSource } from './optout-gate.ts';
import { Intake } from './intake/intake.ts';
import { createPixelHandler } from './pixel/handler.ts';
import { historyValues } from './status/data.ts';
import { KeyOwners, keyOwnersFile } from './status/key-owners.ts';
import { StatusHistory } from './status/history.ts';
import { LiveMembers } from './status/members.ts';
import { createStore } from './store/create.ts';
import { PortInUseError } from './errors.ts';
import type { SegmentStore } from './store/segment-store.ts';
import { RedisStore } from './store/redis-store.ts';
import { startBulkRoutes, type BulkRoutes } from './share/routes.ts';
import type { DropSource } from './drops/sources.ts';
import type { IdempotencyStore } from './share/idempotency.ts';

export interface StartCollectorOptions {
  config: CollectorConfig;
  logger?: Logger;
  /** Use this store instead of the configured one (cluster workers pass the primary's, over IPC). */
  store?: SegmentStore;
  /** Use this decrypter instead of a SharingClient on the configured operator. */
  decrypter?: TokenDecrypter;
  /** Use this opt-out source instead of the operator's /v2/optout/status. */
  optoutSource?: OptoutStatusSource;
  /** Re-check held events here. Default true; cluster workers with the file store leave it to the primary. */
  resolveHeld?: boolean;
  /** Prometheus text for /metrics and the status page (cluster workers ask the primary). */
  metricsText?: () => Promise<string>;
  metrics?: CollectorMetrics;
  /** What POST /admin/keys/refresh does (cluster workers ask the primary to refresh every worker). */
  refreshKeys?: () => Promise<KeyRefreshResult>;
  /** Run the drop ingester here (config drops.source). Default true; in cluster mode only worker 1. */
  ingestDrops?: boolean;
  /** Read drops from this source instead of the configured one (tests: a fault no real source makes on demand). */
  dropSource?: DropSource;
  /** Idempotency-Keys kept elsewhere (a cluster worker: the primary's, over IPC). Default: in Redis or <dataDir>/share. */
  idempotency?: IdempotencyStore;
  /** Name of this process's key owners file in <dataDir> (the status page's attribution; cluster workers each keep their own). */
  keyOwnersFile?: string;
  /** Called after events were held (default: this process's held resolver runs a pass soon). */
  onHeld?: () => void;
}

export interface RunningCollector {
  url: string;
  /** The decision path of every way in (pixels here; bulk and file intake use the same one). */
  intake: Intake;
  port: number;
  server: Server;
  store: SegmentStore;
  metrics: CollectorMetrics;
  gate: OptoutGate;
  sharing: SharingClient | null;
  log: Logger;
  /** The bulk API and the drop ingester (null when drops are off or run elsewhere). */
  bulk: BulkRoutes;
  /** Fetches this process's sharing keys now; rejects with KeyRefreshError when that fails. */
  refreshKeys(): Promise<KeyRefreshResult>;
  /** Pixels received and not answered yet. */
  inFlight(): number;
  /** Stops accepting, answers every pixel in flight, flushes and closes the store. */
  close(): Promise<void>;
}

/** Unready this long before the last sharing key expires, while refreshing fails. */
const KEYS_EXPIRING_MS = 60_000;
/** Unready this long after a failed commit (a store that fails without disconnecting, e.g. a full disk). */
const STORE_FAILURE_UNREADY_MS = 5_000;

/** At most one log line per interval for a repeating error on the hot path. */
function rateLimited(log: Logger, message: string, intervalMs = 5000): (err: Error) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    log.error({ err: { message: err.message, code: (err as { code?: unknown }).code }, suppressed }, message);
    last = now;
    suppressed = 0;
  };
}

export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  const ownsStore = options.store === undefined;
  const metrics = options.metrics ?? new CollectorMetrics({ processMetrics: true, pixel: true, store: ownsStore || options.resolveHeld !== false });
  const operator = { baseUrl: config.operator.url, apiKey: config.operator.apiKey, secret: config.operator.secret, timeoutMs: config.operator.timeoutMs };

  const store = options.store ?? createStore(config, { metrics, log });
  await store.open();

  // Which site each sender key belonged to, so a token sealed with a key no longer shared is still named.
  const keyOwners = new KeyOwners({
    file: keyOwnersFile(resolve(config.dataDir), options.keyOwnersFile),
    log,
    onUnattributed: (keyId, what) => metrics.unattributedKey(keyId, what),
  });
  await keyOwners.load();

  // decrypt: the receiver's sharing keys, fetched now and then hourly with jitter; last good keys kept.
  // Bulk batches are decrypted on threads beside the main thread (decrypt-threads.ts), pixels on it.
  let sharing: SharingClient | null = null;
  let threaded: ThreadedDecrypter | null = null;
  let decrypter = options.decrypter;
  if (!decrypter) {
    sharing = new SharingClient({
      ...operator,
      refreshIntervalMs: config.operator.keyRefreshMs,
      jitter: config.operator.keyRefreshJitter,
      retry: { initialDelayMs: config.operator.keyRetryMs, maxDelayMs: Math.max(config.operator.keyRetryMs, 60_000) },
      logger: log,
    });
    const synced = sharing;
    sharing.onRefresh(() => {
      metrics.keyRefreshes.labels('ok').inc();
      if (synced.keyRing) keyOwners.keysSynced(synced.keyRing);
    });
    sharing.onRefreshError(() => metrics.keyRefreshes.labels('failed').inc());
    // Not awaited to completion: with the operator down the collector still starts, answers pixels,
    // and says not-ready until the first keys arrive (the client keeps retrying).
    sharing.start().catch(() => {});
    const threadFailed = rateLimited(log, 'a decrypt thread stopped; its batches were decrypted on the main thread');
    const threads = config.decryptThreads ?? defaultDecryptThreads(workerCount(config));
    decrypter = threads > 0
      ? (threaded = new ThreadedDecrypter(sharing, {
          threads,
          onThreadFailure: (err) => {
            metrics.decryptThreadFailures.inc();
            threadFailed(err);
          },
        }))
      : sharing;
  }
  const dec = decrypter;
  const client = sharing;
  const refreshKeys = client
    ? () => refreshSharingKeys(client)
    : () => Promise.reject(new KeyRefreshError('KEYS_NOT_REFRESHABLE', 'this collector has no key sync'));
  metrics.keyAgeSource = () => dec.keyAgeMs();

  const gate = new OptoutGate({
    source: options.optoutSource ?? new OptOutStatusClient({ ...operator, timeoutMs: config.optout.timeoutMs, batchSize: config.optout.maxBatch }),
    cacheTtlSeconds: config.optout.cacheTtlSeconds,
    maxEntries: config.optout.cacheMaxEntries,
    batchWindowMs: config.optout.batchWindowMs,
    maxBatch: config.optout.maxBatch,
    metrics,
    onError: rateLimited(log, 'opt-out status check failed; new UID2s are held until the operator answers'),
  });

  let resolver: HeldResolver | null = null;
  if (options.resolveHeld ?? true) {
    resolver = startHeldResolver({ store, gate, intervalMs: config.optout.heldRetryMs, log }, metrics);
    metrics.heldSource = () => 0;
    void store.heldCount().then((n) => (metrics.heldSource = () => n), () => {});
  }

  const acl = new SenderAcl(config.senders);
  // Segments already in the store count against their patterns' caps.
  acl.seed((await store.segments()).map((s) => s.segment));
  const intake = new Intake({
    decrypter: dec,
    acl,
    gate,
    store,
    metrics,
    onHeld: options.onHeld ?? (() => resolver?.soon()),
    onStoreError: rateLimited(log, 'segment store write failed; answered as retryable (503)'),
    keyOwners,
  });
  const inFlight = { value: 0 };
  const pixel = createPixelHandler({ intake, metrics, limits: config.limits, inFlight });

  const bulk = await startBulkRoutes({
    config,
    intake,
    acl,
    metrics,
    log,
    redis: store instanceof RedisStore ? store.client : null,
    ingestDrops: options.ingestDrops ?? true,
    dropSource: options.dropSource,
    idempotency: options.idempotency,
    onStoreError: rateLimited(log, 'bulk batch not acknowledged (keys not loaded or store not committing); answered 503 or file paused'),
  });

  const adminRefresh = options.refreshKeys ?? (client ? refreshKeys : undefined);
  const metricsText = options.metricsText ?? (() => metrics.registry.metrics());
  let closing = false;
  // The status page's history since start; sampled even before anybody opens the page.
  const history = new StatusHistory({ sample: async () => historyValues(await metricsText()) });
  if (config.statusPage) history.start();
  const senderNames = new Map(config.senders.map((s) => [s.siteId, s.name ?? null]));
  const senderInfo = (siteId: number) => ({
    name: senderNames.get(siteId) ?? null,
    // Kept after the sender's keys are gone, so a revoked sender is still named in full.
    domains: keyOwners.domainsOf(siteId),
  });
  const app = createApp({
    store,
    gate,
    log,
    metricsText,
    metricsContentType: metrics.registry.contentType,
    readiness: () => {
      // Honest about everything the pixel path needs, and unready before it starts failing.
      const reasons: string[] = [];
      const keys = dec.decrypt('').status; // what any token would get from the keys alone
      if (!dec.isReady || keys === 'NotInitialized') reasons.push('sharing keys not loaded yet');
      else if (keys === 'KeysNotSynced') reasons.push('sharing keys all expired and the operator cannot be reached');
      else if (client && client.consecutiveFailures > 0 && (client.keyRing?.latestExpiry ?? Infinity) - Date.now() < KEYS_EXPIRING_MS) {
        reasons.push('sharing keys expire within a minute and cannot be refreshed');
      }
      if (!store.healthy) reasons.push('segment store unavailable');
      else if (Date.now() - intake.lastStoreFailureAt < STORE_FAILURE_UNREADY_MS) reasons.push('segment store failed a commit just now');
      if (closing) reasons.push('shutting down');
      return { ready: reasons.length === 0, reasons };
    },
    adminToken: config.adminToken,
    statusPage: config.statusPage,
    history,
    liveMembers: new LiveMembers(store, gate),
    senderInfo,
    protectStatus: config.protectStatus,
    ...(adminRefresh && { refreshKeys: adminRefresh }),
    bulkApi: bulk.api,
  });

  const server = createServer((req, res) => {
    if (!pixel(req, res)) app(req, res);
  });
  const port = await listen(server, config.port, config.host, (err) =>
    err.code === 'EADDRINUSE' ? new PortInUseError(config.host, config.port, { cause: err }) : undefined,
  ).catch(async (err: unknown) => {
    // Nothing listens: release what was started (key sync, history, store) before saying why.
    history.stop();
    sharing?.stop();
    await threaded?.close();
    await keyOwners.close();
    await resolver?.stop();
    gate.close();
    if (ownsStore) await store.close().catch(() => {});
    throw err;
  });
  if (config.protectStatus && !config.adminToken) {
    log.warn('protectStatus is on but no adminToken is set: /metrics and /status.json answer 401 to everyone');
  }
  const host = urlHost(config.host);
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  // As the operator and the demo sites say it: the address a browser opens (localhost for a loopback
  // interface, as the `npm start` banner prints it), and the interface actually bound.
  const browserUrl = config.publicUrl?.replace(/\/+$/, '') ?? (isLoopbackHost(config.host) || config.host === '0.0.0.0' ? `http://localhost:${port}` : url);
  log.info({ url: browserUrl, listen: `${host}:${port}`, store: store.kind, senders: config.senders.map((s) => s.siteId) }, 'collector listening');

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      history.stop();
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // Every pixel already received gets its answer (and so its event committed) before we go.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (inFlight.value > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (inFlight.value > 0) log.warn({ inFlight: inFlight.value }, 'shutdown timeout: pixels still in flight');
      server.closeAllConnections();
      await stopped;
      await bulk.close();
      await threaded?.close();
      await resolver?.stop();
      gate.close();
      sharing?.stop();
      await keyOwners.close();
      await store.close();
      log.info('collector stopped');
    })();
    return closed;
  };

  bulk.start();
  return { url, intake, port, server, store, metrics, gate, sharing, log, bulk, refreshKeys, inFlight: () => inFlight.value, close };
}
