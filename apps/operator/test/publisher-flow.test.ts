// Publisher flows against the running operator over HTTP with packages/uid2's clients:
// generate, refresh, opt-out, validate, logout, identity map, opt-out status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BidstreamClient, OptOutStatusClient, PublisherClient, Uid2HttpError, postEnveloped } from '@uid2-pixels/uid2/clients';
import { normalizeAndHashEmail } from '@uid2-pixels/uid2/dii';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator();
});
afterAll(async () => op.dispose());

const publisher = () => new PublisherClient(op.credentials(103));

async function generate(client: PublisherClient, email: string) {
  const result = await client.generateToken({ email });
  if (result.status !== 'success') throw new Error(`expected success, got ${result.status}`);
  return result.identity;
}

describe('/v2/token/generate', () => {
  it('answers an identity with the real field names, order, ms times and lifetimes', async () => {
    const before = Date.now();
    const answer = await postEnveloped(op.credentials(103), '/v2/token/generate', { email: 'reader@example.com' });
    const after = Date.now();
    expect(answer.status).toBe('success');
    const body = answer.body as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['advertising_token', 'refresh_token', 'identity_expires', 'refresh_expires', 'refresh_from', 'refresh_response_key']);
    const created = (body.identity_expires as number) - 3600_000;
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
    expect(body.refresh_expires).toBe(created + 86_400_000);
    expect(body.refresh_from).toBe(created + 900_000);
    expect(body.refresh_token).toHaveLength(388);
    expect(Buffer.from(body.refresh_response_key as string, 'base64')).toHaveLength(32);
    // v4 token, base64url, UID2 email identity byte 0x03 -> "A4", 33-byte v3 raw UID -> 164 bytes
    expect(body.advertising_token).toMatch(/^A4[A-Za-z0-9_-]{217}$/);
  });

  it('issues a token a DSP with permission decrypts to the site, privacy bits and raw UID', async () => {
    const identity = await generate(publisher(), 'reader@example.com');
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const decrypted = dsp.decrypt(identity.advertisingToken);
    expect(decrypted.status).toBe('Success');
    expect(decrypted.siteId).toBe(103);
    expect(decrypted.isClientSideGenerated).toBe(false);
    expect(decrypted.uid).toMatch(/^A[A-Za-z0-9+/]{43}$/); // v3 raw UID: UID2 email prefix, 44 chars
    expect(decrypted.identityType).toBe('Email');
  });

  it('derives the same raw UID for the same DII, whatever its form', async () => {
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const a = await generate(publisher(), 'Same.Person@Example.com');
    const b = await publisher().generateToken({ emailHash: normalizeAndHashEmail('same.person@example.com') });
    const c = await generate(publisher(), 'other.person@example.com');
    if (b.status !== 'success') throw new Error('expected success');
    expect(dsp.decrypt(a.advertisingToken).uid).toBe(dsp.decrypt(b.identity.advertisingToken).uid);
    expect(dsp.decrypt(a.advertisingToken).uid).not.toBe(dsp.decrypt(c.advertisingToken).uid);
  });

  it('answers optout for the always-opted-out test identities, email and phone', async () => {
    expect((await publisher().generateToken({ email: 'optout@example.com' })).status).toBe('optout');
    expect((await publisher().generateToken({ phone: '+00000000000' })).status).toBe('optout');
  });

  it('refuses a caller without GENERATOR (401) and bad DII (400)', async () => {
    const dspAsPublisher = new PublisherClient(op.credentials(102));
    await expect(dspAsPublisher.generateToken({ email: 'x@example.com' })).rejects.toMatchObject({ httpStatus: 401, operatorStatus: 'unauthorized' });
    const noDii = postEnveloped(op.credentials(103), '/v2/token/generate', {});
    await expect(noDii).rejects.toMatchObject({
      httpStatus: 400,
      operatorStatus: 'client_error',
      operatorMessage: 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified',
    });
    const twoDii = postEnveloped(op.credentials(103), '/v2/token/generate', { email: 'a@b.com', phone: '+12345678901' });
    await expect(twoDii).rejects.toMatchObject({ httpStatus: 400 });
    const badEmail = postEnveloped(op.credentials(103), '/v2/token/generate', { email: 'not-an-email' });
    await expect(badEmail).rejects.toMatchObject({ httpStatus: 400, operatorMessage: 'Invalid Identifier' });
    const badHash = postEnveloped(op.credentials(103), '/v2/token/generate', { email_hash: 'abc' });
    await expect(badHash).rejects.toMatchObject({ httpStatus: 400, operatorMessage: 'Invalid Identifier' });
  });

  it('accepts and ignores optout_check and policy', async () => {
    const answer = await postEnveloped(op.credentials(103), '/v2/token/generate', { email: 'x@example.com', optout_check: 0, policy: 1 });
    expect(answer.status).toBe('success');
  });
});

describe('/v2/token/refresh', () => {
  it('refreshes to a new identity that keeps site and raw UID; the response is sealed with the old key', async () => {
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const first = await generate(publisher(), 'refresher@example.com');
    const refreshed = await publisher().refreshToken(first);
    expect(refreshed.status).toBe('success');
    if (refreshed.status !== 'success') return;
    expect(refreshed.identity.refreshToken).toHaveLength(388);
    expect(refreshed.identity.refreshResponseKey).not.toBe(first.refreshResponseKey);
    const a = dsp.decrypt(first.advertisingToken);
    const b = dsp.decrypt(refreshed.identity.advertisingToken);
    expect(b.uid).toBe(a.uid);
    expect(b.siteId).toBe(103);
    expect(b.established).toBe(a.established);
    // and the refreshed identity refreshes again
    expect((await publisher().refreshToken(refreshed.identity)).status).toBe('success');
  });

  it('ends the identity for refresh-optout@example.com and +00000000002, after a successful generate', async () => {
    for (const input of [{ email: 'refresh-optout@example.com' }, { phone: '+00000000002' }] as const) {
      const generated = await publisher().generateToken(input);
      expect(generated.status).toBe('success');
      if (generated.status !== 'success') return;
      expect((await publisher().refreshToken(generated.identity)).status).toBe('optout');
    }
  });

  it('ends the identity of a user opted out through the admin API after the token was issued', async () => {
    const identity = await generate(publisher(), 'leaver@example.com');
    const added = await admin(op, 'POST', '/optouts', { email: 'leaver@example.com' });
    expect(added.status).toBe(201);
    expect((await publisher().refreshToken(identity)).status).toBe('optout');
    expect((await publisher().generateToken({ email: 'leaver@example.com' })).status).toBe('optout');
    // the raw UID it had is reported by /v2/optout/status
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const rawUid = dsp.decrypt(identity.advertisingToken).uid!;
    expect(added.json.advertising_id).toBe(rawUid);
    const status = await new OptOutStatusClient(op.credentials(102)).getOptOutStatus([rawUid, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
    expect(status.get(rawUid)).toBe(added.json.opted_out_since);
    expect(status.get('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
  });

  it('answers unauthenticated callers {"status":"error"} and authenticated ones invalid_token (plain JSON, 400)', async () => {
    const identity = await generate(publisher(), 'tamper@example.com');
    const inner = 'A3' + 'A'.repeat(166);
    const anonymous = await fetch(`${op.url}/v2/token/refresh`, { method: 'POST', body: inner });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toEqual({ status: 'error', message: 'Error refreshing token' });
    const authed = await fetch(`${op.url}/v2/token/refresh`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${op.credentials(103).apiKey}` },
      body: inner,
    });
    expect(authed.status).toBe(400);
    expect(await authed.json()).toEqual({ status: 'invalid_token', message: 'Invalid Token presented' });
    // a wrapped token whose key id does not exist
    const bytes = Buffer.from(identity.refreshToken, 'base64');
    bytes.writeInt32BE(999_999, 1);
    const unknownKey = await fetch(`${op.url}/v2/token/refresh`, { method: 'POST', body: bytes.toString('base64') });
    expect(unknownKey.status).toBe(400);
    expect(await unknownKey.json()).toEqual({ status: 'client_error', message: 'Invalid key: Generator of this token (Key ID: 999999) does not exist.' });
    // a wrapped token with a flipped ciphertext bit
    const flipped = Buffer.from(identity.refreshToken, 'base64');
    flipped[50] = flipped[50]! ^ 1;
    const tampered = await fetch(`${op.url}/v2/token/refresh`, { method: 'POST', body: flipped.toString('base64') });
    expect(await tampered.json()).toEqual({ status: 'client_error', message: 'Invalid data: Check encryption method and encryption key.' });
  });
});

describe('/v2/token/validate', () => {
  it('answers true for the token of this DII, false for another DII, 400 for another site', async () => {
    const identity = await generate(publisher(), 'validate@example.com');
    const validate = (apiSite: number, body: object) => postEnveloped(op.credentials(apiSite), '/v2/token/validate', body);
    expect(await validate(103, { token: identity.advertisingToken, email: 'validate@example.com' })).toEqual({ status: 'success', body: true });
    expect(await validate(103, { token: identity.advertisingToken, email_hash: normalizeAndHashEmail('validate@example.com') })).toEqual({ status: 'success', body: true });
    expect(await validate(103, { token: identity.advertisingToken, email: 'someone.else@example.com' })).toEqual({ status: 'success', body: false });
    await expect(validate(101, { token: identity.advertisingToken, email: 'validate@example.com' })).rejects.toMatchObject({
      httpStatus: 400,
      operatorMessage: 'Unauthorised to validate token',
    });
    await expect(validate(103, { token: 'garbage', email: 'validate@example.com' })).rejects.toMatchObject({ httpStatus: 400, operatorMessage: 'Invalid token' });
  });

  it('lets a browser preflight send Authorization to /v2/token/validate only', async () => {
    const preflight = (path: string) =>
      fetch(`${op.url}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
      });
    expect((await preflight('/v2/token/validate')).headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect((await preflight('/v2/token/generate')).headers.get('access-control-allow-headers')).not.toMatch(/Authorization/);
  });
});

describe('/v2/token/logout, /v2/identity/map (roles granted through the admin API)', () => {
  it('logout needs OPTOUT and records an opt-out', async () => {
    await expect(postEnveloped(op.credentials(103), '/v2/token/logout', { email: 'bye@example.com' })).rejects.toBeInstanceOf(Uid2HttpError);
    expect((await admin(op, 'PATCH', '/participants/103', { roles: ['GENERATOR', 'OPTOUT', 'MAPPER'] })).status).toBe(200);
    expect(await postEnveloped(op.credentials(103), '/v2/token/logout', { email: 'bye@example.com' })).toEqual({ status: 'success', body: { optout: 'OK' } });
    expect((await publisher().generateToken({ email: 'bye@example.com' })).status).toBe('optout');
    await expect(postEnveloped(op.credentials(103), '/v2/token/logout', { email: 'nope' })).rejects.toMatchObject({ httpStatus: 400, operatorStatus: 'invalid_token' });
  });

  it('identity/map maps DII to the raw UID2s tokens carry, and lists opted-out and invalid ones', async () => {
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    const identity = await generate(publisher(), 'mapped@example.com');
    const answer = await postEnveloped(op.credentials(103), '/v2/identity/map', { email: ['mapped@example.com', 'optout@example.com', 'bad'] });
    const body = answer.body as { mapped: { identifier: string; advertising_id: string; bucket_id: string }[]; unmapped: unknown[] };
    expect(body.mapped).toHaveLength(1);
    expect(body.mapped[0]!.advertising_id).toBe(dsp.decrypt(identity.advertisingToken).uid);
    expect(body.mapped[0]!.bucket_id).toMatch(/^b[A-Za-z0-9]{9,}$/);
    expect(body.unmapped).toEqual([
      { identifier: 'optout@example.com', reason: 'optout' },
      { identifier: 'bad', reason: 'invalid identifier' },
    ]);
    // All arrays empty is a 200 with nothing mapped, as on the real operator (identity-map.md §2.1).
    expect((await postEnveloped(op.credentials(103), '/v2/identity/map', { email: [], phone: [] })).body).toEqual({ mapped: [] });
  });

  it('optout/status reports the documented always-opted-out test identities', async () => {
    const listed = (await admin(op, 'GET', '/optouts')).json.optouts.map((o: { advertising_id: string }) => o.advertising_id);
    const status = await new OptOutStatusClient(op.credentials(104)).getOptOutStatus(listed);
    expect(listed.length).toBeGreaterThanOrEqual(2);
    for (const id of listed) expect(status.get(id)).toEqual(expect.any(Number));
    // optout@example.com maps to "optout", so its raw UID is one of them (email: UID2 email prefix "A")
    expect(listed.filter((id: string) => id.startsWith('A')).length).toBeGreaterThanOrEqual(1);
  });

  it('optout/status needs advertising_ids', async () => {
    await expect(postEnveloped(op.credentials(102), '/v2/optout/status', {})).rejects.toMatchObject({
      httpStatus: 400,
      operatorMessage: 'Required Parameter Missing: advertising_ids',
    });
    await expect(postEnveloped(op.credentials(102), '/v2/optout/status', { advertising_ids: new Array(5001).fill('x') })).rejects.toMatchObject({
      httpStatus: 400,
      operatorMessage: 'Request payload is too large',
    });
  });
});
