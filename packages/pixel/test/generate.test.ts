// Client-side token generation against the real local operator: the page normalises and hashes, only
// the hash goes out (encrypted), and the token the operator returns holds exactly that hash.
import { afterEach, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import { getToken, hasOptedOut, init, setEmail, setEmailHash, setPhone, setPhoneHash } from '../src/index.ts';
import { check, sinkUrl, start, stored } from './support/page.ts';

const { email, phone } = inject('vectors');
const emailVector = email.find((v) => v.description === 'gmail: dots+plus+case')!;
const phoneVector = phone.find((v) => v.description === '11 digits')!;

/** Records what the snippet encrypts for /v2/token/client-generate (the plaintext never leaves the page). */
function capturePlaintext() {
  const spy = vi.spyOn(crypto.subtle, 'encrypt');
  return () => spy.mock.calls.map((c) => JSON.parse(new TextDecoder().decode(c[2] as Uint8Array)));
}

beforeEach(() => start());
afterEach(() => vi.restoreAllMocks());

test('the test page is served from localhost (the operator checks the CSTG origin)', () => {
  expect(location.hostname).toBe('localhost');
});

describe('setEmail', () => {
  test('normalises and hashes in the page; the token holds the vector hash', async () => {
    const plaintexts = capturePlaintext();
    const token = await setEmail(emailVector.input);

    expect(plaintexts()).toEqual([{ email_hash: emailVector.normalize_and_hash }]);
    expect(token).toMatch(/^[A-Za-z0-9_-]{100,}$/); // a v4 advertising token, base64url
    expect(await check('validate', { token, field: 'email_hash', hash: emailVector.normalize_and_hash })).toBe(true);
    // The check can say no: the same token does not hold another person's hash.
    expect(await check('validate', { token, field: 'email_hash', hash: email[0]!.normalize_and_hash })).toBe(false);

    expect(await getToken()).toBe(token);
    const id = stored() as Record<string, unknown>;
    expect(id.advertising_token).toBe(token);
    expect(Object.keys(id).sort()).toEqual(
      ['advertising_token', 'identity_expires', 'refresh_expires', 'refresh_from', 'refresh_response_key', 'refresh_token'].sort(),
    );
    const now = Date.now();
    expect(id.refresh_from as number).toBeGreaterThan(now);
    expect(id.identity_expires as number).toBeGreaterThanOrEqual(id.refresh_from as number);
    expect(id.refresh_expires as number).toBeGreaterThanOrEqual(id.identity_expires as number);
  });

  test('every valid email vector is sent as its vector hash', async () => {
    const plaintexts = capturePlaintext();
    const valid = email.filter((v) => v.normalize_and_hash);
    for (const v of valid) await setEmail(v.input);
    expect(plaintexts()).toEqual(valid.map((v) => ({ email_hash: v.normalize_and_hash })));
  });
});

test('setPhone hashes an E.164 number; the token holds the vector hash', async () => {
  const plaintexts = capturePlaintext();
  const token = await setPhone(phoneVector.input);
  expect(plaintexts()).toEqual([{ phone_hash: phoneVector.normalize_and_hash }]);
  expect(await check('validate', { token, field: 'phone_hash', hash: phoneVector.normalize_and_hash })).toBe(true);
  expect(await getToken()).toBe(token);
});

test('setEmailHash and setPhoneHash send the hash as given', async () => {
  const plaintexts = capturePlaintext();
  const fromEmailHash = await setEmailHash(emailVector.normalize_and_hash!);
  const fromPhoneHash = await setPhoneHash(phoneVector.normalize_and_hash!);
  expect(plaintexts()).toEqual([{ email_hash: emailVector.normalize_and_hash }, { phone_hash: phoneVector.normalize_and_hash }]);
  expect(await check('validate', { token: fromEmailHash, field: 'email_hash', hash: emailVector.normalize_and_hash })).toBe(true);
  expect(await check('validate', { token: fromPhoneHash, field: 'phone_hash', hash: phoneVector.normalize_and_hash })).toBe(true);
  expect(await getToken()).toBe(fromPhoneHash); // the latest call wins
});

test('invalid DII or a malformed hash: no request, no identity', async () => {
  await setEmail(emailVector.input);
  expect(await getToken()).toBeTruthy();
  const fetchSpy = vi.spyOn(window, 'fetch');
  const bad = [
    setEmail('hilo@sarugu@rulo.com'),
    setEmail(''),
    setPhone('+1 228 202 6961'),
    setPhone('16989598994'),
    setEmailHash('not a hash'),
    setPhoneHash(emailVector.normalize_and_hash!.slice(1)),
  ];
  expect(await Promise.all(bad)).toEqual(bad.map(() => undefined));
  expect(fetchSpy).not.toHaveBeenCalled();
  // A set* call means a new person: the previous identity is gone even though the new DII was bad.
  expect(await getToken()).toBeUndefined();
  expect(stored()).toBeNull();
});

describe('opt-out', () => {
  test.each([
    ['email', () => setEmail('optout@example.com')],
    ['phone', () => setPhone('+00000000000')],
  ])('an opted-out %s gets no token and the opt-out is remembered', async (_, set) => {
    expect(await set()).toBeUndefined();
    expect(await getToken()).toBeUndefined();
    expect(hasOptedOut()).toBe(true);
    const marker = stored() as { status: string; identity_expires: number; refresh_expires: number };
    expect(marker.status).toBe('optout');
    expect(marker.refresh_expires).toBeGreaterThan(Date.now() + 71 * 3600e3);
  });

  test('a later identity that is not opted out replaces the marker', async () => {
    await setEmail('optout@example.com');
    expect(hasOptedOut()).toBe(true);
    expect(await setEmail('validate@example.com')).toBeTruthy();
    expect(hasOptedOut()).toBe(false);
  });
});

describe('when CSTG cannot succeed, calls resolve to undefined and nothing is stored', () => {
  test('unknown subscription id (operator answers 400)', async () => {
    init({ subscriptionId: 'nope-not-a-subscription' } as never);
    expect(await setEmail(emailVector.input)).toBeUndefined();
    expect(stored()).toBeNull();
  });

  test('a server public key that does not match the subscription (undecryptable payload)', async () => {
    // Site 102's key with site 101's subscription: the operator cannot decrypt, answers 400.
    const other = 'UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhmYC8MZx5SrWbH52YJMNtFrWvhCH71/Vt8Qb+IDXfA7XZpH4SeDxzJqr1YvQ1nx+sXYgQ3vh92e/ioZAFtcsiw==';
    init({ serverPublicKey: other } as never);
    expect(await setEmail(emailVector.input)).toBeUndefined();
    expect(stored()).toBeNull();
  });

  test('a garbage server public key (import fails in the page)', async () => {
    init({ serverPublicKey: 'UID2-X-L-garbage' } as never);
    expect(await setEmail(emailVector.input)).toBeUndefined();
  });

  test('operator unreachable', async () => {
    init({ operatorUrl: 'http://127.0.0.1:9' } as never);
    expect(await setEmail(emailVector.input)).toBeUndefined();
    expect(stored()).toBeNull();
  });

  test('operator answers something that is not ours (the pixel sink answers a GIF)', async () => {
    init({ operatorUrl: sinkUrl() } as never);
    expect(await setEmail(emailVector.input)).toBeUndefined();
  });

  test('before init has credentials', async () => {
    init({ subscriptionId: undefined } as never);
    const fetchSpy = vi.spyOn(window, 'fetch');
    expect(await setEmail(emailVector.input)).toBeUndefined();
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
