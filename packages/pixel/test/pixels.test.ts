// Tracking pixels (conversion URL + token) and creative pixels (impression URL template with a macro),
// programmatic and declarative, fired at a real HTTP sink; tokens from the real operator.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { UID2_TOKEN_MACROS } from '@uid2-pixels/uid2/pixel-url';
import { fillMacro, impression, scan, setEmail, track } from '../src/index.ts';
import { KEY } from './support/page.ts';
import { hits, hitsOn, sinkUrl, sleep, start, uniquePath } from './support/page.ts';

const query = (url: string) => new URL(url, 'http://x').searchParams;

beforeEach(() => start());
afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

/** A stored identity with a token in the older standard-base64 alphabet (`+`, `/`, `=`). */
function storeToken(token: string) {
  const later = Date.now() + 3600e3;
  const id = { advertising_token: token, refresh_token: 'r', identity_expires: later, refresh_from: later, refresh_expires: later };
  localStorage.setItem(KEY, JSON.stringify(id));
}

describe('track()', () => {
  test('fires an image GET whose URL carries the token, the caller params and the URL own query', async () => {
    const token = await setEmail('buyer@example.com');
    const path = uniquePath('conv');
    expect(await track(`${sinkUrl()}${path}?order=42#thanks`, { value: '9.99 EUR', qty: 2, skip: null })).toBe(true);
    const [hit] = await hitsOn(path);
    expect(hit!.method).toBe('GET');
    const q = query(hit!.url);
    expect(q.get('order')).toBe('42');
    expect(q.get('value')).toBe('9.99 EUR');
    expect(q.get('qty')).toBe('2');
    expect(q.has('skip')).toBe(false);
    expect(q.get('uid2_token')).toBe(token);
  });

  test('the token is URL-encoded (standard base64 tokens carry + / =)', async () => {
    storeToken('AgAA+/xyz==');
    const path = uniquePath('conv');
    await track(sinkUrl() + path);
    const [hit] = await hitsOn(path);
    expect(hit!.url).toContain('uid2_token=AgAA%2B%2Fxyz%3D%3D');
    expect(query(hit!.url).get('uid2_token')).toBe('AgAA+/xyz==');
  });

  test('the parameter name is configurable', async () => {
    start({ param: 'tok' });
    const token = await setEmail('buyer@example.com');
    const path = uniquePath('conv');
    await track(sinkUrl() + path);
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).get('tok')).toBe(token);
    expect(query(hit!.url).has('uid2_token')).toBe(false);
  });

  test('with no token it fires without one by default', async () => {
    const path = uniquePath('conv');
    expect(await track(sinkUrl() + path, { order: 7 })).toBe(true);
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).get('order')).toBe('7');
    expect(query(hit!.url).has('uid2_token')).toBe(false);
  });

  test('with requireToken and no token it does not fire at all', async () => {
    start({ requireToken: true, wait: 50 });
    const path = uniquePath('conv');
    expect(await track(sinkUrl() + path)).toBe(false);
    const control = uniquePath('control');
    await fetch(sinkUrl() + control); // everything sent before this has arrived by now
    await hitsOn(control);
    expect((await hits()).filter((h) => h.url.startsWith(path))).toEqual([]);
  });

  test('a pixel fired while a token is being generated waits for it', async () => {
    start({ wait: 10_000 }); // generous: this is about waiting at all, not the default bound
    const pending = setEmail('buyer@example.com');
    const path = uniquePath('conv');
    const fired = track(sinkUrl() + path);
    const token = await pending;
    expect(await fired).toBe(true);
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).get('uid2_token')).toBe(token);
  });

  test('the wait is bounded: with the operator hanging, it fires without a token after `wait` ms', async () => {
    start({ operatorUrl: `${sinkUrl()}/__hang`, wait: 300 });
    void setEmail('buyer@example.com');
    const path = uniquePath('conv');
    const t0 = performance.now();
    expect(await track(sinkUrl() + path)).toBe(true);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1500);
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).has('uid2_token')).toBe(false);
  });

  test('with beacon: true it goes out through navigator.sendBeacon (POST)', async () => {
    start({ beacon: true });
    const token = await setEmail('buyer@example.com');
    const beacon = vi.spyOn(navigator, 'sendBeacon');
    const path = uniquePath('conv');
    await track(sinkUrl() + path);
    expect(beacon).toHaveBeenCalledOnce();
    const [hit] = await hitsOn(path);
    expect(hit!.method).toBe('POST');
    expect(query(hit!.url).get('uid2_token')).toBe(token);
  });
});

describe('impression()', () => {
  test.each([...UID2_TOKEN_MACROS])('fills %s from the page token when the creative opts in', async (macro) => {
    const token = await setEmail('reader@example.com');
    const path = uniquePath('imp');
    expect(await impression(`${sinkUrl()}${path}?c=12&t=${macro}`, true)).toBe(true);
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).get('t')).toBe(token);
    expect(query(hit!.url).get('c')).toBe('12');
  });

  test('without opting in, an unfilled macro is emptied, never sent literally', async () => {
    await setEmail('reader@example.com');
    const path = uniquePath('imp');
    await impression(`${sinkUrl()}${path}?t=\${UID2_TOKEN}&u=%%UID2_TOKEN%%`);
    const [hit] = await hitsOn(path);
    expect(hit!.url).toBe(`${path}?t=&u=`);
  });

  test('a template the DSP already filled server-side is fired exactly as it is', async () => {
    const path = uniquePath('imp');
    const url = `${sinkUrl()}${path}?t=AgAA%2Bdsp%2Ftoken%3D&c=3`;
    const fetchSpy = vi.spyOn(window, 'fetch');
    await impression(url, true);
    const [hit] = await hitsOn(path);
    expect(sinkUrl() + hit!.url).toBe(url);
    expect(fetchSpy.mock.calls.filter((c) => !String(c[0]).includes('/__hits'))).toEqual([]); // nothing asked
  });

  test('fillMacro fills every macro packages/uid2 knows, URL-encoding the token, and nothing else', () => {
    expect(UID2_TOKEN_MACROS.length).toBeGreaterThan(0);
    const template = UID2_TOKEN_MACROS.map((m, i) => `m${i}=${m}`).join('&');
    const filled = fillMacro(template, 'x+/=');
    expect(filled).toBe(UID2_TOKEN_MACROS.map((_, i) => `m${i}=x%2B%2F%3D`).join('&'));
    expect(fillMacro('a=${UID2_TOKEN}')).toBe('a=');
    expect(fillMacro('a={UID2_TOKEN}&b=%UID2_TOKEN%', 'x')).toBe('a={UID2_TOKEN}&b=%UID2_TOKEN%');
  });
});

describe('declarative pixels: scan()', () => {
  const img = (attrs: Record<string, string>) => {
    const el = document.createElement('img');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    document.body.append(el);
    return el;
  };

  test('<img data-uid2-pixel> gets its src with the token, once', async () => {
    const token = await setEmail('buyer@example.com');
    const path = uniquePath('decl');
    const el = img({ 'data-uid2-pixel': `${sinkUrl()}${path}?order=9` });
    scan();
    const [hit] = await hitsOn(path);
    expect(query(hit!.url).get('uid2_token')).toBe(token);
    expect(query(hit!.url).get('order')).toBe('9');
    expect(el.src).toBe(sinkUrl() + hit!.url);
    expect(el.hasAttribute('data-uid2-pixel')).toBe(false);
    scan();
    await sleep(100);
    expect((await hits()).filter((h) => h.url.startsWith(path))).toHaveLength(1);
  });

  test('<img data-uid2-creative data-uid2-fill> fills the macro; without data-uid2-fill it is emptied', async () => {
    const token = await setEmail('reader@example.com');
    const filled = uniquePath('decl-imp');
    const unfilled = uniquePath('decl-imp');
    img({ 'data-uid2-creative': `${sinkUrl()}${filled}?t=\${UID2_TOKEN}`, 'data-uid2-fill': '' });
    img({ 'data-uid2-creative': `${sinkUrl()}${unfilled}?t=%%UID2_TOKEN%%` });
    scan();
    expect(query((await hitsOn(filled))[0]!.url).get('t')).toBe(token);
    expect((await hitsOn(unfilled))[0]!.url).toBe(`${unfilled}?t=`);
  });

  test('with requireToken and no token, a declarative tracking pixel gets no src', async () => {
    start({ requireToken: true, wait: 50 });
    const el = img({ 'data-uid2-pixel': `${sinkUrl()}${uniquePath('decl')}` });
    scan();
    await sleep(200);
    expect(el.getAttribute('src')).toBeNull();
  });

  test('a malformed URL is skipped without an error reaching the page; the others still fire', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: PromiseRejectionEvent) => rejections.push(e.reason);
    addEventListener('unhandledrejection', onRejection);
    const path = uniquePath('decl');
    img({ 'data-uid2-pixel': 'http://[::1' });
    img({ 'data-uid2-pixel': `${sinkUrl()}${path}` });
    await scan();
    await hitsOn(path);
    await sleep(50);
    removeEventListener('unhandledrejection', onRejection);
    expect(rejections).toEqual([]);
  });

  test('scan(root) only looks inside root', async () => {
    const path = uniquePath('decl');
    const outside = img({ 'data-uid2-pixel': `${sinkUrl()}${path}` });
    const box = document.createElement('div');
    document.body.append(box);
    scan(box);
    await sleep(100);
    expect(outside.hasAttribute('data-uid2-pixel')).toBe(true);
  });
});
