// Both cores: node:cluster. The primary forks one HTTP worker per core (config `workers`, 0 = one per
// CPU); the workers share the listening socket and each runs the whole pixel path.
//
// Who writes: with Redis every worker writes to Redis itself. With the embedded file store there must be
// one writer, and we chose "workers forward to the primary" over "one log file per worker": one log
// means one index, one compaction, one held-event resolver and a simple export, while the cost is one
// IPC message per worker per event-loop turn (not per event) — the bench measures it
// (bench/collector.bench.ts, "cluster" rows). The primary does no HTTP work, so its core share goes to
// serialising batches and fdatasync.
//
// Workers ask for the config over IPC (not in their environment, so secrets stay out of /proc/*/environ).
//
// Keys: every worker runs its own SharingClient (decrypt is on each worker's hot path). So
// POST /admin/keys/refresh, answered by whichever worker took the connection, asks the primary, and
// the primary asks every listening worker to refresh (the same RPC channel, the other way round);
// the answer is 200 only if all of them got new keys.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { OptOutStatusClient } from '@uid2-pixels/uid2';
import { workerCount, type CollectorConfig } from './config.ts';
import { startHeldResolver, type HeldResolver } from './held-resolver.ts';
import { combineRefreshes, KeyRefreshError, type KeyRefreshResult } from './key-refresh.ts';
import { createLogger, type Logger } from './log.ts';
import { CollectorMetrics } from './metrics.ts';
import { OptoutGate } from './optout-gate.ts';
import { startCollector, type RunningCollector } from './server.ts';
import { createStore } from './store/create.ts';
import { IpcClient, IpcStore, serveStore } from './store/ipc-store.ts';
import { IpcIdempotencyStore, serveIdempotency, type IdempotencyStore } from './share/idempotency.ts';
import { openFileIdempotency } from './share/routes.ts';
import { DAY_MS } from './store/segment-store.ts';

export interface RunningCluster {
  /** Resolves when every worker is listening. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Runs in the primary: owns the file store (if any), forks and supervises the workers. */
export async function runPrimary(config: CollectorConfig, log: Logger): Promise<RunningCluster> {
  const ownsStore = config.store.kind === 'file';
  const metrics = new CollectorMetrics({ processMetrics: false, pixel: false, store: ownsStore });
  const aggregator = new AggregatorRegistry();
  const store = ownsStore ? createStore(config, { metrics, log }) : null;
  let resolver: HeldResolver | null = null;
  let gate: OptoutGate | null = null;
  // File store: the one Idempotency-Key log too, so that a retry answered by another worker counts once.
  let idempotency: IdempotencyStore | null = null;
  if (store) {
    await store.open();
    idempotency = await openFileIdempotency(config);
    const operator = { baseUrl: config.operator.url, apiKey: config.operator.apiKey, secret: config.operator.secret, timeoutMs: config.operator.timeoutMs };
    gate = new OptoutGate({
      source: new OptOutStatusClient(operator),
      cacheTtlSeconds: config.optout.cacheTtlSeconds,
      batchWindowMs: config.optout.batchWindowMs,
      maxBatch: config.optout.maxBatch,
      maxEntries: config.optout.cacheMaxEntries,
    });
    resolver = startHeldResolver({ store, gate, intervalMs: config.optout.heldRetryMs, log }, metrics);
  }
  const clusterMetrics = async () => (await aggregator.clusterMetrics()) + (await metrics.registry.metrics());

  cluster.setupPrimary({ serialization: 'advanced' });
  const count = workerCount(config);
  let stopping = false;
  const listening = new Set<number>();
  /** RPC to each worker (the primary asking), by slot. */
  const toWorker = new Map<number, IpcClient>();
  // A worker's refresh is bounded by its operator timeout; this only catches a worker that never answers.
  const refreshTimeoutMs = config.operator.timeoutMs + 5000;
  const refreshEveryWorker = async (): Promise<KeyRefreshResult> => {
    const clients = [...listening].map((slot) => toWorker.get(slot)).filter((c): c is IpcClient => !!c);
    const results = await Promise.allSettled(clients.map((c) => withTimeout(c.call<KeyRefreshResult>('refreshKeys'), refreshTimeoutMs)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) {
      log.warn({ workers: results.length, failed }, 'sharing key refresh failed in some workers; they keep their last good keys');
      throw new KeyRefreshError('KEYS_OPERATOR_UNAVAILABLE', `${failed} of ${results.length} workers could not refresh their keys`);
    }
    return combineRefreshes(results.map((r) => (r as PromiseFulfilledResult<KeyRefreshResult>).value));
  };
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ COLLECTOR_WORKER_SLOT: String(slot) });
    // The worker asks for its config once its code has loaded (a message sent earlier would be lost).
    const keys = idempotency ? serveIdempotency(idempotency) : null;
    const extra = { metrics: clusterMetrics, config: async () => config, refreshKeys: refreshEveryWorker, ...keys?.ops };
    const dropCursors = serveStore(worker, store, extra, () => resolver?.soon());
    toWorker.set(slot, new IpcClient(worker));
    worker.on('listening', () => {
      listening.add(slot);
      if (listening.size === count) markReady();
    });
    worker.on('exit', (code, signal) => {
      dropCursors();
      void keys?.release(); // its batches in progress were never acknowledged: a retry may run
      listening.delete(slot);
      toWorker.delete(slot);
      if (stopping) return;
      log.error({ slot, code, signal }, 'worker died; starting a new one');
      setTimeout(() => fork(slot), 200).unref();
    });
    return worker;
  };
  for (let slot = 1; slot <= count; slot++) fork(slot);
  log.info({ workers: count, store: config.store.kind, writer: ownsStore ? 'primary' : 'each worker' }, 'collector primary started');

  return {
    ready,
    async close() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      // Each worker drains: stops accepting, answers its in-flight pixels (their events committed here).
      await Promise.all(
        workers.map((w) => new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        })),
      );
      await resolver?.stop();
      gate?.close();
      await idempotency?.close();
      await store?.close();
      log.info('collector primary stopped');
    },
  };
}

/** Runs in a worker: waits for the config, then serves HTTP with the primary's store (or its own Redis). */
export async function runWorker(): Promise<RunningCollector> {
  const ipc = new IpcClient();
  const config = await ipc.call<CollectorConfig>('config');
  const slot = Number(process.env.COLLECTOR_WORKER_SLOT ?? '1');
  const log = createLogger(config.logLevel, undefined, { worker: slot });
  // The primary's side of a fan-out refresh. Registered before listening, so no request is lost;
  // before this worker's key sync exists there is nothing to refresh yet.
  let running: RunningCollector | null = null;
  serveStore(process as unknown as Parameters<typeof serveStore>[0], null, {
    refreshKeys: () => (running ? running.refreshKeys() : Promise.reject(new KeyRefreshError('KEYS_NOT_REFRESHABLE', 'worker is starting'))),
  });
  const metrics = new CollectorMetrics({ processMetrics: true, pixel: true, store: config.store.kind !== 'file' });
  // Constructing one installs prom-client's worker-side listener that answers the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  running = await startCollector({
    config,
    logger: log,
    metrics,
    refreshKeys: () => ipc.call<KeyRefreshResult>('refreshKeys'),
    ...(config.store.kind === 'file' && { store: new IpcStore(ipc, config.membershipTtlDays * DAY_MS) }),
    // File store: the primary decides held events (told over IPC). Redis: every worker runs a resolver
    // over the shared stream, through its consumer group, so each held event is decided by one worker
    // of one collector (redis-store.ts), and taken over by another if that worker dies mid-pass.
    resolveHeld: config.store.kind !== 'file',
    ...(config.store.kind === 'file' && { onHeld: () => {} }),
    // Drops: one ingester per collector (Redis: each collector's worker 1, the claims keep them apart).
    ingestDrops: slot === 1,
    ...(config.store.kind === 'file' && { idempotency: new IpcIdempotencyStore(ipc) }),
    keyOwnersFile: `key-owners-${slot}.json`,
    metricsText: () => ipc.call<string>('metrics'),
  });
  return running;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KeyRefreshError('KEYS_OPERATOR_UNAVAILABLE', 'worker did not answer')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
