// The official web SDK's API, row by row (shared/reference/web-sdk.md), against the real operator:
// events (replayed to late subscribers, a throwing handler isolated), setIdentity with a
// server-generated identity, init({identity}), the sync and async token getters, isLoginRequired,
// isIdentityAvailable, hasOptedOut, disconnect, the injectable logger, hex hashes.
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import type { Callback, EventType, Identity } from '../src/index.ts';
import { baseOptions, check, client, start, stored } from './support/page.ts';

const { email: emailVectors } = inject('vectors');

type Seen = [EventType, string | null][];
/** A handler that records each event with the token its payload carried. */
function recorder(): { seen: Seen; cb: Callback } {
  const seen: Seen = [];
  return { seen, cb: (e, p) => void seen.push([e, p.identity?.advertising_token ?? null]) };
}

/** An identity generated server-side (/v2/token/generate as site 101), as a site's backend would hand over. */
const serverIdentity = (email: string) => check<Identity>('generate', { email });

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

describe('events', () => {
  test('SdkLoaded at once for every subscriber; InitCompleted on init, and replayed to later subscribers', () => {
    const sdk = client();
    const early = recorder();
    sdk.callbacks.push(early.cb);
    expect(early.seen).toEqual([['SdkLoaded', null]]);
    sdk.init(baseOptions());
    expect(early.seen).toEqual([['SdkLoaded', null], ['InitCompleted', null]]);
    const late = recorder();
    sdk.callbacks.push(late.cb);
    expect(late.seen).toEqual([['SdkLoaded', null], ['InitCompleted', null]]);
    sdk.init(baseOptions()); // a second init: later values win, InitCompleted is not repeated
    expect(early.seen).toHaveLength(2);
  });

  test('IdentityUpdated carries the new identity after CSTG, and null after disconnect', async () => {
    const sdk = client();
    sdk.init(baseOptions());
    const r = recorder();
    sdk.callbacks.push(r.cb);
    const token = await sdk.setEmail('events@example.com');
    expect(token).toBeTruthy();
    sdk.disconnect();
    expect(r.seen.slice(2)).toEqual([
      ['IdentityUpdated', token],
      ['IdentityUpdated', null],
    ]);
  });

  test('an opted-out user: OptoutReceived, then IdentityUpdated, both with no identity', async () => {
    const sdk = client();
    sdk.init(baseOptions());
    const r = recorder();
    sdk.callbacks.push(r.cb);
    await sdk.setIdentityFromEmail('optout@example.com');
    expect(r.seen.slice(2)).toEqual([
      ['OptoutReceived', null],
      ['IdentityUpdated', null],
    ]);
    expect(sdk.hasOptedOut()).toBe(true);
  });

  test('a throwing handler breaks neither the call, nor the other handlers; the logger is told', async () => {
    const warn = vi.fn();
    const sdk = client();
    const r = recorder();
    sdk.callbacks.push(() => {
      throw new Error('page bug');
    }, r.cb);
    sdk.init(baseOptions({ logger: { warn } }));
    expect(await sdk.setEmail('throwing@example.com')).toBeTruthy();
    expect(r.seen.map((s) => s[0])).toEqual(['SdkLoaded', 'InitCompleted', 'IdentityUpdated']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('IdentityUpdated handler threw: Error: page bug'));
  });

  test('non-functions pushed as handlers are ignored', () => {
    const sdk = client();
    expect(() => sdk.callbacks.push(42 as never, null as never, 'x' as never)).not.toThrow();
    expect(() => sdk.init(baseOptions())).not.toThrow();
  });
});

describe('setIdentity and init({identity}): an identity the server generated', () => {
  test('setIdentity stores it, fires IdentityUpdated, and its token is used at once', async () => {
    const id = await serverIdentity('server.side@example.com');
    const sdk = client();
    sdk.init(baseOptions());
    const r = recorder();
    sdk.callbacks.push(r.cb);
    sdk.setIdentity(id);
    expect(sdk.getAdvertisingToken()).toBe(id.advertising_token);
    expect((stored() as Identity).advertising_token).toBe(id.advertising_token);
    expect(r.seen.at(-1)).toEqual(['IdentityUpdated', id.advertising_token]);
    // The operator-side check: the token holds that person.
    const { sha256 } = await import('../src/hash.ts');
    expect(await check('validate', { token: id.advertising_token, field: 'email_hash', hash: await sha256('server.side@example.com') })).toBe(true);
  });

  test('setIdentity with something that is not an identity: nothing stored, a reason logged', async () => {
    const warn = vi.fn();
    const sdk = client();
    sdk.init(baseOptions({ logger: { warn } }));
    await sdk.setEmail('before@example.com');
    for (const bad of [null, 42, {}, { advertising_token: 'x' }, { advertising_token: 1, refresh_token: 2, refresh_from: 1, identity_expires: 1, refresh_expires: 1 }])
      expect(() => sdk.setIdentity(bad as never)).not.toThrow();
    expect(sdk.getAdvertisingToken()).toBeUndefined();
    expect(stored()).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('not an identity'));
  });

  test('init({identity}) takes it when nothing is stored, or when it expires later than the stored one', async () => {
    const older = await serverIdentity('older@example.com');
    const newer = await serverIdentity('newer@example.com');
    const a = client();
    a.init(baseOptions({ identity: older }));
    expect(a.getAdvertisingToken()).toBe(older.advertising_token);
    const b = client();
    b.init(baseOptions({ identity: { ...newer, identity_expires: older.identity_expires - 1 } }));
    expect(b.getAdvertisingToken()).toBe(older.advertising_token); // the stored one expires later: kept
    const c = client();
    c.init(baseOptions({ identity: newer }));
    expect(c.getAdvertisingToken()).toBe(newer.advertising_token);
  });
});

describe('token getters and state', () => {
  test('getAdvertisingTokenAsync waits for init, then resolves the token; rejects when there is none', async () => {
    const sdk = client();
    let settled = false;
    const pending = sdk.getAdvertisingTokenAsync().then(
      (t) => ((settled = true), t),
      (e: Error) => ((settled = true), e.message),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // before init: deferred, as the official SDK does
    sdk.init(baseOptions());
    expect(await pending).toBe('No identity available');
    const token = sdk.setEmail('async@example.com'); // in flight
    expect(await sdk.getAdvertisingTokenAsync()).toBe(await token);
  });

  test('isLoginRequired / isIdentityAvailable / isInitComplete / hasOptedOut through a life cycle', async () => {
    const sdk = client();
    expect(sdk.isLoginRequired()).toBeUndefined(); // before init, as the official SDK
    expect(sdk.isInitComplete()).toBe(false);
    sdk.init(baseOptions());
    expect(sdk.isInitComplete()).toBe(true);
    expect(sdk.isLoginRequired()).toBe(true);
    expect(sdk.isIdentityAvailable()).toBe(false);
    const pending = sdk.setEmail('cycle@example.com');
    expect(sdk.isLoginRequired()).toBe(false); // a request in flight: temporarily unavailable
    expect(sdk.isIdentityAvailable()).toBe(true);
    await pending;
    expect(sdk.isLoginRequired()).toBe(false);
    expect(sdk.isIdentityAvailable()).toBe(true);
    expect(sdk.getIdentity()?.advertising_token).toBe(await pending);
    sdk.disconnect();
    expect(sdk.isLoginRequired()).toBe(true);
    expect(sdk.getIdentity()).toBeNull();
    await sdk.setEmail('optout@example.com');
    expect(sdk.hasOptedOut()).toBe(true);
    expect(sdk.isLoginRequired()).toBe(false); // opted out: no point asking for a login again
    expect(sdk.isIdentityAvailable()).toBe(false);
  });

  test('an expired token that can still be refreshed: no token now, but no login required', async () => {
    const id = await serverIdentity('expired.soon@example.com');
    const sdk = client();
    sdk.init(baseOptions({ operatorUrl: 'http://127.0.0.1:9' })); // its refresh will fail
    sdk.setIdentity({ ...id, identity_expires: Date.now() - 1, refresh_from: Date.now() - 1 });
    expect(sdk.getAdvertisingToken()).toBeUndefined();
    expect(sdk.isLoginRequired()).toBe(false);
  });

  test('disconnect: storage cleared, and a CSTG answer still on its way is ignored', async () => {
    const sdk = client();
    sdk.init(baseOptions());
    const pending = sdk.setEmail('late@example.com');
    sdk.disconnect();
    expect(await pending).toBeUndefined();
    expect(stored()).toBeNull();
    expect(sdk.getAdvertisingToken()).toBeUndefined();
  });
});

describe('options, hashes and the logger', () => {
  test('per-call {serverPublicKey, subscriptionId}, as the official setIdentityFrom* take them', async () => {
    const sdk = client();
    sdk.init({ operatorUrl: inject('operatorUrl'), refreshRetryPeriod: 864e5 });
    expect(await sdk.setIdentityFromEmail('per.call@example.com', inject('advertiser'))).toBeTruthy();
  });

  test('a 64-character hex hash is accepted and sent as base64 (what the operator wants)', async () => {
    const v = emailVectors.find((x) => x.normalize_and_hash)!;
    const hex = Array.from(atob(v.normalize_and_hash!), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
    const spy = vi.spyOn(crypto.subtle, 'encrypt');
    const sdk = client();
    sdk.init(baseOptions());
    const token = await sdk.setEmailHash(hex.toUpperCase());
    expect(JSON.parse(new TextDecoder().decode(spy.mock.calls[0]![2] as Uint8Array))).toEqual({ email_hash: v.normalize_and_hash });
    expect(await check('validate', { token, field: 'email_hash', hash: v.normalize_and_hash })).toBe(true);
  });

  test('a refreshRetryPeriod under 1000 ms or not a number is refused with a reason, not thrown', () => {
    const warn = vi.fn();
    const sdk = client();
    for (const period of [999, 'soon', -1])
      expect(() => sdk.init(baseOptions({ refreshRetryPeriod: period as never, logger: { warn } }))).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('refreshRetryPeriod < 1000'));
  });

  test('the logger gets the operator’s reason for a refused CSTG; there is no logging without one', async () => {
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const sdk = client();
    sdk.init(baseOptions({ subscriptionId: 'not-a-subscription' }));
    expect(await sdk.setEmail('silent@example.com')).toBeUndefined();
    for (const s of consoleSpies) expect(s).not.toHaveBeenCalled();
    const warn = vi.fn();
    sdk.init({ logger: { warn } });
    await sdk.setEmail('told@example.com');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[UID2\] CSTG failed: .*400.*bad subscription_id/));
    expect(String(warn.mock.calls)).not.toContain('told@example.com');
  });

  test('a logger that throws does not stop anything', async () => {
    const sdk = client();
    sdk.init(baseOptions({ logger: { warn: () => { throw new Error('bad logger'); } } }));
    expect(await sdk.setEmail('not valid')).toBeUndefined();
    expect(await sdk.setEmail('fine@example.com')).toBeTruthy();
  });
});
