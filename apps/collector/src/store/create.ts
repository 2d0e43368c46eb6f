// Builds the configured SegmentStore.
import { join, resolve } from 'node:path';
import type { CollectorConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CollectorMetrics } from '../metrics.ts';
import { FileStore } from './file-store.ts';
import { RedisStore } from './redis-store.ts';
import { DAY_MS, type SegmentStore } from './segment-store.ts';

/** Where the embedded store keeps its log: <dataDir>/segments. */
export function fileStoreDir(config: Pick<CollectorConfig, 'dataDir'>): string {
  return join(resolve(config.dataDir), 'segments');
}

export function createStore(
  config: CollectorConfig,
  options: { metrics?: CollectorMetrics; log?: Logger; readOnly?: boolean } = {},
): SegmentStore {
  const ttlMs = config.membershipTtlDays * DAY_MS;
  const s = config.store;
  const onCommit = options.metrics?.commit(s.kind);
  switch (s.kind) {
    case 'file':
      return new FileStore({
        dir: fileStoreDir(config),
        ttlMs,
        compactMinBytes: s.compactMinBytes,
        readOnly: options.readOnly ?? false,
        ...(onCommit && { onCommit }),
        warn: (message, details) => options.log?.warn(details ?? {}, message),
      });
    case 'redis':
      return new RedisStore({ kind: 'redis', url: s.url, keyPrefix: s.keyPrefix, ttlMs, claimIdleMs: config.optout.heldTakeoverMs, ...(onCommit && { onCommit }) });
    case 'redis-cluster':
      return new RedisStore({ kind: 'redis-cluster', nodes: s.nodes, keyPrefix: s.keyPrefix, ttlMs, claimIdleMs: config.optout.heldTakeoverMs, ...(onCommit && { onCommit }) });
  }
}
