// The privacy promise, checked on everything the page sent and kept: after generating from an email
// and a phone, refreshing, and firing both kinds of pixel (programmatic and declarative), no request
// URL, no storage entry or cookie, no event payload and no log line holds the email, the phone, their
// hashes, or the raw UID2s in the tokens; an EUID flow with a CMP adds the consent string, which may
// travel only inside the encrypted CSTG payload.
import { expect, inject, test } from 'vitest';
import { callbacks, getToken, impression, init, scan, setEmail, setPhone, track } from '../src/index.ts';
import { encodeTcfString } from '@uid2-pixels/uid2/tcf';
import { FULL_EUID_CONSENT, installTcf, removeCmps } from './support/cmp.ts';
import { sha256 } from '../src/hash.ts';
import { KEY } from './support/page.ts';
import type { Identity } from '../src/types.ts';
import { baseOptions, check, client, hits, hitsOn, requestedUrls, sinkUrl, sleep, start, stored, uniquePath } from './support/page.ts';

const EMAIL = '  Privacy.Person+News@GMail.com ';
const NORMALIZED_EMAIL = 'privacyperson@gmail.com';
const PHONE = '+14155550123';

const tokens = new Set<string>();
let pixelPaths: string[] = [];
const payloads: string[] = []; // every event payload, as JSON
const logLines: string[] = [];
const EUID_EMAIL = 'Euid.Privacy@Example.com';
let euidCookie = ''; // the cookies while the EUID identity was stored (a later set* clears it)

/** Every spelling a value could take in a URL or in storage. */
function spellings(value: string): string[] {
  const out = new Set([value, encodeURIComponent(value), encodeURIComponent(encodeURIComponent(value))]);
  if (/^[A-Za-z0-9+/]+=*$/.test(value) && value.length >= 40) {
    out.add(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')); // base64url
    out.add(Array.from(atob(value), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')); // hex
  }
  return [...out];
}

async function rawUidOf(token: string, short: boolean): Promise<string> {
  const r = await check<{ status: string; uid: string | null }>('rawUid', { token, short });
  expect(r.status).toBe('Success');
  return r.uid!;
}

async function runFlow(): Promise<void> {
  start({ operatorUrl: inject('shortOperatorUrl'), logger: { warn: (m) => void logLines.push(m) } });
  callbacks.push((e, p) => void payloads.push(JSON.stringify([e, p])));
  // Email: generate, let refresh_from pass, refresh.
  tokens.add((await setEmail(EMAIL))!);
  await sleep(Math.max(0, (stored() as Identity).refresh_from - Date.now() + 50));
  await getToken();
  await expect.poll(() => tokens.has((stored() as Identity).advertising_token)).toBe(false);
  tokens.add((stored() as Identity).advertising_token);

  const conv = uniquePath('conv');
  const imp = uniquePath('imp');
  const decl = uniquePath('decl');
  const declImp = uniquePath('decl-imp');
  await track(sinkUrl() + conv, { order: 'A-1' });
  await impression(`${sinkUrl()}${imp}?t=\${UID2_TOKEN}`, true);
  // Phone: generate, then declarative pixels.
  init({ operatorUrl: inject('operatorUrl') } as never);
  tokens.add((await setPhone(PHONE))!);
  document.body.innerHTML = `<img data-uid2-pixel="${sinkUrl()}${decl}"><img data-uid2-creative="${sinkUrl()}${declImp}?t=%%UID2_TOKEN%%" data-uid2-fill>`;
  scan();
  for (const p of [conv, imp, decl, declImp]) await hitsOn(p);
  pixelPaths = [conv, imp, decl, declImp];
  // EUID with a CMP and the identity in a cookie.
  installTcf({ mode: 'final', ...FULL_EUID_CONSENT });
  const euid = client(true);
  euid.callbacks.push((e, p) => void payloads.push(JSON.stringify([e, p])));
  euid.init(baseOptions({ operatorUrl: inject('euidOperatorUrl'), ...inject('euidAdvertiser'), useCookie: true }));
  expect(await euid.setEmail(EUID_EMAIL)).toBeTruthy();
  euidCookie = document.cookie;
  expect(await euid.setEmail('not an email')).toBeUndefined(); // a failure: its log line is searched too
  removeCmps();
}

test('no request URL and no storage entry holds DII, a DII hash or a raw UID2', async () => {
  await runFlow();

  // The flow really produced three distinct tokens and four pixels carrying them: the search below looks at real data.
  expect(tokens.size).toBe(3);
  const urls = (await hits()).filter((h) => pixelPaths.some((p) => h.url.startsWith(p))).map((h) => h.url);
  expect(urls).toHaveLength(4);
  for (const url of urls) {
    const carried = [...new URL(url, 'http://x').searchParams.values()].filter((v) => tokens.has(v));
    expect(carried, url).toHaveLength(1);
  }
  expect(localStorage.getItem(KEY)).toContain([...tokens][2]);

  expect(euidCookie).toContain('__euid=');
  expect(payloads.some((p) => p.includes('IdentityUpdated'))).toBe(true);
  const emailHash = await sha256(NORMALIZED_EMAIL);
  const euidHash = await sha256(EUID_EMAIL.toLowerCase());
  const phoneHash = await sha256(PHONE);
  const rawUids = await Promise.all([...tokens].map((t, i) => rawUidOf(t, i < 2)));
  expect(new Set(rawUids).size).toBe(2); // the refreshed email token holds the same raw UID2

  const forbidden = [EMAIL, EMAIL.trim(), NORMALIZED_EMAIL, 'privacy.person', PHONE, PHONE.slice(1), emailHash, phoneHash, EUID_EMAIL, euidHash, 'not an email', ...rawUids].flatMap(spellings);

  const places: [string, string][] = [
    ...requestedUrls().map((u) => ['request', u] as [string, string]),
    ...(await hits()).map((h) => ['sink', h.url] as [string, string]),
    ...Object.keys(localStorage).map((k) => ['localStorage', `${k}=${localStorage.getItem(k)}`] as [string, string]),
    ...Object.keys(sessionStorage).map((k) => ['sessionStorage', `${k}=${sessionStorage.getItem(k)}`] as [string, string]),
    ['cookie', document.cookie],
    ['cookie', euidCookie],
    ...payloads.map((p) => ['event payload', p] as [string, string]),
    ...logLines.map((l) => ['log', l] as [string, string]),
  ];
  // The consent string goes to the operator only inside the encrypted payload: no URL, storage or event holds it.
  const tc = encodeTcfString(FULL_EUID_CONSENT);
  expect(places.filter(([, v]) => v.includes(tc))).toEqual([]);
  // The operator calls are among the requests checked.
  expect(places.some(([, v]) => v.includes('/v2/token/client-generate'))).toBe(true);
  expect(places.some(([, v]) => v.includes('/v2/token/refresh'))).toBe(true);

  const leaks = places.flatMap(([where, value]) =>
    forbidden.filter((f) => value.toLowerCase().includes(f.toLowerCase())).map((f) => `${where}: ${value} contains ${f}`),
  );
  expect(leaks).toEqual([]);
});
