// POST /v2/token/client-generate with a WebCrypto client, and its error answers in the operator's order.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BidstreamClient, PublisherClient } from '@uid2-pixels/uid2/clients';
import { IdentityTokens } from '@uid2-pixels/uid2/clients/identity-tokens';
import { admin, participant, startTestOperator, type TestOperator } from './helpers.ts';
import { openCstgResponse, sealCstgRequest } from './cstg-client.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator();
});
afterAll(async () => op.dispose());

const emailHash = (email: string) => createHash('sha256').update(email).digest('base64');
const shop = participant(101);

async function post(body: unknown, origin: string | null = 'http://localhost:5173', raw?: string) {
  const headers: Record<string, string> = { 'Content-Type': 'text/plain;charset=UTF-8' };
  if (origin) headers.Origin = origin;
  return fetch(`${op.url}/v2/token/client-generate?client=uid2-sdk-4.0.95`, { method: 'POST', headers, body: raw ?? JSON.stringify(body) });
}

describe('client-side token generation', () => {
  it('issues an identity sealed with the ECDH key, privacy bits 3, for the key pair’s site', async () => {
    const box = await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('cstg@example.com') });
    const res = await post(box.body);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const answer = await openCstgResponse(box.key, await res.text());
    expect(answer.status).toBe('success');
    const identity = IdentityTokens.fromJson(answer.body);
    expect(identity.refreshToken).toHaveLength(388);
    // 101 shares with 104 only, so read the token as 101's own bid-stream keys would: grant 102 (DSP) for this check
    await admin(op, 'POST', '/sharing/101/grant', { types: ['DSP'] });
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const decrypted = dsp.decrypt(identity.advertisingToken, 'localhost');
    expect(decrypted.status).toBe('Success');
    expect(decrypted.siteId).toBe(101);
    expect(decrypted.isClientSideGenerated).toBe(true);
    // the CSTG identity refreshes like any other (the browser sends the refresh token as text)
    const refreshed = await new PublisherClient(op.credentials(101)).refreshToken(identity);
    expect(refreshed.status).toBe('success');
    await admin(op, 'POST', '/sharing/101/revoke', { types: ['DSP'] });
  });

  it('answers optout, sealed, for opted-out users', async () => {
    const box = await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('optout@example.com') });
    const res = await post(box.body);
    expect(res.status).toBe(200);
    expect(await openCstgResponse(box.key, await res.text())).toEqual({ status: 'optout' });
  });

  it('accepts a phone hash and 64-char hex hashes', async () => {
    const phone = await sealCstgRequest(shop.publicKey, shop.subscriptionId, { phone_hash: emailHash('+12345678901') });
    expect((await openCstgResponse(phone.key, await (await post(phone.body)).text())).status).toBe('success');
    const hex = createHash('sha256').update('hex@example.com').digest('hex');
    const hexBox = await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: hex });
    expect((await post(hexBox.body)).status).toBe(200);
  });

  const cases: [string, () => Promise<Response>, number, object][] = [
    ['empty body', () => post(null, 'http://localhost:1', ''), 400, { status: 'client_error', message: 'json payload expected but not found' }],
    ['body not JSON', () => post(null, 'http://localhost:1', '{nope'), 400, { status: 'client_error', message: 'json payload is not valid' }],
    [
      'unknown subscription id',
      async () => post({ ...(await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, subscription_id: 'nope' }),
      400,
      { status: 'client_error', message: 'bad subscription_id' },
    ],
    [
      'disallowed origin',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, 'https://evil.example'),
      403,
      { status: 'invalid_http_origin', message: 'unexpected http origin' },
    ],
    [
      'IP-address origin',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, 'http://127.0.0.1:8000'),
      403,
      { status: 'invalid_http_origin', message: 'unexpected http origin' },
    ],
    [
      'no origin',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, null),
      403,
      { status: 'invalid_http_origin', message: 'unexpected http origin' },
    ],
    [
      'app name not allowed',
      async () => post({ ...(await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, app_name: 'com.example.app' }),
      403,
      { status: 'invalid_app_name', message: 'unexpected app name' },
    ],
    ['missing fields', () => post({ subscription_id: shop.subscriptionId }), 400, { status: 'client_error', message: 'required parameters: payload, iv, public_key' }],
    [
      'bad public key',
      async () => post({ ...(await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, public_key: 'AAAA' }),
      400,
      { status: 'client_error', message: 'bad public key' },
    ],
    [
      'bad iv',
      async () => post({ ...(await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body, iv: 'AAAA' }),
      400,
      { status: 'client_error', message: 'bad iv' },
    ],
    [
      'AAD timestamp differs from the sent one',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') }, { timestamp: 1, aadTimestamp: 2 })).body),
      400,
      { status: 'client_error', message: 'payload decryption failed' },
    ],
    [
      'encrypted for another participant’s key',
      async () => post({ ...(await sealCstgRequest(participant(102).publicKey, shop.subscriptionId, { email_hash: emailHash('a@b.com') })).body }),
      400,
      { status: 'client_error', message: 'payload decryption failed' },
    ],
    [
      'raw email instead of a hash',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email: 'a@b.com' })).body),
      400,
      { status: 'client_error', message: 'please provide exactly one of: email_hash, phone_hash' },
    ],
    [
      'invalid hash',
      async () => post((await sealCstgRequest(shop.publicKey, shop.subscriptionId, { email_hash: 'abc' })).body),
      400,
      { status: 'client_error', message: 'Invalid Identifier' },
    ],
  ];

  it.each(cases)('%s -> the operator’s status and code, CORS headers included', async (_name, send, code, json) => {
    const res = await send();
    expect(res.status).toBe(code);
    expect(await res.json()).toEqual(json);
    if (code !== 403 || _name !== 'no origin') expect(res.headers.get('access-control-allow-origin')).not.toBeNull();
  });

  it('is refused for a disabled key pair (401)', async () => {
    const created = await admin(op, 'POST', '/participants', { name: 'Short Lived', type: 'PUBLISHER', roles: ['GENERATOR'], domains: ['localhost'] });
    const { siteId, subscriptionId, publicKey } = created.json.credentials;
    const box = await sealCstgRequest(publicKey, subscriptionId, { email_hash: emailHash('a@b.com') });
    expect((await post(box.body)).status).toBe(200);
    await admin(op, 'POST', `/participants/${siteId}/keypairs/${subscriptionId}/disable`);
    const res = await post(box.body);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ status: 'unauthorized', message: 'Unauthorized' });
  });

  it('answers a preflight that asks for X-UID2-Client-Version (Prebid’s refresh)', async () => {
    const res = await fetch(`${op.url}/v2/token/refresh`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-uid2-client-version' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-uid2-client-version');
  });
});
