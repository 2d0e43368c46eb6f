// Keeps a KeyRing fresh from /v2/key/sharing or /v2/key/bidstream.
//
// Why the schedule looks like this: keys rotate slowly (the SDKs refresh hourly), but a receiver that
// loses its keys loses every pixel, so a failed refresh keeps the last good KeyRing and retries with
// exponential backoff; a successful one waits the full interval. Both delays get jitter so a fleet of
// collectors does not hit the operator in lockstep. Timers are unref'd: the sync never keeps a process
// alive on its own.
import { checkBaseUrl } from './base-url.ts';
import { KeyRing } from '../keys/index.ts';
import { postEnveloped, type OperatorHttpOptions } from './operator-http.ts';
import { Uid2ResponseError } from './errors.ts';

export interface RetryOptions {
  /** Delay before the first retry after a failure. Default 1 s. */
  initialDelayMs?: number;
  /** Upper bound of the delay between retries. Default 5 min. */
  maxDelayMs?: number;
  /** Growth of the delay per consecutive failure. Default 2. */
  factor?: number;
}

/** Structured logger, pino-compatible (`logger.info({...}, 'msg')`). */
export interface KeySyncLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface KeySyncOptions extends OperatorHttpOptions {
  /** Time between successful refreshes. Default 1 h. */
  refreshIntervalMs?: number;
  /** Relative jitter applied to every delay: 0.1 = ±10 %. Default 0.1. */
  jitter?: number;
  retry?: RetryOptions;
  logger?: KeySyncLogger;
  /** Random source in [0, 1) for jitter (tests pin it). Default Math.random. */
  random?: () => number;
}

export interface KeyRefreshSuccess {
  /** When the new keys arrived, ms. */
  at: number;
  /** Number of keys in the new ring. */
  keyCount: number;
  /** How long the request took, ms. */
  durationMs: number;
}

export interface KeyRefreshFailure {
  at: number;
  error: Error;
  /** Failures since the last success, this one included. */
  consecutiveFailures: number;
  /** Failures since the client was created. */
  totalFailures: number;
  /** Age of the keys still in use (ms since the last success), or null when there are none. */
  keyAgeMs: number | null;
  /** Delay before the automatic retry, or null when the client is not started. */
  retryInMs: number | null;
}

type Listener<T> = (event: T) => void;

const DEFAULT_REFRESH_INTERVAL_MS = 3_600_000;
const DEFAULT_JITTER = 0.1;
const DEFAULT_RETRY: Required<RetryOptions> = { initialDelayMs: 1_000, maxDelayMs: 300_000, factor: 2 };

/** The key-sync machinery shared by SharingClient and BidstreamClient. */
export class KeySync {
  readonly #options: KeySyncOptions;
  readonly #path: string;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #retry: Required<RetryOptions>;
  readonly #onSuccess = new Set<Listener<KeyRefreshSuccess>>();
  readonly #onFailure = new Set<Listener<KeyRefreshFailure>>();
  #keyRing: KeyRing | null = null;
  #lastRefresh: number | null = null;
  #consecutiveFailures = 0;
  #totalFailures = 0;
  #inFlight: Promise<KeyRing> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #started = false;

  constructor(path: string, options: KeySyncOptions) {
    checkBaseUrl(options.baseUrl);
    this.#path = path;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** The current keys, or null before the first successful refresh. */
  get keyRing(): KeyRing | null {
    return this.#keyRing;
  }

  /** When the current keys arrived (ms), or null. */
  get lastRefresh(): number | null {
    return this.#lastRefresh;
  }

  /** True once keys have arrived (they are kept through later failures). */
  get isReady(): boolean {
    return this.#keyRing !== null;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  get totalFailures(): number {
    return this.#totalFailures;
  }

  /** ms since the current keys arrived, or null when there are none. */
  keyAgeMs(now: number = this.#now()): number | null {
    return this.#lastRefresh === null ? null : now - this.#lastRefresh;
  }

  /** Calls `listener` after every successful refresh. Returns a function that unsubscribes. */
  onRefresh(listener: Listener<KeyRefreshSuccess>): () => void {
    this.#onSuccess.add(listener);
    return () => this.#onSuccess.delete(listener);
  }

  /** Calls `listener` after every failed refresh. Returns a function that unsubscribes. */
  onRefreshError(listener: Listener<KeyRefreshFailure>): () => void {
    this.#onFailure.add(listener);
    return () => this.#onFailure.delete(listener);
  }

  /**
   * Fetches keys now and schedules refreshes from then on. Resolves with the first keys; rejects if
   * that first fetch fails — the client keeps retrying in the background either way, so a service
   * may catch the rejection and run degraded (decrypt answers NotInitialized) until keys arrive.
   */
  async start(): Promise<void> {
    this.#started = true;
    await this.refreshKeys();
  }

  /** Stops the schedule. The keys already fetched stay usable. */
  stop(): void {
    this.#started = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * One refresh attempt. Concurrent calls share the request. On success the new ring replaces the old;
   * on failure the old ring stays and the error is rethrown (and reported to onRefreshError).
   */
  refreshKeys(): Promise<KeyRing> {
    this.#inFlight ??= this.#attempt().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #attempt(): Promise<KeyRing> {
    const startedAt = this.#now();
    try {
      const answer = await postEnveloped(this.#options, this.#path);
      if (answer.status !== 'success') {
        throw new Uid2ResponseError(this.#path, `status "${answer.status}" instead of "success"`);
      }
      const ring = KeyRing.fromResponseBody(answer.body);
      const at = this.#now();
      this.#keyRing = ring;
      this.#lastRefresh = at;
      this.#consecutiveFailures = 0;
      const event: KeyRefreshSuccess = { at, keyCount: ring.size, durationMs: at - startedAt };
      this.#options.logger?.info({ path: this.#path, keyCount: event.keyCount, durationMs: event.durationMs }, 'UID2 keys refreshed');
      this.#scheduleNext(this.#withJitter(this.#options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS));
      emit(this.#onSuccess, event);
      return ring;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      this.#consecutiveFailures++;
      this.#totalFailures++;
      const retryInMs = this.#started ? this.#withJitter(this.#backoff(this.#consecutiveFailures)) : null;
      const event: KeyRefreshFailure = {
        at: this.#now(),
        error,
        consecutiveFailures: this.#consecutiveFailures,
        totalFailures: this.#totalFailures,
        keyAgeMs: this.keyAgeMs(),
        retryInMs,
      };
      this.#options.logger?.warn(
        {
          path: this.#path,
          err: { code: (error as { code?: unknown }).code, message: error.message },
          consecutiveFailures: event.consecutiveFailures,
          keyAgeMs: event.keyAgeMs,
          retryInMs,
        },
        'UID2 key refresh failed; keeping the last good keys',
      );
      if (retryInMs !== null) this.#scheduleNext(retryInMs);
      emit(this.#onFailure, event);
      throw error;
    }
  }

  #backoff(failures: number): number {
    const { initialDelayMs, maxDelayMs, factor } = this.#retry;
    return Math.min(maxDelayMs, initialDelayMs * factor ** (failures - 1));
  }

  #withJitter(delayMs: number): number {
    const jitter = this.#options.jitter ?? DEFAULT_JITTER;
    return Math.max(0, Math.round(delayMs * (1 + jitter * (2 * this.#random() - 1))));
  }

  #scheduleNext(delayMs: number): void {
    if (!this.#started) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    // setTimeout caps at 2^31-1 ms; a longer interval would fire at once.
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.refreshKeys().catch(() => {
        // Reported through onRefreshError and the logger; the failure path has scheduled the retry.
      });
    }, Math.min(delayMs, 2_147_483_647));
    this.#timer.unref();
  }
}

function emit<T>(listeners: Set<Listener<T>>, event: T): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A listener's bug must not break key sync.
    }
  }
}
