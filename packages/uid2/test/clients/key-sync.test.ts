// Key sync against the fault operator: first fetch, scheduled refresh, keep-last-good-keys on every
// kind of failure, exponential backoff with jitter, events and logs for the collector's metrics.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../src/envelope/index.ts';
import { Uid2HttpError, Uid2NetworkError, Uid2ResponseError } from '../../src/clients/errors.ts';
import { KeySync, type KeyRefreshFailure, type KeyRefreshSuccess, type KeySyncOptions } from '../../src/clients/key-sync.ts';
import { KeysParseError } from '../../src/keys/index.ts';
import { vectors } from '../vectors.ts';
import { startFaultOperator, type FaultOperator } from './fault-operator.ts';

const SECRET = randomBytes(32).toString('base64');
const API_KEY = 'UID2-C-L-104-abcdef.' + 'k'.repeat(38);
const KEYS_BODY = vectors.keys as { keys: unknown[] };

let operator: FaultOperator;
let keysBody: unknown;
const syncs: KeySync[] = [];

beforeEach(async () => {
  keysBody = KEYS_BODY;
  operator = await startFaultOperator(SECRET, () => ({ kind: 'envelope', json: { status: 'success', body: keysBody } }));
});
afterEach(async () => {
  for (const sync of syncs.splice(0)) sync.stop();
  await operator.close();
});

function keySync(options: Partial<KeySyncOptions> = {}, path = '/v2/key/sharing'): KeySync {
  const sync = new KeySync(path, { baseUrl: operator.url, apiKey: API_KEY, secret: SECRET, jitter: 0, ...options });
  syncs.push(sync);
  return sync;
}

function nextEvent<T>(subscribe: (listener: (event: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const unsubscribe = subscribe((event) => {
      unsubscribe();
      resolve(event);
    });
  });
}

describe('KeySync', () => {
  it('fetches keys through an envelope with no JSON and reports the refresh', async () => {
    let now = 1_700_000_000_000;
    const sync = keySync({ now: () => now });
    const refreshed = nextEvent<KeyRefreshSuccess>((l) => sync.onRefresh(l));
    expect(sync.isReady).toBe(false);
    expect(sync.keyRing).toBeNull();

    await sync.start();
    expect(sync.isReady).toBe(true);
    expect(sync.keyRing!.size).toBe(KEYS_BODY.keys.length);
    expect(sync.lastRefresh).toBe(now);
    now += 5_000;
    expect(sync.keyAgeMs()).toBe(5_000);
    expect(await refreshed).toMatchObject({ at: 1_700_000_000_000, keyCount: KEYS_BODY.keys.length });

    const [request] = operator.received;
    expect(request!.path).toBe('/v2/key/sharing');
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request!.headers['x-uid2-client-version']).toMatch(/^uid2-pixels-ts-/);
    expect(request!.envelope!.payload).toBeUndefined();
    expect(request!.envelope!.timestamp).toBe(1_700_000_000_000);
  });

  it('refreshes again after the interval', async () => {
    const sync = keySync({ refreshIntervalMs: 50 });
    await sync.start();
    const first = sync.keyRing;
    await nextEvent<KeyRefreshSuccess>((l) => sync.onRefresh(l));
    expect(operator.received).toHaveLength(2);
    expect(sync.keyRing).not.toBe(first);
  });

  it('keeps the last good keys through 500s, bad MACs, nonce mismatches, resets and bad bodies, then recovers', async () => {
    const sync = keySync({ refreshIntervalMs: 3_600_000, retry: { initialDelayMs: 10_000 } });
    await sync.start();
    const good = sync.keyRing;
    const goodAt = sync.lastRefresh;

    operator.queueFaults('http-500', 'bad-mac', 'nonce-mismatch', 'reset', 'unauthorized', 'status-error');
    const expected = [Uid2HttpError, EnvelopeError, EnvelopeError, Uid2NetworkError, Uid2HttpError, Uid2ResponseError];
    for (const [index, type] of expected.entries()) {
      await expect(sync.refreshKeys()).rejects.toBeInstanceOf(type);
      expect(sync.keyRing).toBe(good);
      expect(sync.isReady).toBe(true);
      expect(sync.lastRefresh).toBe(goodAt);
      expect(sync.consecutiveFailures).toBe(index + 1);
    }

    keysBody = { ...KEYS_BODY, keys: [{ id: 'not a number' }] };
    const parseError = await sync.refreshKeys().catch((e: unknown) => e);
    expect(parseError).toBeInstanceOf(KeysParseError);
    expect(sync.keyRing).toBe(good);

    keysBody = KEYS_BODY;
    await sync.refreshKeys();
    expect(sync.keyRing).not.toBe(good);
    expect(sync.consecutiveFailures).toBe(0);
    expect(sync.totalFailures).toBe(7);
  });

  it('retries automatically with exponential backoff until the operator answers', async () => {
    const sync = keySync({ refreshIntervalMs: 3_600_000, retry: { initialDelayMs: 40, factor: 2 } });
    const failures: KeyRefreshFailure[] = [];
    sync.onRefreshError((event) => failures.push(event));
    operator.queueFaults('http-500', 'http-500', 'http-500');
    const started = Date.now();

    await expect(sync.start()).rejects.toBeInstanceOf(Uid2HttpError);
    expect(sync.isReady).toBe(false);
    await nextEvent<KeyRefreshSuccess>((l) => sync.onRefresh(l));

    expect(sync.isReady).toBe(true);
    expect(failures.map((f) => f.retryInMs)).toEqual([40, 80, 160]);
    expect(failures.map((f) => f.consecutiveFailures)).toEqual([1, 2, 3]);
    expect(failures.every((f) => f.keyAgeMs === null)).toBe(true);
    // Four requests, and the gaps between them grew: at least 40 + 80 + 160 ms in all.
    expect(operator.received).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('caps the backoff and applies jitter to every delay', async () => {
    const failures: KeyRefreshFailure[] = [];
    const low = keySync({ retry: { initialDelayMs: 10_000, maxDelayMs: 50_000 }, jitter: 0.5, random: () => 0 });
    low.onRefreshError((event) => failures.push(event));
    operator.queueFaults(...Array<'http-500'>(6).fill('http-500'));
    await low.start().catch(() => undefined);
    for (let i = 0; i < 4; i++) await low.refreshKeys().catch(() => undefined);
    // random 0 with jitter 0.5 halves every delay: 10 20 40 50(cap) 50 s -> 5 10 20 25 25 s.
    expect(failures.map((f) => f.retryInMs)).toEqual([5_000, 10_000, 20_000, 25_000, 25_000]);

    const high = keySync({ retry: { initialDelayMs: 10_000 }, jitter: 0.5, random: () => 0.75 });
    const failure = nextEvent<KeyRefreshFailure>((l) => high.onRefreshError(l));
    await high.start().catch(() => undefined);
    expect((await failure).retryInMs).toBe(12_500);
  });

  it('reports failures with the age of the keys still in use', async () => {
    let now = 1_000_000;
    const sync = keySync({ now: () => now, retry: { initialDelayMs: 60_000 } });
    await sync.start();
    now += 90_000;
    operator.queueFaults('http-500');
    const failure = nextEvent<KeyRefreshFailure>((l) => sync.onRefreshError(l));
    await sync.refreshKeys().catch(() => undefined);
    expect(await failure).toMatchObject({ keyAgeMs: 90_000, consecutiveFailures: 1, totalFailures: 1, retryInMs: 60_000 });
  });

  it('does not schedule anything before start or after stop', async () => {
    const sync = keySync({ refreshIntervalMs: 20, retry: { initialDelayMs: 20 } });
    await sync.refreshKeys();
    operator.queueFaults('http-500');
    const failure = nextEvent<KeyRefreshFailure>((l) => sync.onRefreshError(l));
    await sync.refreshKeys().catch(() => undefined);
    expect((await failure).retryInMs).toBeNull();

    await sync.start();
    sync.stop();
    const count = operator.received.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(operator.received).toHaveLength(count);
    expect(sync.isReady).toBe(true);
  });

  it('shares one request between concurrent refreshes', async () => {
    const sync = keySync();
    const [a, b] = await Promise.all([sync.refreshKeys(), sync.refreshKeys()]);
    expect(a).toBe(b);
    expect(operator.received).toHaveLength(1);
  });

  it('survives a listener that throws', async () => {
    const sync = keySync();
    sync.onRefresh(() => {
      throw new Error('listener bug');
    });
    await expect(sync.start()).resolves.toBeUndefined();
    expect(sync.isReady).toBe(true);
  });

  it('uses the bidstream route when asked', async () => {
    const sync = keySync({}, '/v2/key/bidstream');
    await sync.start();
    expect(operator.received[0]!.path).toBe('/v2/key/bidstream');
  });

  it('logs refreshes and failures without the API key, secret or key material', async () => {
    const lines: string[] = [];
    const logger = {
      info: (fields: object, message: string) => lines.push(JSON.stringify({ ...fields, message })),
      warn: (fields: object, message: string) => lines.push(JSON.stringify({ ...fields, message })),
    };
    const sync = keySync({ logger, retry: { initialDelayMs: 60_000 } });
    await sync.start();
    operator.queueFaults('bad-mac');
    await sync.refreshKeys().catch(() => undefined);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ err: { code: 'mac' }, consecutiveFailures: 1 });
    const secrets = [API_KEY, SECRET, ...(KEYS_BODY.keys as Array<{ secret: string }>).map((k) => k.secret)];
    for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
  });

  it("lets the process exit while a refresh is scheduled (timers are unref'd)", async () => {
    // A child process starts a sync (an hour until the next refresh) and then has nothing else to do.
    const keySyncUrl = new URL('../../src/clients/key-sync.ts', import.meta.url).href;
    const script = `
      import { KeySync } from ${JSON.stringify(keySyncUrl)};
      const sync = new KeySync('/v2/key/sharing', { baseUrl: ${JSON.stringify(operator.url)}, apiKey: 'k', secret: ${JSON.stringify(SECRET)} });
      await sync.start();
      console.log('started', sync.isReady);
    `;
    const started = Date.now();
    // Async, so this process's fault operator can answer while the child runs; rejects on a non-zero exit or the timeout.
    const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('started true');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
