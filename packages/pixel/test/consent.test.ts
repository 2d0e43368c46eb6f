// Consent through the page's CMP (a stub implementing __tcfapi and __gpp: support/cmp.ts), against the
// real operators. UID2 by default honours a GPP US opt-out; EUID by default requires TCF consent for
// the EUID purposes and vendor, and sends the TC string inside the encrypted CSTG payload, where the
// EUID operator checks it again. No consent: no request, no token, no pixel token, NoConsent.
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import { encodeTcfString } from '@uid2-pixels/uid2/tcf';
import type { Callback, Options } from '../src/index.ts';
import { baseOptions, client, hitsOn, sinkUrl, start, stored, uniquePath } from './support/page.ts';
import { FULL_EUID_CONSENT, installGpp, installLocators, installTcf, removeCmps, tcfListeners } from './support/cmp.ts';

const euidOptions = (over: Partial<Options> = {}) => baseOptions({ operatorUrl: inject('euidOperatorUrl'), ...inject('euidAdvertiser'), ...over });

/** A client with its events and log recorded, and every CSTG plaintext captured. */
function watched(options: Options, euid = false) {
  const sdk = client(euid);
  const events: string[] = [];
  const warn = vi.fn();
  sdk.callbacks.push(((e) => void events.push(e)) as Callback);
  const encrypt = vi.spyOn(crypto.subtle, 'encrypt');
  const fetchSpy = vi.spyOn(window, 'fetch');
  sdk.init({ ...options, logger: { warn } });
  const plaintexts = () => encrypt.mock.calls.map((c) => JSON.parse(new TextDecoder().decode(c[2] as Uint8Array)));
  const cstgCalls = () => fetchSpy.mock.calls.filter((c) => String(c[0]).endsWith('/v2/token/client-generate')).length;
  return { sdk, events, warn, plaintexts, cstgCalls };
}

beforeEach(() => {
  removeCmps();
  start();
});
afterEach(() => {
  removeCmps();
  vi.restoreAllMocks();
});

describe('UID2 (default: a GPP US opt-out means no token)', () => {
  test('no CMP on the page: a token', async () => {
    const w = watched(baseOptions());
    expect(await w.sdk.setEmail('no.cmp@example.com')).toBeTruthy();
    expect(w.events).not.toContain('NoConsent');
    // Each check (init, setEmail) registered a CMP listener and removed it once the answer was final.
    expect(tcfListeners.size).toBe(0);
  });

  test('GPP without an opt-out: a token', async () => {
    installGpp({ optOut: false });
    expect(await watched(baseOptions()).sdk.setEmail('gpp.fine@example.com')).toBeTruthy();
  });

  test('GPP usnat opt-out: no CSTG request, no token, NoConsent, a reason logged; the pixel fires without a token', async () => {
    installGpp({ optOut: true });
    const w = watched(baseOptions());
    expect(await w.sdk.setEmail('gpp.optout@example.com')).toBeUndefined();
    expect(w.cstgCalls()).toBe(0);
    expect(w.events).toContain('NoConsent');
    expect(w.warn).toHaveBeenCalledWith(expect.stringContaining('no consent: GPP US opt-out'));
    const path = uniquePath('gpp-conv');
    await w.sdk.track(sinkUrl() + path);
    expect(new URL((await hitsOn(path))[0]!.url, 'http://x').searchParams.has('uid2_token')).toBe(false);
  });

  test('a GPP CMP that never answers: the wait is bounded, and no signal is not an opt-out', async () => {
    installGpp({ silent: true });
    const t0 = performance.now();
    expect(await watched(baseOptions({ consent: { wait: 300 } })).sdk.setEmail('gpp.silent@example.com')).toBeTruthy();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  test('a UID2 site may require TCF too: {tcf: "require"} with a refusing CMP means no token', async () => {
    installTcf({ mode: 'final', purposes: [1] });
    expect(await watched(baseOptions({ consent: { tcf: 'require' } })).sdk.setEmail('uid2.tcf@example.com')).toBeUndefined();
  });
});

describe('EUID (default: TCF consent required, the TC string sent to the operator)', () => {
  test('consent: a token; the TC string rode inside the encrypted payload and the EUID operator accepted it', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    const w = watched(euidOptions());
    expect(await w.sdk.setEmail('tcf.yes@example.com')).toMatch(/^E/);
    expect(w.plaintexts()).toEqual([{ email_hash: expect.any(String), tcf_consent_string: encodeTcfString(FULL_EUID_CONSENT) }]);
    expect(w.events).not.toContain('NoConsent');
  });

  test.each([
    ['no CMP on the page', () => undefined, 'no TCF CMP'],
    ['a purpose refused', () => installTcf({ mode: 'final', purposes: [1, 2, 3, 4, 10], vendors: [21] }), 'no TCF consent'],
    ['the EUID vendor refused', () => installTcf({ mode: 'final', purposes: FULL_EUID_CONSENT.purposes, vendors: [20] }), 'no TCF consent'],
    ['a CMP that throws', () => installTcf({ mode: 'throws' }), 'no TCF consent'],
    ['a CMP that answers nonsense (never a final answer)', () => installTcf({ mode: 'nonsense' }), 'TCF CMP did not answer'],
  ])('%s: no request, no token, NoConsent', async (_, install, reason) => {
    install();
    const w = watched(euidOptions());
    expect(await w.sdk.setEmail('tcf.no@example.com')).toBeUndefined();
    expect(w.cstgCalls()).toBe(0);
    expect(w.events).toContain('NoConsent');
    expect(w.warn).toHaveBeenCalledWith(expect.stringContaining(`no consent: ${reason}`));
  });

  test('a CMP that never answers: no token after the bounded wait', async () => {
    installTcf({ mode: 'silent' });
    const w = watched(euidOptions({ consent: { wait: 300 } }));
    const t0 = performance.now();
    expect(await w.sdk.setEmail('tcf.silent@example.com')).toBeUndefined();
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(3000);
    expect(w.warn).toHaveBeenCalledWith(expect.stringContaining('TCF CMP did not answer'));
  });

  test('GDPR does not apply: a token, and no TC string sent', async () => {
    installTcf({ mode: 'not-applicable' });
    const w = watched(euidOptions());
    expect(await w.sdk.setEmail('tcf.na@example.com')).toMatch(/^E/);
    expect(w.plaintexts()).toEqual([{ email_hash: expect.any(String) }]);
  });

  test('the user decides while the CMP UI is shown: the snippet waits for the choice', async () => {
    installTcf({ mode: 'later', laterMs: 200, ...FULL_EUID_CONSENT });
    expect(await watched(euidOptions()).sdk.setEmail('tcf.later@example.com')).toMatch(/^E/);
  });

  test("a CMP whose TC string lacks what it reports: the operator refuses (insufficient_user_consent), NoConsent", async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT, tcString: encodeTcfString({ purposes: [1, 2], vendors: [21] }) });
    const w = watched(euidOptions());
    expect(await w.sdk.setEmail('tcf.lying@example.com')).toBeUndefined();
    expect(w.cstgCalls()).toBe(1);
    expect(w.events).toContain('NoConsent');
    expect(w.sdk.getAdvertisingToken()).toBeUndefined();
  });

  test('consent withdrawn later: the stored token is no longer used, nor sent in pixels', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    const w = watched(euidOptions());
    expect(await w.sdk.setEmail('tcf.withdrawn@example.com')).toBeTruthy();
    installTcf({ mode: 'final', purposes: [] });
    w.sdk.init({}); // the next page view (or any init) asks again
    expect(await w.sdk.getToken()).toBeUndefined();
    expect(w.sdk.getAdvertisingToken()).toBeUndefined();
    const path = uniquePath('withdrawn-conv');
    await w.sdk.track(sinkUrl() + path);
    expect(new URL((await hitsOn(path))[0]!.url, 'http://x').searchParams.has('uid2_token')).toBe(false);
  });

  test("{tcf: 'ifApplies'}: without a CMP, GDPR is taken as not applying", async () => {
    expect(await watched(euidOptions({ consent: { tcf: 'ifApplies' } })).sdk.setEmail('tcf.ifapplies@example.com')).toMatch(/^E/);
  });
});

describe('a stored token before and after the CMP answers', () => {
  /** A UID2 token stored by an earlier page view that had no CMP. */
  async function storedToken(): Promise<string> {
    const token = await watched(baseOptions()).sdk.setEmail('stored.before@example.com');
    expect(token).toBeTruthy();
    return token!;
  }

  test('until the CMP answered yes, the sync getters show no token; then they do, with IdentityUpdated', async () => {
    const token = await storedToken();
    installGpp({ silent: true }); // no signal within the wait is no opt-out: a yes after 300 ms
    const w = watched(baseOptions({ consent: { wait: 300 } }));
    expect(w.sdk.getAdvertisingToken()).toBeUndefined();
    expect(w.sdk.isIdentityAvailable()).toBe(false);
    expect(w.sdk.getIdentity()).toBeNull();
    expect(w.sdk.isLoginRequired()).toBe(true);
    expect(w.events).toEqual(['SdkLoaded', 'InitCompleted']);
    expect(await w.sdk.getToken()).toBe(token);
    expect(w.sdk.getAdvertisingToken()).toBe(token);
    expect(w.sdk.isIdentityAvailable()).toBe(true);
    expect(w.sdk.isLoginRequired()).toBe(false);
    expect(w.events).toEqual(['SdkLoaded', 'InitCompleted', 'IdentityUpdated']);
  });

  test('a no (GPP US opt-out): the stored token is never shown and is removed from storage', async () => {
    await storedToken();
    installGpp({ optOut: true });
    const w = watched(baseOptions());
    expect(w.sdk.getAdvertisingToken()).toBeUndefined();
    expect(await w.sdk.getToken()).toBeUndefined();
    expect(w.events).toEqual(['SdkLoaded', 'InitCompleted', 'NoConsent']);
    expect(stored()).toBeNull();
    expect(w.warn).toHaveBeenCalledWith(expect.stringContaining('no consent: GPP US opt-out'));
  });

  test('a CMP that never answers (EUID): the token is not used, but kept, as the CMP may answer on the next page', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    const token = await watched(euidOptions()).sdk.setEmail('euid.kept@example.com');
    expect(token).toMatch(/^E/);
    installTcf({ mode: 'silent' });
    const w = watched(euidOptions({ consent: { wait: 300 } }), true);
    expect(w.sdk.getAdvertisingToken()).toBeUndefined();
    expect(await w.sdk.getToken()).toBeUndefined();
    expect(w.warn).toHaveBeenCalledWith(expect.stringContaining('TCF CMP did not answer'));
    expect(JSON.parse(localStorage.getItem('EUID-sdk-identity')!).advertising_token).toBe(token);
  });
});

describe('the CMP in an ancestor frame (a creative inside an ad iframe): the IAB locator protocol', () => {
  /** The <script> build running in a child frame that has no CMP of its own; the CMP is in this window. */
  async function snippetInFrame(): Promise<Record<string, any>> {
    const frame = document.createElement('iframe');
    frame.srcdoc = '<!doctype html><title>ad</title>';
    const loaded = new Promise((r) => (frame.onload = r));
    document.body.append(frame);
    await loaded;
    const win = frame.contentWindow as unknown as Record<string, any>;
    const script = win.document.createElement('script');
    script.textContent = inject('snippet').code;
    win.document.head.append(script);
    expect(win.__tcfapi).toBeUndefined();
    return win;
  }
  afterEach(() => document.querySelectorAll('iframe[srcdoc]').forEach((f) => f.remove()));

  test('EUID: TCF consent from the top window reaches the frame; the EUID operator accepts its TC string', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    installLocators();
    const win = await snippetInFrame();
    win.__euid.init(euidOptions());
    expect(await win.__euid.setEmail('locator.yes@example.com')).toMatch(/^E/);
    win.__euid.disconnect();
  });

  test('EUID: a refusal through the locator: no token, NoConsent', async () => {
    installTcf({ mode: 'final', purposes: [1], vendors: [21] });
    installLocators();
    const win = await snippetInFrame();
    const events: string[] = [];
    win.__euid.callbacks.push((e: string) => events.push(e));
    win.__euid.init(euidOptions());
    expect(await win.__euid.setEmail('locator.no@example.com')).toBeUndefined();
    expect(events).toContain('NoConsent');
  });

  test('UID2: a GPP US opt-out from the top window: no token', async () => {
    installGpp({ optOut: true });
    installLocators();
    const win = await snippetInFrame();
    win.__uid2.init(baseOptions());
    expect(await win.__uid2.setEmail('locator.gpp@example.com')).toBeUndefined();
  });

  /**
   * Counts the calls of every `message` listener the frame adds from now on (each is wrapped; its
   * options, such as an AbortSignal, are kept), so a test can tell whether any is still attached.
   */
  function messageListeners(win: Record<string, any>) {
    const wrapped = new Map<unknown, (e: Event) => void>();
    let added = 0;
    let calls = 0;
    const add = win.addEventListener;
    const remove = win.removeEventListener;
    win.addEventListener = function (type: string, fn: (e: Event) => void, options?: unknown) {
      if (type != 'message') return add.call(this, type, fn, options);
      added++;
      const w = (e: Event) => (calls++, fn(e));
      wrapped.set(fn, w);
      return add.call(this, type, w, options);
    };
    win.removeEventListener = function (type: string, fn: (e: Event) => void, options?: unknown) {
      return remove.call(this, type, (type == 'message' && wrapped.get(fn)) || fn, options);
    };
    return {
      added: () => added,
      /** How many of them a message reaching the frame now still calls. */
      stillAttached: () => {
        calls = 0;
        win.dispatchEvent(new win.MessageEvent('message', { data: { __tcfapiReturn: {}, __gppReturn: {} } }));
        return calls;
      },
    };
  }

  test('each check removes its message listener once answered: a second check does not hear the first', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    installGpp({ optOut: false });
    installLocators();
    const win = await snippetInFrame();
    const listeners = messageListeners(win);
    win.__euid.init(euidOptions({ consent: { gpp: true } }));
    expect(await win.__euid.setEmail('locator.listeners@example.com')).toMatch(/^E/);
    expect(listeners.added()).toBeGreaterThanOrEqual(2); // init's check and setEmail's, GPP and TCF each
    expect(listeners.stillAttached()).toBe(0);
    win.__euid.disconnect();
  });

  test('a CMP behind the locator that never answers: the listener goes when the wait is over', async () => {
    installTcf({ mode: 'silent' });
    installLocators();
    const win = await snippetInFrame();
    const listeners = messageListeners(win);
    win.__euid.init(euidOptions({ consent: { wait: 200 } }));
    expect(await win.__euid.setEmail('locator.silent@example.com')).toBeUndefined();
    expect(listeners.added()).toBeGreaterThanOrEqual(1);
    expect(listeners.stillAttached()).toBe(0);
  });

  test('without locator frames the frame finds no CMP (EUID requires one: no token)', async () => {
    installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
    const win = await snippetInFrame();
    win.__euid.init(euidOptions());
    expect(await win.__euid.setEmail('locator.none@example.com')).toBeUndefined();
  });
});
