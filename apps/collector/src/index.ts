// Public API of @uid2-pixels/collector: start a collector in-process (tests, embedding) and its parts.
export { startCollector } from './server.ts';
export type { RunningCollector, StartCollectorOptions } from './server.ts';
export { ConfigSchema, loadConfig, parseConfig } from './config.ts';
export type { CollectorConfig, ConfigInput } from './config.ts';
export { CollectorError, ConfigError, StoreError } from './errors.ts';
export type { SegmentStore, SegmentEvent, Member, EventKind } from './store/segment-store.ts';
export { FileStore } from './store/file-store.ts';
export { RedisStore } from './store/redis-store.ts';
export { PIXEL_ROUTES } from './pixel/handler.ts';
export { TOKEN_PARAM, SEGMENT_PARAM } from './pixel/input.ts';
