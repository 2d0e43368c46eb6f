// Sharing permissions end to end: one participant encrypts with its SharingClient, others decrypt with
// theirs; grants by site and by type, grants to participants created later, revocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BidstreamClient, PublisherClient, SharingClient, postEnveloped } from '@uid2-pixels/uid2/clients';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator();
});
afterAll(async () => op.dispose());

const RAW_UID = 'AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop';

async function sharingClient(credentials: { baseUrl: string; apiKey: string; secret: string }): Promise<SharingClient> {
  const client = new SharingClient(credentials);
  await client.refreshKeys();
  return client;
}

async function encryptAs(siteId: number): Promise<string> {
  const sender = await sharingClient(op.credentials(siteId));
  const encrypted = sender.encrypt(RAW_UID);
  expect(encrypted.status).toBe('Success');
  return encrypted.token!;
}

describe('/v2/key/sharing body', () => {
  it('has the real header fields, seconds key times and keyset ids only on own and master keys', async () => {
    const answer = await postEnveloped(op.credentials(101), '/v2/key/sharing', undefined);
    const body = answer.body as Record<string, any>;
    expect(body.caller_site_id).toBe(101);
    expect(body.master_keyset_id).toBe(9_999_999);
    expect(typeof body.default_keyset_id).toBe('number');
    expect(body.token_expiry_seconds).toBe('2592000');
    expect(body.max_sharing_lifetime_seconds).toBe(2_592_010);
    expect(body.identity_scope).toBe('UID2');
    expect(body.allow_clock_skew_seconds).toBe(1800);
    const ids = body.keys.map((k: { id: number }) => k.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    const nowSeconds = Date.now() / 1000;
    for (const key of body.keys) {
      expect(Buffer.from(key.secret, 'base64')).toHaveLength(32);
      expect(key.activates).toBeLessThan(nowSeconds + 1);
      expect(key.created).toBeGreaterThan(nowSeconds - 60);
      expect([9_999_999, body.default_keyset_id]).toContain(key.keyset_id);
    }
    // 101 sees only its own keyset and the master keyset: nobody shares with it
    expect(body.keys).toHaveLength(2);
    expect(body.site_data).toEqual([{ id: 101, domain_names: ['localhost', 'shop.uid2.test'] }]);
  });

  it('never publishes refresh keys; a receiver sees shared keys without keyset_id', async () => {
    const body = (await postEnveloped(op.credentials(104), '/v2/key/sharing', undefined)).body as Record<string, any>;
    // 104 (DATA_PROVIDER) gets: master, its own, 101's (shared by site) and 102's (shared by type)
    expect(body.keys).toHaveLength(4);
    expect(body.keys.filter((k: Record<string, unknown>) => k.keyset_id === undefined)).toHaveLength(2);
    expect(body.site_data.map((s: { id: number }) => s.id)).toEqual([101, 102, 104]);
    expect(body.max_sharing_lifetime_seconds).toBe(2_592_010);
  });

  it('bidstream keys: ID_READER only, no keyset ids, bidstream lifetime', async () => {
    const body = (await postEnveloped(op.credentials(102), '/v2/key/bidstream', undefined)).body as Record<string, any>;
    expect(body.max_bidstream_lifetime_seconds).toBe(3610);
    expect(body.keys.every((k: Record<string, unknown>) => !('keyset_id' in k))).toBe(true);
    expect(body).not.toHaveProperty('caller_site_id');
    await expect(postEnveloped(op.credentials(104), '/v2/key/bidstream', undefined)).rejects.toMatchObject({ httpStatus: 401 });
    await expect(postEnveloped(op.credentials(103), '/v2/key/sharing', undefined)).rejects.toMatchObject({ httpStatus: 401 });
  });
});

describe('tokenized sharing between participants', () => {
  it('a receiver with permission decrypts (Success); one without gets NotAuthorizedForKey', async () => {
    const token = await encryptAs(101); // Acme Shop shares with site 104
    const lumen = await sharingClient(op.credentials(104));
    const decrypted = lumen.decrypt(token);
    expect(decrypted.status).toBe('Success');
    expect(decrypted.uid).toBe(RAW_UID);
    expect(decrypted.siteId).toBe(101);
    const rival = await sharingClient(op.credentials(105));
    expect(rival.decrypt(token).status).toBe('NotAuthorizedForKey');
    expect(rival.decrypt(token).uid).toBeNull();
  });

  it('a grant by type reaches a participant created after the grant', async () => {
    // Bidwell DSP (102) shares with type DATA_PROVIDER in the fixture; add a data provider now.
    const created = await admin(op, 'POST', '/participants', { name: 'Late Data Co', type: 'DATA_PROVIDER', roles: ['SHARER'], domains: ['late.example'] });
    expect(created.status).toBe(201);
    const { credentials } = created.json;
    expect(credentials.apiKey).toMatch(new RegExp(`^UID2-C-L-${credentials.siteId}-.{6}\\..{38}$`));
    const token = await encryptAs(102);
    const late = await sharingClient({ baseUrl: op.url, apiKey: credentials.apiKey, secret: credentials.secret });
    expect(late.decrypt(token).status).toBe('Success');
    expect(late.decrypt(token).uid).toBe(RAW_UID);
    // but not 101's tokens: 101 shares only with site 104
    expect(late.decrypt(await encryptAs(101)).status).toBe('NotAuthorizedForKey');
  });

  it('a grant shows at the receiver’s next key refresh, a revocation too', async () => {
    const token = await encryptAs(101);
    const rival = await sharingClient(op.credentials(105));
    expect(rival.decrypt(token).status).toBe('NotAuthorizedForKey');

    expect((await admin(op, 'POST', '/sharing/101/grant', { sites: [105] })).json.allowedSites).toEqual([102, 104, 105]);
    expect(rival.decrypt(token).status).toBe('NotAuthorizedForKey'); // keys not refreshed yet
    await rival.refreshKeys();
    expect(rival.decrypt(token).status).toBe('Success');

    await admin(op, 'POST', '/sharing/101/revoke', { sites: [105] });
    await rival.refreshKeys();
    expect(rival.decrypt(token).status).toBe('NotAuthorizedForKey');
  });

  it('revoking a type removes every participant of that type at once', async () => {
    const token = await encryptAs(102);
    const lumen = await sharingClient(op.credentials(104));
    expect(lumen.decrypt(token).status).toBe('Success');
    await admin(op, 'POST', '/sharing/102/revoke', { types: ['DATA_PROVIDER'] });
    await lumen.refreshKeys();
    expect(lumen.decrypt(token).status).toBe('NotAuthorizedForKey');
    await admin(op, 'POST', '/sharing/102/grant', { types: ['DATA_PROVIDER'] });
    await lumen.refreshKeys();
    expect(lumen.decrypt(token).status).toBe('Success');
  });

  it('a DSP decrypts publisher tokens in the bid stream only when the publisher shares with DSPs', async () => {
    const generated = await new PublisherClient(op.credentials(103)).generateToken({ email: 'bidder@example.com' });
    if (generated.status !== 'success') throw new Error('expected success');
    const dsp = new BidstreamClient(op.credentials(102));
    await dsp.refreshKeys();
    expect(dsp.decrypt(generated.identity.advertisingToken).status).toBe('Success');
    await admin(op, 'POST', '/sharing/103/revoke', { types: ['DSP'] });
    await dsp.refreshKeys();
    expect(dsp.decrypt(generated.identity.advertisingToken).status).toBe('NotAuthorizedForKey');
    await admin(op, 'POST', '/sharing/103/grant', { types: ['DSP'] });
  });

  it('the audit trail records every grant and revocation', async () => {
    const audit = await admin(op, 'GET', '/audit');
    const sharing = audit.json.filter((e: { event: string }) => e.event.startsWith('Update Sharing'));
    expect(sharing.length).toBeGreaterThanOrEqual(6);
    expect(sharing[0]).toMatchObject({ user: 'admin', succeeded: true, data: { siteId: 103, action: 'grant', types: ['DSP'] } });
  });
});
