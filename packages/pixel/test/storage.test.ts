// Storage is the official SDK's: localStorage `UID2-sdk-identity` by default, the first-party cookie
// `__uid_2` (URI-encoded JSON) with useCookie, the newer of the two winning; a legacy cookie with only
// the two tokens is migrated. Prebid.js's `__uid2_advertising_token` is read, never written. Real
// identities from the real operator are put there in those formats (browser-client.md §3, §5).
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { clear, getAdvertisingToken, getIdentity, getToken, hasOptedOut, init, setEmail, setIdentity } from '../src/index.ts';
import type { Identity } from '../src/types.ts';
import { KEY, start, stored } from './support/page.ts';

const COOKIE = '__uid_2';
const PREBID_KEY = '__uid2_advertising_token';

const cookieValue = (name: string) =>
  document.cookie
    .split('; ')
    .find((c) => c.startsWith(name + '='))
    ?.slice(name.length + 1);
const cookieIdentity = (): Identity | undefined => {
  const v = cookieValue(COOKIE);
  return v ? JSON.parse(decodeURIComponent(v)) : undefined;
};
const putCookie = (value: unknown) => (document.cookie = `${COOKIE}=${encodeURIComponent(JSON.stringify(value))}; path=/`);

/** A real identity from the operator, then removed from storage. */
async function realIdentity(email = 'someone@example.com'): Promise<Identity> {
  await setEmail(email);
  const id = getIdentity()!;
  clear();
  expect(getIdentity()).toBeNull();
  return id;
}

const prebidWrap = (latestToken: unknown) => JSON.stringify({ originalIdentity: { identity: '3825512893', salt: 2271 }, latestToken });

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

describe('where the identity is written', () => {
  test("by default: localStorage under the official SDK's key, no cookie", async () => {
    const token = await setEmail('ls@example.com');
    expect((stored() as Identity).advertising_token).toBe(token);
    expect(cookieValue(COOKIE)).toBeUndefined();
  });

  test('useCookie: the `__uid_2` cookie (URI-encoded JSON, expires with the refresh token), not localStorage', async () => {
    start({ useCookie: true });
    const token = await setEmail('cookie@example.com');
    expect(cookieIdentity()?.advertising_token).toBe(token);
    expect(localStorage.getItem(KEY)).toBeNull();
    expect(await getToken()).toBe(token);
    const cookies = (await cookieStore.getAll(COOKIE)) as { path?: string; expires?: number }[];
    expect(cookies).toHaveLength(1);
    expect(cookies[0]!.path).toBe('/');
    expect(Math.abs(cookies[0]!.expires! - cookieIdentity()!.refresh_expires)).toBeLessThan(1000);
  });

  test('cookiePath sets the Path; clear() removes the cookie with the same path', async () => {
    start({ useCookie: true, cookiePath: '/' + location.pathname.split('/')[1] });
    await setEmail('path@example.com');
    const [c] = (await cookieStore.getAll(COOKIE)) as { path?: string }[];
    expect(c!.path).toBe('/' + location.pathname.split('/')[1]);
    clear();
    expect(await cookieStore.getAll(COOKIE)).toEqual([]);
  });

  test('switching from cookie to localStorage moves the identity and removes the cookie', async () => {
    start({ useCookie: true });
    await setEmail('move@example.com');
    init({ useCookie: false });
    const token = await setEmail('move@example.com');
    expect((stored() as Identity).advertising_token).toBe(token);
    expect(cookieValue(COOKIE)).toBeUndefined();
  });
});

describe('what is read', () => {
  test('of cookie and localStorage, the identity that expires later wins (a server can hand one over in the cookie)', async () => {
    const older = await realIdentity('first@example.com');
    const newer = await realIdentity('second@example.com');
    localStorage.setItem(KEY, JSON.stringify({ ...older, identity_expires: newer.identity_expires - 1000 }));
    putCookie(newer);
    expect(getAdvertisingToken()).toBe(newer.advertising_token);
    localStorage.setItem(KEY, JSON.stringify({ ...older, identity_expires: newer.identity_expires + 1000 }));
    expect(getAdvertisingToken()).toBe(older.advertising_token);
  });

  test.each([
    ['localStorage', (id: Identity) => localStorage.setItem(PREBID_KEY, prebidWrap(id))],
    ['cookie', (id: Identity) => (document.cookie = `${PREBID_KEY}=${encodeURIComponent(prebidWrap(id))}; path=/`)],
  ])("Prebid.js's identity (%s) is used as it is, and not copied", async (_, put) => {
    const id = await realIdentity();
    put(id);
    const fetchSpy = vi.spyOn(window, 'fetch');
    expect(await getToken()).toBe(id.advertising_token);
    expect(fetchSpy).not.toHaveBeenCalled(); // not due for refresh
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  test("a Prebid identity due for refresh is refreshed into our storage; Prebid's copy is left alone", async () => {
    const id = await realIdentity();
    const theirs = prebidWrap({ ...id, refresh_from: Date.now() - 1 });
    localStorage.setItem(PREBID_KEY, theirs);
    expect(await getToken()).toBe(id.advertising_token);
    await expect.poll(() => (stored() as Identity | null)?.advertising_token).toBeTruthy();
    expect((stored() as Identity).advertising_token).not.toBe(id.advertising_token);
    expect(await getToken()).toBe((stored() as Identity).advertising_token);
    expect(localStorage.getItem(PREBID_KEY)).toBe(theirs);
  });

  test('a legacy cookie (only advertising_token and refresh_token) gets the official default times and is stored', async () => {
    const id = await realIdentity();
    putCookie({ advertising_token: id.advertising_token, refresh_token: id.refresh_token });
    const before = Date.now();
    expect(getAdvertisingToken()).toBe(id.advertising_token);
    const migrated = stored() as Identity;
    expect(migrated.advertising_token).toBe(id.advertising_token);
    expect(migrated.refresh_token).toBe(id.refresh_token);
    expect(migrated.refresh_from).toBeGreaterThanOrEqual(before); // due at once
    expect(migrated.refresh_from).toBeLessThanOrEqual(Date.now());
    expect(migrated.identity_expires - migrated.refresh_from).toBe(4 * 3600e3);
    expect(migrated.refresh_expires - migrated.refresh_from).toBe(7 * 864e5);
    expect(cookieValue(COOKIE)).toBeUndefined(); // moved to localStorage (useCookie is off)
  });

  test("the official SDK's opt-out marker and Prebid's 'optout' are respected", async () => {
    const t = Date.now() + 3600e3;
    localStorage.setItem(KEY, JSON.stringify({ status: 'optout', identity_expires: t, refresh_expires: t }));
    expect(hasOptedOut()).toBe(true);
    expect(await getToken()).toBeUndefined();
    localStorage.clear();
    localStorage.setItem(PREBID_KEY, prebidWrap('optout'));
    expect(hasOptedOut()).toBe(true);
    expect(await getToken()).toBeUndefined();
  });
});

describe('bad stored data: no token rather than a wrong one, and a reason in the log', () => {
  test('expired, malformed and wrongly typed entries are ignored; ours are removed, Prebid’s are not', async () => {
    const warn = vi.fn();
    start({ logger: { warn } });
    const id = await realIdentity();
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_expires: Date.now() - 1, identity_expires: Date.now() - 1 }));
    putCookie({ ...id, advertising_token: { not: 'a string' } });
    localStorage.setItem(PREBID_KEY, '{not json');
    const fetchSpy = vi.spyOn(window, 'fetch');
    expect(await getToken()).toBeUndefined();
    expect(hasOptedOut()).toBe(false);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(localStorage.getItem(KEY)).toBeNull();
    expect(cookieValue(COOKIE)).toBeUndefined();
    expect(localStorage.getItem(PREBID_KEY)).toBe('{not json');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/expired or malformed/));
  });

  test('a cookie with broken URI encoding is ignored', async () => {
    document.cookie = `${COOKIE}=%E0%A4%A; path=/`;
    expect(await getToken()).toBeUndefined();
  });

  test('a cookie too large for the browser: logged, and the identity lives in memory for this page', async () => {
    const warn = vi.fn();
    start({ useCookie: true, logger: { warn } });
    const id = await realIdentity();
    const huge = { ...id, advertising_token: id.advertising_token + 'A'.repeat(5000) };
    setIdentity(huge);
    expect(cookieValue(COOKIE)).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/cookie too large/));
    expect(getAdvertisingToken()).toBe(huge.advertising_token);
  });

  test('when localStorage throws (sandboxed frame, private mode), the identity lives in memory', async () => {
    const refuse = () => {
      throw new DOMException('denied', 'SecurityError');
    };
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(refuse);
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(refuse);
    vi.spyOn(Storage.prototype, 'removeItem').mockImplementation(refuse);
    const token = await setEmail('memory@example.com');
    expect(token).toBeTruthy();
    expect(await getToken()).toBe(token);
    clear();
    expect(await getToken()).toBeUndefined();
  });
});
