// Collector configuration: one zod schema, filled from (lowest to highest precedence) built-in defaults,
// a JSON file, environment variables and command-line flags. A bad value fails at start with a
// ConfigError that names the field; secrets are accepted from the file or the environment only (never
// flags, which other users can read in the process list).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Segment names as they appear in pixel URLs, keys and export file names. */
export const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** A sender's segment grant: an exact name, or a prefix ending in `*`. */
const SEGMENT_GRANT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\*?$/;

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

const segmentName = z.string().regex(SEGMENT_NAME, 'must be a segment name: letters, digits, . _ : -, at most 64');

const SenderSchema = z
  .strictObject({
    siteId: positiveInt,
    name: z.string().max(100).optional(),
    /** Segments this sender's pixels may write: exact names, or prefixes ending in `*`. */
    segments: z.array(z.string().regex(SEGMENT_GRANT, 'segment grant must be a segment name, optionally ending in *')).min(1),
    /**
     * Most distinct segment names each `prefix*` pattern of this sender may create. Past it, a new name
     * is dropped as undeclared (counted), so input cannot grow the store or the metrics without bound.
     */
    maxSegmentsPerPattern: z.number().int().min(1).max(10_000).default(100),
    /** The segment a pixel of each kind fills when it names none (the pixel's `segment` parameter). */
    defaults: z.strictObject({ conversion: segmentName.optional(), impression: segmentName.optional() }).optional(),
    /** Hashes of the bulk API keys issued to this sender (`collector sender-key`); several for rotation. */
    keyHashes: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be a key hash as printed by "collector sender-key"')).max(16).optional(),
  })
  .superRefine((s, ctx) => {
    for (const kind of ['conversion', 'impression'] as const) {
      const d = s.defaults?.[kind];
      if (d && !s.segments.some((g) => (g.endsWith('*') ? d.startsWith(g.slice(0, -1)) : g === d))) {
        ctx.addIssue({ code: 'custom', path: ['defaults', kind], message: `default segment "${d}" is not among this sender's segments` });
      }
    }
  });

const RedisStoreSchema = z.strictObject({
  kind: z.literal('redis'),
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  keyPrefix: z.string().regex(/^[A-Za-z0-9:_-]{1,32}$/).default('uid2c'),
});
const RedisClusterStoreSchema = z.strictObject({
  kind: z.literal('redis-cluster'),
  nodes: z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'each node must be host:port')).min(1),
  keyPrefix: z.string().regex(/^[A-Za-z0-9:_-]{1,32}$/).default('uid2c'),
});
const FileStoreSchema = z.strictObject({
  kind: z.literal('file'),
  /** Compaction rewrites the log once it is at least this large and twice the live data. */
  compactMinBytes: positiveInt.default(64 * 1024 * 1024),
});

export const ConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8090),
  /** The URL browsers use for this collector (a proxy, a host name), as its log says it; default localhost for a loopback host. */
  publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL with its scheme, e.g. http://localhost:8090' }).optional(),
  dataDir: z.string().min(1).default('.data/collector'),
  /** HTTP worker processes (node:cluster). 1 = a single process; 0 = one per CPU core. */
  workers: z.number().int().min(0).max(64).default(1),
  /**
   * Threads per process that decrypt the bulk routes' batches beside the main thread; 0 = decrypt on
   * the main thread. Default: the cores each process may have beside its main thread, 1 to 4.
   */
  decryptThreads: z.number().int().min(0).max(64).optional(),
  operator: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL with its scheme, e.g. http://127.0.0.1:8080' }).default('http://127.0.0.1:8080'),
    apiKey: z.string().min(1, 'required: the collector\'s operator API key'),
    secret: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be the base64 32-byte client secret'),
    keyRefreshMs: positiveInt.min(1000).default(3_600_000),
    /** Relative jitter on every refresh delay (0.1 = ±10 %), so a fleet of collectors spreads out. */
    keyRefreshJitter: z.number().min(0).max(0.5).default(0.1),
    /** First retry delay after a failed key refresh (doubling up to a minute). */
    keyRetryMs: positiveInt.default(1_000),
    timeoutMs: positiveInt.default(5_000),
  }),
  senders: z
    .array(SenderSchema)
    .min(1, 'name at least one sender site and the segments it may write')
    .superRefine((list, ctx) => {
      const seen = new Set<number>();
      list.forEach((s, i) => {
        if (seen.has(s.siteId)) ctx.addIssue({ code: 'custom', path: [i, 'siteId'], message: `site ${s.siteId} is listed twice` });
        seen.add(s.siteId);
      });
    }),
  membershipTtlDays: z.number().positive().max(3650).default(30),
  store: z.discriminatedUnion('kind', [FileStoreSchema, RedisStoreSchema, RedisClusterStoreSchema]).default({
    kind: 'file',
    compactMinBytes: 64 * 1024 * 1024,
  }),
  optout: z
    .strictObject({
      /** How long a "not opted out" answer is trusted. Opted-out answers are kept twice as long. */
      cacheTtlSeconds: positiveInt.default(3600),
      /** Unknown UID2s wait this long to be checked together in one /v2/optout/status call. */
      batchWindowMs: z.number().int().min(0).max(1000).default(5),
      maxBatch: positiveInt.max(5000).default(1000),
      /** Held events (opt-out unknown because the operator was down) are re-checked this often. */
      heldRetryMs: positiveInt.default(15_000),
      /**
       * Redis store: a held event that one collector process took to decide and has not finished after
       * this long is taken over by another (that process is taken for dead). Longer than any one pass:
       * more than twice timeoutMs. Default 60 s, or three times timeoutMs when that is longer.
       */
      heldTakeoverMs: positiveInt.min(1000).optional(),
      /** A pixel waits at most this long for /v2/optout/status before its event is held instead. */
      timeoutMs: positiveInt.default(1_000),
      /** Cached verdicts at most (memory bound, ~200 bytes each); beyond it UID2s are asked again. */
      cacheMaxEntries: positiveInt.default(500_000),
    })
    .refine((o) => o.heldTakeoverMs === undefined || o.heldTakeoverMs > 2 * o.timeoutMs, { path: ['heldTakeoverMs'], message: 'must be more than twice timeoutMs (a pass must finish before it is taken over)' })
    // A long timeoutMs alone must not make the default takeover time invalid: the default follows it.
    .transform((o) => ({ ...o, heldTakeoverMs: o.heldTakeoverMs ?? Math.max(60_000, 3 * o.timeoutMs) }))
    .default({ cacheTtlSeconds: 3600, batchWindowMs: 5, maxBatch: 1000, heldRetryMs: 15_000, heldTakeoverMs: 60_000, timeoutMs: 1_000, cacheMaxEntries: 500_000 }),
  /** Bearer token of the admin API. Without it the admin API answers 404. */
  adminToken: z.string().min(32, 'must be at least 32 characters').optional(),
  limits: z
    .strictObject({
      tokenMaxBytes: positiveInt.max(8192).default(1024),
      queryMaxBytes: positiveInt.max(16384).default(2048),
      bodyMaxBytes: positiveInt.max(16384).default(2048),
    })
    .default({ tokenMaxBytes: 1024, queryMaxBytes: 2048, bodyMaxBytes: 2048 }),
  /** The bulk API (POST /share/v1/segments/<segment>/tokens). */
  bulk: z
    .strictObject({
      /** Tokens per request at most. */
      maxTokens: positiveInt.max(100_000).default(5000),
      /** Request body at most, before and after gzip, bytes. */
      maxBodyBytes: positiveInt.max(64 * 1024 * 1024).default(4 * 1024 * 1024),
      /** Per sender: tokens per second sustained, and the burst above it; beyond, 429 + Retry-After. */
      tokensPerSecond: positiveInt.default(100_000),
      burstTokens: positiveInt.default(200_000),
      /** Per sender: requests being processed at once; beyond, 429. */
      maxConcurrent: positiveInt.max(1000).default(8),
      /** How long an Idempotency-Key is remembered. */
      idempotencyTtlHours: z.number().positive().max(24 * 30).default(24),
    })
    .default({ maxTokens: 5000, maxBodyBytes: 4 * 1024 * 1024, tokensPerSecond: 100_000, burstTokens: 200_000, maxConcurrent: 8, idempotencyTtlHours: 24 }),
  /**
   * Token files that senders drop: <prefix><siteId>/<segment>/<name>.csv|.ndjson|.jsonl[.gz], in a
   * local directory (the embedded default) or an S3 bucket (any S3-compatible endpoint).
   */
  drops: z
    .strictObject({
      source: z.enum(['off', 'dir', 's3']).default('off'),
      /** source dir: the drop directory (default <dataDir>/drops). */
      dir: z.string().min(1).optional(),
      s3: z
        .strictObject({
          bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
          prefix: z.string().max(512).default(''),
          region: z.string().min(1).default('us-east-1'),
          /** An S3-compatible endpoint (http://127.0.0.1:9000); credentials come from the AWS environment. */
          endpoint: z.url({ protocol: /^https?$/ }).optional(),
          forcePathStyle: z.boolean().default(false),
        })
        .optional(),
      /** How often the source is listed for new files. */
      pollMs: positiveInt.default(5000),
      /**
       * Lines per durable checkpoint (and per batch through the intake path). 1000: a chunk in flight
       * is what stays live across young-generation GCs, so smaller chunks keep the heap small; on the
       * bench a 0.25 GB file peaked at 161 MB RSS with 1000 against 192 MB with 5000, and went faster.
       */
      chunkLines: positiveInt.max(100_000).default(1000),
      /** A claim on a file not renewed for this long is taken over by another collector. */
      claimTtlMs: positiveInt.min(1000).default(60_000),
      /** Rejected lines listed one by one in a report at most (all are counted). */
      reportMaxLines: z.number().int().min(0).max(1_000_000).default(10_000),
      /**
       * Redis ledger: an object's entry lives this long after the last listing that found the object
       * (every listing renews it), so it expires only once the object left the bucket.
       */
      ledgerRetentionDays: positiveInt.max(3650).default(30),
    })
    .superRefine((d, ctx) => {
      if (d.source === 's3' && !d.s3) ctx.addIssue({ code: 'custom', path: ['s3'], message: 'source "s3" needs drops.s3.bucket' });
    })
    .default({ source: 'off', pollMs: 5000, chunkLines: 1000, claimTtlMs: 60_000, reportMaxLines: 10_000, ledgerRetentionDays: 30 }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  statusPage: z.boolean().default(true),
  /**
   * /metrics and /status.json require the admin token (Bearer), as the admin API does: segment names,
   * senders and volumes are business data. On by default; the demo's dev config turns it off. With no
   * adminToken set, nobody can read them.
   */
  protectStatus: z.boolean().default(true),
  /** How long SIGTERM waits for in-flight pixels before exiting anyway. */
  shutdownTimeoutMs: positiveInt.default(10_000),
});

export type CollectorConfig = z.infer<typeof ConfigSchema>;

/** Processes that serve requests: `workers`, or one per core for 0. */
export function workerCount(config: CollectorConfig): number {
  return config.workers === 0 ? availableParallelism() : config.workers;
}
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config field each sets. Secrets are read from here, not flags. */
const ENV_FIELDS: Record<string, { path: string; type: 'string' | 'number' | 'list' | 'boolean' }> = {
  COLLECTOR_HOST: { path: 'host', type: 'string' },
  COLLECTOR_PORT: { path: 'port', type: 'number' },
  COLLECTOR_PUBLIC_URL: { path: 'publicUrl', type: 'string' },
  COLLECTOR_DATA_DIR: { path: 'dataDir', type: 'string' },
  COLLECTOR_WORKERS: { path: 'workers', type: 'number' },
  COLLECTOR_DECRYPT_THREADS: { path: 'decryptThreads', type: 'number' },
  COLLECTOR_OPERATOR_URL: { path: 'operator.url', type: 'string' },
  COLLECTOR_OPERATOR_API_KEY: { path: 'operator.apiKey', type: 'string' },
  COLLECTOR_OPERATOR_SECRET: { path: 'operator.secret', type: 'string' },
  COLLECTOR_ADMIN_TOKEN: { path: 'adminToken', type: 'string' },
  COLLECTOR_STORE: { path: 'store.kind', type: 'string' },
  COLLECTOR_REDIS_URL: { path: 'store.url', type: 'string' },
  COLLECTOR_REDIS_NODES: { path: 'store.nodes', type: 'list' },
  COLLECTOR_MEMBERSHIP_TTL_DAYS: { path: 'membershipTtlDays', type: 'number' },
  COLLECTOR_LOG_LEVEL: { path: 'logLevel', type: 'string' },
  COLLECTOR_DROPS: { path: 'drops.source', type: 'string' },
  COLLECTOR_DROPS_DIR: { path: 'drops.dir', type: 'string' },
  COLLECTOR_DROPS_S3_BUCKET: { path: 'drops.s3.bucket', type: 'string' },
  COLLECTOR_DROPS_S3_ENDPOINT: { path: 'drops.s3.endpoint', type: 'string' },
  COLLECTOR_PROTECT_STATUS: { path: 'protectStatus', type: 'boolean' },
};

/** Flags (see --help) and the config field each sets. Every port and path has one. */
export const FLAG_FIELDS: Record<string, { path: string; type: 'string' | 'number' | 'list' | 'boolean' }> = {
  host: { path: 'host', type: 'string' },
  port: { path: 'port', type: 'number' },
  'public-url': { path: 'publicUrl', type: 'string' },
  'data-dir': { path: 'dataDir', type: 'string' },
  workers: { path: 'workers', type: 'number' },
  'decrypt-threads': { path: 'decryptThreads', type: 'number' },
  'operator-url': { path: 'operator.url', type: 'string' },
  store: { path: 'store.kind', type: 'string' },
  'redis-url': { path: 'store.url', type: 'string' },
  'redis-nodes': { path: 'store.nodes', type: 'list' },
  'membership-ttl-days': { path: 'membershipTtlDays', type: 'number' },
  'log-level': { path: 'logLevel', type: 'string' },
  drops: { path: 'drops.source', type: 'string' },
  'drops-dir': { path: 'drops.dir', type: 'string' },
  'drops-s3-bucket': { path: 'drops.s3.bucket', type: 'string' },
  'drops-s3-endpoint': { path: 'drops.s3.endpoint', type: 'string' },
};

export interface LoadConfigOptions {
  /** Path of a JSON config file (relative to cwd). */
  file?: string | undefined;
  /** An in-memory base, applied where a file would be (tests, embedding). */
  base?: unknown;
  env?: NodeJS.ProcessEnv;
  /** Flag values by flag name, as strings (from parseArgs). */
  flags?: Record<string, string | undefined>;
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(target: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Json;
  }
  node[parts[parts.length - 1]!] = value;
}

function convert(text: string, type: 'string' | 'number' | 'list' | 'boolean', field: string, source: string): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new ConfigError(field, `${source} must be a number, got "${text}"`);
      return n;
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'boolean':
      return text === 'true' || text === '1';
  }
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw new ConfigError('config file', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config file', `${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError('config file', `${file} must hold a JSON object`);
  delete parsed.$comment;
  return parsed;
}

/** Validates a merged raw config. Throws ConfigError naming the first bad field. */
export function parseConfig(raw: unknown): CollectorConfig {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(root)';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  // Numbers are never secret: say what was wrong with the one given, in words rather than zod's.
  const value = issue.path.reduce<unknown>((node, key) => (isPlainObject(node) || Array.isArray(node) ? (node as Json)[key as string] : undefined), raw);
  if (typeof value === 'number') {
    if (issue.code === 'too_small') message = `must be at least ${String(issue.minimum)}, got ${value}`;
    if (issue.code === 'too_big') message = `must be at most ${String(issue.maximum)}, got ${value}`;
    if (issue.code === 'invalid_type' && issue.expected === 'int') message = `must be a whole number, got ${value}`;
  }
  const env = Object.entries(ENV_FIELDS).find(([, f]) => f.path === field)?.[0];
  const flag = Object.entries(FLAG_FIELDS).find(([, f]) => f.path === field)?.[0];
  const sources = [`config file field ${field}`, env, flag && `--${flag}`].filter(Boolean);
  throw new ConfigError(field, env || flag ? `${message} (${sources.join(', ')})` : message);
}

/** Defaults < file (or base) < env < flags, then validated. */
export function loadConfig(options: LoadConfigOptions = {}): CollectorConfig {
  const raw: Json = structuredClone(
    options.file ? readConfigFile(options.file) : isPlainObject(options.base) ? options.base : {},
  );
  const env = options.env ?? {};
  for (const [name, { path, type }] of Object.entries(ENV_FIELDS)) {
    const text = env[name];
    if (text !== undefined && text !== '') setPath(raw, path, convert(text, type, path, name));
  }
  for (const [name, { path, type }] of Object.entries(FLAG_FIELDS)) {
    const text = options.flags?.[name];
    if (text !== undefined) setPath(raw, path, convert(text, type, path, `--${name}`));
  }
  // Switching the store kind from env or flags keeps only the fields that kind accepts.
  if (isPlainObject(raw.store)) {
    const s = raw.store;
    if (s.kind === 'file') raw.store = { kind: 'file', ...(s.compactMinBytes !== undefined && { compactMinBytes: s.compactMinBytes }) };
    if (s.kind === 'redis') delete s.nodes;
    if (s.kind === 'redis-cluster') delete s.url;
  }
  return parseConfig(raw);
}

/** A copy of the config safe to log or show: secrets replaced. */
export function redactedConfig(config: CollectorConfig): unknown {
  return {
    ...config,
    operator: { ...config.operator, apiKey: '[redacted]', secret: '[redacted]' },
    adminToken: config.adminToken ? '[redacted]' : undefined,
  };
}
