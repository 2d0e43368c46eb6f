// An EUID operator (identityScope 'EUID', the real operator's identity_scope): CSTG key pairs carry the
// EUID- prefix, tokens and refresh tokens the EUID scope, raw UID2s the EUID prefix byte, and key sync
// says identity_scope EUID, so the uid2 clients report the scope. The same WebCrypto CSTG client as
// client-generate.test.ts.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BidstreamClient, PublisherClient } from '@uid2-pixels/uid2/clients';
import { encodeTcfString, EUID_TCF_PURPOSES, EUID_TCF_VENDOR } from '@uid2-pixels/uid2/tcf';
import { IdentityTokens } from '@uid2-pixels/uid2/clients/identity-tokens';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';
import { openCstgResponse, sealCstgRequest } from './cstg-client.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator({ identityScope: 'EUID' });
  await admin(op, 'POST', '/sharing/101/grant', { types: ['DSP'] }); // so DSP 102 can read 101's tokens
});
afterAll(async () => op.dispose());

const shop = () => op.fixture.participants.find((p) => p.siteId === 101)!;
const emailHash = (email: string) => createHash('sha256').update(email).digest('base64');

async function cstg(email: string, extra: Record<string, string> = {}, status = 200) {
  const box = await sealCstgRequest(shop().publicKey, shop().subscriptionId, { email_hash: emailHash(email), ...extra });
  const res = await fetch(`${op.url}/v2/token/client-generate`, { method: 'POST', headers: { Origin: 'http://localhost:1' }, body: JSON.stringify(box.body) });
  expect(res.status).toBe(status);
  return status === 200 ? openCstgResponse(box.key, await res.text()) : res.json();
}

const CONSENTED = encodeTcfString({ purposes: [...EUID_TCF_PURPOSES], vendors: [EUID_TCF_VENDOR] });

it('publishes CSTG keys as EUID-X-L- (private EUID-Y-L-); new key pairs too', async () => {
  for (const p of op.fixture.participants) {
    expect(p.publicKey).toMatch(/^EUID-X-L-/);
    expect(p.privateKey).toMatch(/^EUID-Y-L-/);
  }
  const created = await admin(op, 'POST', '/participants/101/keypairs');
  expect(created.json.publicKey).toMatch(/^EUID-X-L-/);
  // A participant added through the admin API gets its first pair under the EUID prefix too.
  const added = await admin(op, 'POST', '/participants', { name: 'EUID newcomer', type: 'PUBLISHER', roles: ['GENERATOR'] });
  expect(added.status).toBe(201);
  expect(added.json.credentials.publicKey).toMatch(/^EUID-X-L-/);
  expect(added.json.participant.keypairs).toEqual([expect.objectContaining({ publicKey: added.json.credentials.publicKey })]);
});

it('issues EUID tokens: identity byte 0x13, the key sync scope EUID, raw UID2 with the EUID prefix; refresh keeps the scope', async () => {
  const answer = await cstg('euid.person@example.com');
  expect(answer.status).toBe('success');
  const identity = IdentityTokens.fromJson(answer.body);
  const tokenBytes = Buffer.from(identity.advertisingToken, 'base64url');
  expect(tokenBytes[0]).toBe(0x13); // (EUID << 4) | (email << 2) | 3
  expect(Buffer.from(identity.refreshToken, 'base64')[0]).toBe(0x10); // the refresh wrapper's scope byte

  const dsp = new BidstreamClient(op.credentials(102));
  await dsp.refreshKeys();
  const decrypted = dsp.decrypt(identity.advertisingToken, 'localhost');
  expect(decrypted.status).toBe('Success');
  expect(decrypted.identityScope).toBe('EUID');
  const raw = Buffer.from(decrypted.uid!, 'base64');
  expect(raw).toHaveLength(33);
  expect(raw[0]).toBe(0x10); // v3 raw UID2 prefix: EUID scope, email

  const refreshed = await new PublisherClient(op.credentials(101)).refreshToken(identity);
  expect(refreshed.status).toBe('success');
  const again = dsp.decrypt((refreshed as { identity: IdentityTokens }).identity.advertisingToken, 'localhost');
  expect(again.identityScope).toBe('EUID');
  expect(again.uid).toBe(decrypted.uid);
});

it('a UID2 operator refuses an EUID refresh token (the scope byte does not match)', async () => {
  const uid2 = await startTestOperator();
  try {
    const answer = await cstg('both.scopes@example.com');
    const identity = IdentityTokens.fromJson(answer.body);
    const res = await fetch(`${uid2.url}/v2/token/refresh`, { method: 'POST', body: identity.refreshToken });
    expect(res.status).toBe(400);
  } finally {
    await uid2.dispose();
  }
});

it('refuses an identity scope it does not know', async () => {
  await expect(startTestOperator({ identityScope: 'XUID' as never })).rejects.toThrow(/identityScope must be UID2 or EUID/);
});

describe('TCF consent on an EUID operator (tcf_consent_string, as the real operator checks it)', () => {
  const withoutPurpose7 = encodeTcfString({ purposes: EUID_TCF_PURPOSES.filter((p) => p !== 7), vendors: [EUID_TCF_VENDOR] });
  const otherVendor = encodeTcfString({ purposes: [...EUID_TCF_PURPOSES], vendors: [20] });

  it('CSTG: consent for every EUID purpose and vendor 21 gets a token; less gets insufficient_user_consent; garbage a 400', async () => {
    expect((await cstg('consent.yes@example.com', { tcf_consent_string: CONSENTED })).status).toBe('success');
    expect(await cstg('consent.no@example.com', { tcf_consent_string: withoutPurpose7 })).toEqual({ status: 'insufficient_user_consent' });
    expect(await cstg('consent.no@example.com', { tcf_consent_string: otherVendor })).toEqual({ status: 'insufficient_user_consent' });
    expect(await cstg('consent.bad@example.com', { tcf_consent_string: 'not-a-tc-string!' }, 400)).toEqual({ status: 'client_error', message: 'User consent is invalid' });
  });

  it('/v2/token/generate: the same check', async () => {
    const publisher = new PublisherClient(op.credentials(101));
    expect((await publisher.generateToken({ email: 'gen.yes@example.com', tcfConsentString: CONSENTED })).status).toBe('success');
    expect((await publisher.generateToken({ email: 'gen.no@example.com', tcfConsentString: withoutPurpose7 })).status).toBe('insufficient_user_consent');
  });

  it('a UID2 operator does not look at the string', async () => {
    const uid2 = await startTestOperator();
    try {
      const publisher = new PublisherClient(uid2.credentials(101));
      expect((await publisher.generateToken({ email: 'uid2.any@example.com', tcfConsentString: withoutPurpose7 })).status).toBe('success');
    } finally {
      await uid2.dispose();
    }
  });
});
