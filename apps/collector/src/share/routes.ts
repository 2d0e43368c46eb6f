// Builds the two bulk routes of one collector process from its config: the bulk API (always mounted;
// it answers 401 to everyone until a sender has a key hash) and the drop ingester (drops.source).
// With a Redis store, idempotency keys, the drop ledger and the claims on objects live in Redis, so a
// fleet of collectors shares them; with the file store they live in <dataDir>/share and <dataDir>/drops.
import { join, resolve } from 'node:path';
import type { Router } from 'express';
import type { Redis, Cluster } from 'ioredis';
import type { SenderAcl } from '../authorise.ts';
import type { CollectorConfig } from '../config.ts';
import type { Intake } from '../intake/intake.ts';
import { DropIngester } from '../drops/ingester.ts';
import { FileLedger, RedisLedger, type DropLedger } from '../drops/ledger.ts';
import { DirectorySource, type DropSource } from '../drops/sources.ts';
import type { Logger } from '../log.ts';
import type { CollectorMetrics } from '../metrics.ts';
import { createBulkApi } from './api.ts';
import { FileIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from './idempotency.ts';
import { batchIntake, type IngestBatch } from './intake.ts';
import { SenderLimits } from './limits.ts';
import { SenderKeys } from './sender-keys.ts';
import { DAY_MS } from '../store/segment-store.ts';

export interface BulkRoutesDeps {
  config: CollectorConfig;
  /** The collector's one decision path; the bulk routes add nothing to it but the sender binding. */
  intake: Pick<Intake, 'submit'>;
  acl: SenderAcl;
  metrics: CollectorMetrics;
  log: Logger;
  redis: Redis | Cluster | null;
  ingestDrops: boolean;
  /** Read drops from this source instead of the configured one (tests: a fault no real source makes on demand). */
  dropSource?: DropSource | undefined;
  /**
   * Where Idempotency-Keys live when not in Redis: given by a cluster worker (the primary's, over IPC);
   * otherwise this process opens <dataDir>/share/idempotency.log itself.
   */
  idempotency?: IdempotencyStore | undefined;
  onStoreError: (err: Error) => void;
}

export interface BulkRoutes {
  api: Router;
  ingest: IngestBatch;
  drops: DropIngester | null;
  start(): void;
  close(): Promise<void>;
}

/** The drop directory of the embedded default: drops.dir, else <dataDir>/drops. */
export function dropDir(config: CollectorConfig): string {
  return resolve(config.drops.dir ?? join(config.dataDir, 'drops'));
}

async function dropSource(config: CollectorConfig): Promise<DropSource | null> {
  const d = config.drops;
  if (d.source === 'dir') return new DirectorySource(dropDir(config));
  if (d.source === 's3' && d.s3) {
    const { S3Source } = await import('../drops/s3-source.ts');
    return new S3Source({ bucket: d.s3.bucket, prefix: d.s3.prefix, region: d.s3.region, endpoint: d.s3.endpoint, forcePathStyle: d.s3.forcePathStyle });
  }
  return null;
}

const idempotencyTtlMs = (config: CollectorConfig) => config.bulk.idempotencyTtlHours * 3_600_000;

/** The embedded home of Idempotency-Keys: <dataDir>/share/idempotency.log (one per data dir). */
export async function openFileIdempotency(config: CollectorConfig): Promise<FileIdempotencyStore> {
  const file = new FileIdempotencyStore(join(resolve(config.dataDir), 'share', 'idempotency.log'), idempotencyTtlMs(config));
  await file.open();
  return file;
}

export async function startBulkRoutes(deps: BulkRoutesDeps): Promise<BulkRoutes> {
  const { config, redis, log, metrics } = deps;
  const prefix = config.store.kind === 'file' ? 'uid2c' : config.store.keyPrefix;

  const ingest = batchIntake(deps.intake, metrics);
  let idempotency: IdempotencyStore;
  if (redis) idempotency = new RedisIdempotencyStore(redis, prefix, idempotencyTtlMs(config));
  else idempotency = deps.idempotency ?? (await openFileIdempotency(config));
  const api = createBulkApi({
    ingest,
    keys: new SenderKeys(config.senders),
    acl: deps.acl,
    limits: new SenderLimits({ tokensPerSecond: config.bulk.tokensPerSecond, burstTokens: config.bulk.burstTokens, maxConcurrent: config.bulk.maxConcurrent }),
    idempotency,
    metrics,
    log,
    maxTokens: config.bulk.maxTokens,
    maxBodyBytes: config.bulk.maxBodyBytes,
    tokenMaxBytes: config.limits.tokenMaxBytes,
    onStoreError: deps.onStoreError,
  });

  let drops: DropIngester | null = null;
  let source: DropSource | null = null;
  let ledger: DropLedger | null = null;
  if (deps.ingestDrops) source = deps.dropSource ?? (await dropSource(config));
  if (source) {
    if (redis) ledger = new RedisLedger(redis, prefix, { retentionMs: config.drops.ledgerRetentionDays * DAY_MS });
    else {
      const file = new FileLedger(join(resolve(config.dataDir), 'drops-ledger', 'ledger.log'));
      await file.open();
      ledger = file;
    }
    drops = new DropIngester({
      source,
      ledger,
      ingest,
      acl: deps.acl,
      metrics,
      log,
      pollMs: config.drops.pollMs,
      chunkLines: config.drops.chunkLines,
      claimTtlMs: config.drops.claimTtlMs,
      reportMaxLines: config.drops.reportMaxLines,
      tokenMaxBytes: config.limits.tokenMaxBytes,
    });
    log.info({ source: source.kind, ...(source instanceof DirectorySource && { dir: source.root }) }, 'drop ingester started');
  }

  return {
    api,
    ingest,
    drops,
    start: () => drops?.start(),
    async close() {
      await drops?.stop();
      source?.close();
      await ledger?.close();
      await idempotency.close();
    },
  };
}
