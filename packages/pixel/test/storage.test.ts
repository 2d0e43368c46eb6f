// Identities other UID2 clients stored on the same site are read (never written): the official web SDK
// (localStorage `UID2-sdk-identity`, or cookie `__uid_2` with useCookie) and Prebid.js
// (`__uid2_advertising_token`, `{originalIdentity, latestToken}`). Real identities from the real operator
// are put there in those formats (browser-client.md §3, §5).
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { clear, getToken, hasOptedOut, setEmail } from '../src/index.ts';
import { KEY } from '../src/store.ts';
import type { Identity } from '../src/types.ts';
import { start, stored } from './support/page.ts';

const SDK_KEY = 'UID2-sdk-identity';
const SDK_COOKIE = '__uid_2';
const PREBID_KEY = '__uid2_advertising_token';

/** A real identity from the operator, then removed from our own storage. */
async function foreignIdentity(email = 'someone@example.com'): Promise<Identity> {
  await setEmail(email);
  const id = stored() as Identity;
  clear();
  expect(stored()).toBeNull();
  return id;
}

const prebidWrap = (latestToken: unknown) => JSON.stringify({ originalIdentity: { identity: '3825512893', salt: 2271 }, latestToken });

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

describe('a valid foreign identity is used as it is', () => {
  test.each([
    ['official SDK, localStorage', (id: Identity) => localStorage.setItem(SDK_KEY, JSON.stringify(id))],
    ['official SDK, cookie', (id: Identity) => (document.cookie = `${SDK_COOKIE}=${encodeURIComponent(JSON.stringify(id))}; path=/`)],
    ['Prebid.js, localStorage', (id: Identity) => localStorage.setItem(PREBID_KEY, prebidWrap(id))],
    ['Prebid.js, cookie', (id: Identity) => (document.cookie = `${PREBID_KEY}=${encodeURIComponent(prebidWrap(id))}; path=/`)],
  ])('%s', async (_, put) => {
    const id = await foreignIdentity();
    put(id);
    const fetchSpy = vi.spyOn(window, 'fetch');
    expect(await getToken()).toBe(id.advertising_token);
    expect(fetchSpy).not.toHaveBeenCalled(); // not due for refresh
    expect(localStorage.getItem(KEY)).toBeNull(); // read, not copied
  });
});

test('a foreign identity due for refresh is refreshed; the result is stored under our key, theirs is left alone', async () => {
  const id = await foreignIdentity();
  const theirs = JSON.stringify({ ...id, refresh_from: Date.now() - 1 });
  localStorage.setItem(SDK_KEY, theirs);
  expect(await getToken()).toBe(id.advertising_token);
  await expect.poll(() => (stored() as Identity | null)?.advertising_token).toBeTruthy();
  expect((stored() as Identity).advertising_token).not.toBe(id.advertising_token);
  expect(await getToken()).toBe((stored() as Identity).advertising_token); // ours is now the fresher one
  expect(localStorage.getItem(SDK_KEY)).toBe(theirs);
});

test('of several identities, the one that expires last wins', async () => {
  const older = await foreignIdentity('first@example.com');
  const newer = await foreignIdentity('second@example.com');
  localStorage.setItem(SDK_KEY, JSON.stringify({ ...older, identity_expires: newer.identity_expires - 1000 }));
  localStorage.setItem(PREBID_KEY, prebidWrap(newer));
  expect(await getToken()).toBe(newer.advertising_token);
  localStorage.setItem(SDK_KEY, JSON.stringify({ ...older, identity_expires: newer.identity_expires + 1000 }));
  expect(await getToken()).toBe(older.advertising_token);
});

describe('foreign opt-outs are respected', () => {
  test("the official SDK's opt-out marker", async () => {
    const t = Date.now() + 3600e3;
    localStorage.setItem(SDK_KEY, JSON.stringify({ status: 'optout', identity_expires: t, refresh_expires: t }));
    expect(hasOptedOut()).toBe(true);
    expect(await getToken()).toBeUndefined();
  });

  test("Prebid's latestToken 'optout'", async () => {
    localStorage.setItem(PREBID_KEY, prebidWrap('optout'));
    expect(hasOptedOut()).toBe(true);
    expect(await getToken()).toBeUndefined();
  });
});

test('expired, malformed and unrelated entries are ignored (and foreign ones are not deleted)', async () => {
  const id = await foreignIdentity();
  const expired = JSON.stringify({ ...id, refresh_expires: Date.now() - 1, identity_expires: Date.now() - 1 });
  localStorage.setItem(SDK_KEY, expired);
  localStorage.setItem(PREBID_KEY, '{not json');
  document.cookie = `${SDK_COOKIE}=%E0%A4%A; path=/`; // broken URI encoding
  const fetchSpy = vi.spyOn(window, 'fetch');
  expect(await getToken()).toBeUndefined();
  expect(hasOptedOut()).toBe(false);
  expect(fetchSpy).not.toHaveBeenCalled();
  expect(localStorage.getItem(SDK_KEY)).toBe(expired);
});

test('our own expired identity is removed from storage', async () => {
  const id = await foreignIdentity();
  localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_expires: Date.now() - 1 }));
  expect(await getToken()).toBeUndefined();
  expect(localStorage.getItem(KEY)).toBeNull();
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
