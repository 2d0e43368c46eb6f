// The background refresh timer against a real operator whose tokens are due after 2 s (identity 5 s,
// refresh 7 s): every refreshRetryPeriod it re-reads storage and refreshes a due token, with no pixel
// and no getter asking; one refresh in flight at most; another tab's change is picked up at the next tick.
import { afterEach, beforeEach, expect, inject, test, vi } from 'vitest';
import type { Callback, Identity } from '../src/index.ts';
import { holdRefreshes, baseOptions, client, hitsOn, sinkUrl, start, stored, uniquePath, KEY } from './support/page.ts';

const SHORT = () => baseOptions({ operatorUrl: inject('shortOperatorUrl'), refreshRetryPeriod: 1000 });
const refreshCalls = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.filter((c) => String(c[0]).endsWith('/v2/token/refresh')).length;

beforeEach(() => start({ operatorUrl: inject('shortOperatorUrl') }));
afterEach(() => vi.restoreAllMocks());

test('the timer refreshes a due token while nothing asks for it; IdentityUpdated carries the new one; pixels use it', async () => {
  const sdk = client();
  sdk.init(SHORT());
  const updates: (string | undefined)[] = [];
  sdk.callbacks.push(((e, p) => e == 'IdentityUpdated' && updates.push(p.identity?.advertising_token)) as Callback);
  const first = await sdk.setEmail('timer@example.com');
  // No getter, no pixel: only the timer can refresh.
  await expect.poll(() => (stored() as Identity).advertising_token, { timeout: 8000 }).not.toBe(first);
  const second = (stored() as Identity).advertising_token;
  await expect.poll(() => updates.at(-1)).toBe(second);
  expect(updates).toEqual([first, second]);

  const path = uniquePath('timer-conv');
  await sdk.track(sinkUrl() + path);
  const [hit] = await hitsOn(path);
  expect(new URL(hit!.url, 'http://x').searchParams.get('uid2_token')).toBe(second);
});

test('one refresh in flight: ticks while the operator has not answered start no second refresh', async () => {
  const sdk = client();
  sdk.init(SHORT());
  await sdk.setEmail('single.flight@example.com');
  const { spy, release } = holdRefreshes();
  await expect.poll(() => refreshCalls(spy), { timeout: 5000 }).toBe(1);
  await new Promise((r) => setTimeout(r, 2500)); // two more ticks, the refresh still held
  expect(refreshCalls(spy)).toBe(1);
  release();
  await expect.poll(() => sdk.getAdvertisingToken()).toBeTruthy();
});

test("each tick re-reads storage: another tab's new identity, and its logout, reach this one", async () => {
  const thisTab = client();
  thisTab.init(SHORT());
  const updates: (string | null)[] = [];
  thisTab.callbacks.push(((e, p) => e == 'IdentityUpdated' && updates.push(p.identity?.advertising_token ?? null)) as Callback);
  // The other tab is another client on the same storage (e2e/snippet-sdk.spec.ts does it with two real tabs).
  const otherTab = client();
  otherTab.init(baseOptions({ operatorUrl: inject('shortOperatorUrl') }));
  const token = await otherTab.setEmail('other.tab@example.com');
  await expect.poll(() => updates.at(-1), { timeout: 3000 }).toBe(token);
  localStorage.removeItem(KEY); // the other tab logged out
  await expect.poll(() => updates.at(-1), { timeout: 3000 }).toBeNull();
  expect(thisTab.getAdvertisingToken()).toBeUndefined();
});

test('disconnect stops the timer, as the official SDK does; a later init starts it again', async () => {
  const thisTab = client();
  thisTab.init(SHORT());
  const updates: (string | null)[] = [];
  thisTab.callbacks.push(((e, p) => e == 'IdentityUpdated' && updates.push(p.identity?.advertising_token ?? null)) as Callback);
  thisTab.disconnect();
  // Another tab signs in: only this tab's timer could notice (nothing here asks a getter).
  const otherTab = client();
  otherTab.init(baseOptions({ operatorUrl: inject('shortOperatorUrl') }));
  const token = await otherTab.setEmail('after.disconnect@example.com');
  expect(token).toBeTruthy();
  await new Promise((r) => setTimeout(r, 2500)); // two periods: a running timer would have ticked
  expect(updates).toEqual([]);
  thisTab.init({});
  await expect.poll(() => updates.at(-1), { timeout: 3000 }).toBe(token);
});
