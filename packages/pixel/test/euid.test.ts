// The same snippet serves EUID: the scope comes from the server public key's prefix (`EUID-X-…`), the
// `scope` option, or the client (`__euid`, createSdk(true)); EUID has its own storage names and base
// URL. End to end against a real EUID operator: the token carries the EUID scope and the raw UID2 the
// EUID prefix, as the pixel's receiver decrypts it. (Consent is not the subject here: consent.test.ts.)
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import { sha256 } from '../src/hash.ts';
import { baseOptions, check, client, hitsOn, sinkUrl, start, uniquePath } from './support/page.ts';

const EUID_KEY = 'EUID-sdk-identity';
const euidOptions = (over = {}) =>
  baseOptions({ operatorUrl: inject('euidOperatorUrl'), ...inject('euidAdvertiser'), consent: { tcf: false }, ...over });

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

async function expectEuidToken(token: string | undefined, email: string) {
  expect(token).toMatch(/^E[A-Za-z0-9_-]{100,}$/); // identity byte 0x13: EUID, email
  const r = await check<{ status: string; uid: string; scope: string }>('rawUid', { token, euid: true });
  expect(r.status).toBe('Success');
  expect(r.scope).toBe('EUID');
  expect(atob(r.uid).charCodeAt(0)).toBe(0x10); // the raw UID2's EUID prefix
  // The EUID operator says the token holds this person.
  expect(await check('validate', { token, field: 'email_hash', hash: await sha256(email), euid: true })).toBe(true);
}

describe('EUID chosen by the key prefix, the option, or the client', () => {
  test('an `EUID-X-` key makes a UID2 client an EUID one: EUID storage, EUID token', async () => {
    const sdk = client();
    sdk.init(euidOptions());
    const token = await sdk.setEmail('euid.by.key@example.com');
    await expectEuidToken(token, 'euid.by.key@example.com');
    expect(JSON.parse(localStorage.getItem(EUID_KEY)!).advertising_token).toBe(token);
    expect(localStorage.getItem('UID2-sdk-identity')).toBeNull();
    // Pixels carry it like any token.
    const path = uniquePath('euid-conv');
    await sdk.track(sinkUrl() + path);
    expect(new URL((await hitsOn(path))[0]!.url, 'http://x').searchParams.get('uid2_token')).toBe(token);
  });

  test('the EUID client (__euid) with useCookie stores in the `__euid` cookie', async () => {
    const sdk = client(true);
    sdk.init(euidOptions({ useCookie: true }));
    const token = await sdk.setEmail('euid.cookie@example.com');
    await expectEuidToken(token, 'euid.cookie@example.com');
    expect(document.cookie).toContain('__euid=');
    expect(document.cookie).not.toContain('__uid_2=');
  });

  test("scope: 'UID2' wins over the client's default; scope: 'EUID' over a UID2 key", async () => {
    const uid2 = client(true);
    uid2.init(baseOptions({ scope: 'UID2' }));
    expect(await uid2.setEmail('scope.uid2@example.com')).toMatch(/^A/);
    expect(localStorage.getItem('UID2-sdk-identity')).not.toBeNull();
    const euid = client();
    euid.init(euidOptions({ serverPublicKey: inject('advertiser').serverPublicKey.replace('UID2', 'EUID') }));
    euid.init({ scope: 'EUID' });
    expect(euid.getAdvertisingToken()).toBeUndefined(); // UID2 storage is not EUID's
  });

  test('without a baseUrl, an EUID client calls https://prod.euid.eu (a UID2 one https://prod.uidapi.com)', async () => {
    const calls: string[] = [];
    vi.spyOn(window, 'fetch').mockImplementation(async (input) => {
      calls.push(String(input));
      throw new TypeError('no network in this test');
    });
    for (const [euid, name] of [[true, 'euid'], [false, 'uid2']] as const) {
      const sdk = client(euid);
      sdk.init({ ...inject(euid ? 'euidAdvertiser' : 'advertiser'), consent: { tcf: false }, refreshRetryPeriod: 864e5 });
      await sdk.setEmail(`${name}.default@example.com`);
    }
    expect(calls).toEqual(['https://prod.euid.eu/v2/token/client-generate', 'https://prod.uidapi.com/v2/token/client-generate']);
  });
});
