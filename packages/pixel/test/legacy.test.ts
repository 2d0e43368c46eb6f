// The official SDK's older surface, kept for sites that port code: the legacy `init({callback})` with
// its status codes, and the init config stored for the next page (`UID2-sdk-identity_config` in
// localStorage, or the `__uid_2_config` cookie with useCookie). The self-bootstrap from that config and
// `__uid2Helper` belong to the <script> build: script.test.ts. Real operator throughout.
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import type { InitCallbackPayload, Identity } from '../src/types.ts';
import { baseOptions, check, client, KEY, start } from './support/page.ts';

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

/** A client whose legacy callback records [status, statusText, token] (and checks both token fields agree). */
function legacyClient(options = {}) {
  const seen: [number, string, string | undefined][] = [];
  const sdk = client();
  sdk.init(
    baseOptions({
      ...options,
      callback: (p: InitCallbackPayload) => {
        expect(p.advertisingToken).toBe(p.advertising_token);
        seen.push([p.status, p.statusText, p.advertising_token]);
      },
    }),
  );
  return { sdk, seen };
}

describe('init({callback}): the official status codes', () => {
  test('NO_IDENTITY at init, ESTABLISHED after CSTG and for each new person, OPTOUT, NO_IDENTITY after disconnect', async () => {
    const { sdk, seen } = legacyClient();
    expect(seen).toEqual([[-1, 'NO_IDENTITY', undefined]]);
    const first = await sdk.setEmail('legacy.first@example.com');
    expect(seen).toEqual([[-1, 'NO_IDENTITY', undefined], [0, 'ESTABLISHED', first]]);
    // A new person: one report, ESTABLISHED, with no NO_IDENTITY for the old identity on the way.
    const second = await sdk.setEmail('legacy.second@example.com');
    expect(seen.slice(2)).toEqual([[0, 'ESTABLISHED', second]]);
    // Likewise an identity the server generated, replacing the current one.
    const server = await check<Identity>('generate', { email: 'legacy.server@example.com' });
    sdk.setIdentity(server);
    expect(seen.slice(3)).toEqual([[0, 'ESTABLISHED', server.advertising_token]]);
    await sdk.setEmail('optout@example.com');
    expect(seen.slice(4)).toEqual([[-4, 'OPTOUT', undefined]]);
    sdk.disconnect();
    expect(seen.slice(5)).toEqual([[-1, 'NO_IDENTITY', undefined]]);
  });

  test('a new person whose DII is invalid: the old identity ends with one NO_IDENTITY', async () => {
    const { sdk, seen } = legacyClient();
    const first = await sdk.setEmail('legacy.before.invalid@example.com');
    expect(seen.at(-1)).toEqual([0, 'ESTABLISHED', first]);
    expect(await sdk.setEmail('not an email')).toBeUndefined();
    expect(seen.slice(2)).toEqual([[-1, 'NO_IDENTITY', undefined]]);
    expect(sdk.getAdvertisingToken()).toBeUndefined();
  });

  test('a stored identity: ESTABLISHED at init; an expired one: EXPIRED, then REFRESHED once refreshed', async () => {
    const id = await check<Identity>('generate', { email: 'legacy.stored@example.com' });
    localStorage.setItem(KEY, JSON.stringify(id));
    expect(legacyClient().seen).toEqual([[0, 'ESTABLISHED', id.advertising_token]]);

    const now = Date.now();
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_from: now - 2, identity_expires: now - 1 }));
    const { sdk, seen } = legacyClient();
    expect(seen[0]).toEqual([100, 'EXPIRED', undefined]);
    const fresh = await sdk.getToken(); // init started the refresh (refresh_from has passed); this waits for it
    expect(fresh).toMatch(/^A/);
    expect(fresh).not.toBe(id.advertising_token);
    expect(seen.slice(1)).toEqual([[1, 'REFRESHED', fresh]]);
  });

  test('REFRESH_EXPIRED for a stored identity whose refresh time has passed: at init, and when it passes later', async () => {
    const id = await check<Identity>('generate', { email: 'legacy.refresh.expired@example.com' });
    const now = Date.now();
    localStorage.setItem(KEY, JSON.stringify({ ...id, identity_expires: now - 2, refresh_expires: now - 1 }));
    expect(legacyClient().seen).toEqual([[-3, 'REFRESH_EXPIRED', undefined]]);
    expect(localStorage.getItem(KEY)).toBeNull();

    // Usable now; no refresh due; the refresh time passes a moment later and the timer (1 s) finds it.
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_from: now + 864e5, identity_expires: now + 300, refresh_expires: now + 600 }));
    const { seen } = legacyClient({ refreshRetryPeriod: 1000 });
    expect(seen).toEqual([[0, 'ESTABLISHED', id.advertising_token]]);
    await expect.poll(() => seen.at(-1), { timeout: 5000 }).toEqual([-3, 'REFRESH_EXPIRED', undefined]);
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  test('INVALID for something that is not an identity; REFRESH_EXPIRED when the operator refuses the refresh token', async () => {
    const { sdk, seen } = legacyClient();
    sdk.setIdentity({ advertising_token: 'x' } as never);
    expect(seen.at(-1)).toEqual([-2, 'INVALID', undefined]);

    const token = await sdk.setEmail('legacy.refused@example.com');
    const id = JSON.parse(localStorage.getItem(KEY)!) as Identity;
    const t = id.refresh_token;
    const corrupted = t.slice(0, 40) + (t[40] === 'A' ? 'B' : 'A') + t.slice(41);
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_token: corrupted, refresh_from: Date.now() - 1 }));
    expect(await sdk.getToken()).toBe(token); // still valid while the refresh runs
    await expect.poll(() => seen.at(-1)).toEqual([-3, 'REFRESH_EXPIRED', undefined]);
    expect(sdk.getAdvertisingToken()).toBeUndefined();
  });

  test('a callback that throws is logged and breaks nothing', async () => {
    const warn = vi.fn();
    const sdk = client();
    sdk.init(baseOptions({ logger: { warn }, callback: () => { throw new Error('page bug'); } }));
    expect(await sdk.setEmail('legacy.throws@example.com')).toMatch(/^A/);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('callback handler threw: Error: page bug'));
  });
});

describe('the stored init config (for the self-bootstrap on the next page load)', () => {
  test("init stores the official SDK's fields in localStorage (`UID2-sdk-identity_config`); operatorUrl counts as baseUrl", () => {
    const sdk = client();
    sdk.init(baseOptions({ refreshRetryPeriod: 7000, cookiePath: '/x', logger: console, wait: 5 }));
    expect(JSON.parse(localStorage.getItem('UID2-sdk-identity_config')!)).toEqual({
      baseUrl: inject('operatorUrl'),
      refreshRetryPeriod: 7000,
      cookiePath: '/x',
    });
    expect(document.cookie).not.toContain('__uid_2_config');
  });

  test('with useCookie, in the `__uid_2_config` cookie instead (EUID: `__euid_config`); a later init replaces it', () => {
    const sdk = client();
    sdk.init(baseOptions({ useCookie: true }));
    const cookie = () => document.cookie.split('; ').find((c) => c.startsWith('__uid_2_config='))?.slice(15);
    expect(JSON.parse(decodeURIComponent(cookie()!))).toEqual({ baseUrl: inject('operatorUrl'), useCookie: true, refreshRetryPeriod: 864e5 });
    expect(localStorage.getItem('UID2-sdk-identity_config')).toBeNull();
    sdk.init({ useCookie: false, baseUrl: 'https://other.example' });
    expect(cookie()).toBeUndefined();
    expect(JSON.parse(localStorage.getItem('UID2-sdk-identity_config')!).baseUrl).toBe('https://other.example');
    client(true).init(baseOptions({ useCookie: true, scope: 'EUID' }));
    expect(document.cookie).toContain('__euid_config=');
  });
});
