// Refresh, expiry and opt-out over time, against a real operator whose tokens live for seconds
// (refresh_from 2 s, identity 5 s, refresh 7 s: see global-setup.ts).
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import { getToken, hasOptedOut, init, setEmail } from '../src/index.ts';
import { sha256 as hashOf } from '../src/hash.ts';
import { KEY } from './support/page.ts';
import type { Identity } from '../src/types.ts';
import { holdRefreshes, check, sleep, start, stored } from './support/page.ts';

const short = inject('shortLifetimes');
const EMAIL = 'refresh.me@example.com'; // already normalised, so its hash is sha256(EMAIL)

const identity = () => stored() as Identity;
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now() + 50));
const refreshCalls = (spy: ReturnType<typeof spyFetch>) =>
  spy.mock.calls.filter((c) => String(c[0]).endsWith('/v2/token/refresh')).length;
const spyFetch = () => vi.spyOn(window, 'fetch');

beforeEach(() => start({ operatorUrl: inject('shortOperatorUrl') }));
afterEach(() => vi.restoreAllMocks());

test('lifetimes are as configured, so the waits below mean what they say', async () => {
  await setEmail(EMAIL);
  const id = identity();
  const now = Date.now();
  expect(id.refresh_from - now).toBeLessThanOrEqual(short.refreshFromSeconds * 1000);
  expect(id.identity_expires - now).toBeLessThanOrEqual(short.identitySeconds * 1000);
  expect(id.refresh_expires - now).toBeLessThanOrEqual(short.refreshSeconds * 1000);
  expect(id.refresh_expires - now).toBeGreaterThan((short.refreshSeconds - 1) * 1000);
});

test('no refresh before refresh_from; after it, the current token is served while a refresh runs', async () => {
  const first = await setEmail(EMAIL);
  const id1 = identity();
  const spy = spyFetch();
  expect(await getToken()).toBe(first);
  expect(refreshCalls(spy)).toBe(0);

  await sleepUntil(id1.refresh_from);
  expect(await getToken()).toBe(first); // still valid: answered at once
  await expect.poll(() => refreshCalls(spy)).toBe(1); // started once the (empty) consent check is done
  await expect.poll(() => identity().advertising_token).not.toBe(first);

  const id2 = identity();
  expect(await getToken()).toBe(id2.advertising_token);
  expect(id2.refresh_response_key).not.toBe(id1.refresh_response_key);
  expect(id2.refresh_from).toBeGreaterThan(id1.refresh_from);
  // The refreshed token still holds the same person.
  const hash = await hashOf(EMAIL);
  expect(await check('validate', { token: id2.advertising_token, field: 'email_hash', hash, short: true })).toBe(true);
});

test('at most one refresh in flight', async () => {
  await setEmail(EMAIL);
  await sleepUntil(identity().refresh_from);
  const spy = spyFetch();
  await Promise.all(Array.from({ length: 10 }, () => getToken()));
  expect(refreshCalls(spy)).toBe(1);
  await expect.poll(() => refreshCalls(spy) === 1 && !!identity()).toBe(true);
});

test('an expired token waits for the refresh and returns the new one', async () => {
  const first = await setEmail(EMAIL);
  await sleepUntil(identity().identity_expires);
  const spy = spyFetch();
  const token = await getToken();
  expect(refreshCalls(spy)).toBe(1);
  expect(token).toBeTruthy();
  expect(token).not.toBe(first);
  expect(token).toBe(identity().advertising_token);
});

test('after refresh_expires the identity is dropped without asking the operator', async () => {
  await setEmail(EMAIL);
  await sleepUntil(identity().refresh_expires);
  const spy = spyFetch();
  expect(await getToken()).toBeUndefined();
  expect(spy).not.toHaveBeenCalled();
  expect(localStorage.getItem(KEY)).toBeNull();
});

test('opt-out at refresh (refresh-optout@example.com): the identity is replaced by an opt-out marker', async () => {
  const first = await setEmail('refresh-optout@example.com');
  expect(first).toBeTruthy();
  expect(hasOptedOut()).toBe(false);
  await sleepUntil(identity().refresh_from);
  expect(await getToken()).toBe(first); // served while the refresh runs
  await expect.poll(() => hasOptedOut()).toBe(true);
  expect(await getToken()).toBeUndefined();
  expect((stored() as { status: string }).status).toBe('optout');
});

describe('the operator refuses the refresh token (400): the identity is dropped', () => {
  test('a corrupted refresh token', async () => {
    await setEmail(EMAIL);
    const id = identity();
    const t = id.refresh_token;
    const corrupted = t.slice(0, 40) + (t[40] === 'A' ? 'B' : 'A') + t.slice(41);
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_token: corrupted, refresh_from: Date.now() - 1 }));
    expect(await getToken()).toBe(id.advertising_token); // still valid while the refresh fails
    await expect.poll(() => localStorage.getItem(KEY)).toBeNull();
    expect(await getToken()).toBeUndefined();
  });

  test('a refresh token the operator has expired, though the stored times claim otherwise', async () => {
    await setEmail(EMAIL);
    const id = identity();
    await sleepUntil(id.refresh_expires);
    const now = Date.now();
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_from: now - 1, identity_expires: now - 1, refresh_expires: now + 3600e3 }));
    const spy = spyFetch();
    expect(await getToken()).toBeUndefined();
    expect(refreshCalls(spy)).toBe(1);
    expect(localStorage.getItem(KEY)).toBeNull();
  });
});

test('a transient failure keeps the identity and pauses before the next attempt', async () => {
  const first = await setEmail(EMAIL);
  init({ operatorUrl: 'http://127.0.0.1:9' } as never); // nothing listens there
  await sleepUntil(identity().refresh_from);
  const spy = spyFetch();
  expect(await getToken()).toBe(first);
  await expect.poll(() => refreshCalls(spy)).toBe(1);
  await (spy.mock.results[0]!.value as Promise<unknown>).catch(() => undefined); // the attempt has failed
  await sleep(50); // and the snippet has seen it fail: the refresh slot is free again
  expect(await getToken()).toBe(first); // within the retry pause: no new attempt
  expect(refreshCalls(spy)).toBe(1);
  expect(identity().advertising_token).toBe(first);
});

test('a refresh answer that arrives after a new setEmail does not bring the old identity back', async () => {
  await setEmail(EMAIL);
  await sleepUntil(identity().refresh_from);
  // Hold the real refresh answer until the new person's token has been generated.
  const { spy, release } = holdRefreshes();
  void getToken(); // starts the refresh
  await expect.poll(() => refreshCalls(spy)).toBe(1);
  const second = await setEmail('someone.else@example.com');
  release();
  await sleep(200);
  expect(identity().advertising_token).toBe(second);
  const hash = await hashOf('someone.else@example.com');
  expect(await check('validate', { token: await getToken(), field: 'email_hash', hash, short: true })).toBe(true);
});


test("a proxy's error page that echoes the refresh request never reaches the logger", async () => {
  const first = await setEmail(EMAIL);
  const warn = vi.fn();
  init({ operatorUrl: inject('shortOperatorUrl'), logger: { warn } } as never);
  await sleepUntil(identity().refresh_from);
  const refreshToken = identity().refresh_token;
  // A fault only a broken proxy produces (the real operator never echoes): a 502 whose page repeats the request body.
  const real = window.fetch.bind(window);
  vi.spyOn(window, 'fetch').mockImplementation(async (input, init) =>
    String(input).endsWith('/v2/token/refresh') ? new Response(`Bad gateway for: ${String(init?.body)}`, { status: 502 }) : real(input, init),
  );
  expect(await getToken()).toBe(first); // kept: a transient failure
  await expect.poll(() => warn.mock.calls.length).toBeGreaterThan(0);
  const logged = JSON.stringify(warn.mock.calls);
  expect(logged).toContain('502');
  expect(logged).not.toContain(refreshToken);
});
