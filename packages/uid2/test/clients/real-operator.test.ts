// The clients against the real local operator (apps/operator) over HTTP, with the dev fixture's story:
// 101 Acme Shop shares with 104 Lumen; 102 Bidwell DSP reads the bid stream; 103 Daily Planet publishes
// (and shares with DSPs); 105 Rival Retail is granted nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator, type RunningOperator } from '../../../../apps/operator/src/index.ts';
import { BidstreamClient } from '../../src/clients/bidstream-client.ts';
import { Uid2HttpError } from '../../src/clients/errors.ts';
import { IdentityTokens } from '../../src/clients/identity-tokens.ts';
import { OptOutStatusClient } from '../../src/clients/optout-status.ts';
import { PublisherClient } from '../../src/clients/publisher-client.ts';
import { SharingClient } from '../../src/clients/sharing-client.ts';

let operator: RunningOperator;
let dataDir: string;
/** The operator's clock; tests move it to expire refresh tokens. */
const operatorClock = { offsetMs: 0 };
const started: Array<{ stop(): void }> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'uid2-clients-operator-'));
  operator = await startOperator({ dataDir, port: 0, now: () => Date.now() + operatorClock.offsetMs });
});
afterAll(async () => {
  for (const client of started) client.stop();
  await operator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function credentials(siteId: number): { baseUrl: string; apiKey: string; secret: string } {
  const participant = operator.fixture.participants.find((p) => p.siteId === siteId);
  if (participant === undefined) throw new Error(`fixture has no site ${siteId}`);
  return { baseUrl: operator.url, apiKey: participant.apiKey, secret: participant.secret };
}

async function startedSharing(siteId: number): Promise<SharingClient> {
  const client = new SharingClient(credentials(siteId));
  started.push(client);
  await client.start();
  return client;
}

async function adminOptout(email: string): Promise<{ advertising_id: string; opted_out_since: number }> {
  const response = await fetch(`${operator.url}/admin/optouts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${operator.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  expect(response.ok).toBe(true);
  return (await response.json()) as { advertising_id: string; opted_out_since: number };
}

describe('PublisherClient (site 103) against the operator', () => {
  it('generates an identity whose token the DSP decrypts from the bid stream, and refreshes it', async () => {
    const publisher = new PublisherClient(credentials(103));
    const before = Date.now();
    const generated = await publisher.generateToken({ email: 'reader@dailyplanet.example' });
    expect(generated.status).toBe('success');
    if (generated.status !== 'success') return;
    const identity = generated.identity;
    expect(identity.identityExpires - identity.refreshFrom).toBe((3600 - 900) * 1000);
    expect(identity.refreshFrom).toBeGreaterThanOrEqual(before + 900_000);
    expect(identity.refreshToken).toHaveLength(388);
    expect(identity.isDueForRefresh(Date.now())).toBe(false);
    expect(identity.isDueForRefresh(identity.refreshFrom)).toBe(true);

    const dsp = new BidstreamClient(credentials(102));
    started.push(dsp);
    await dsp.start();
    const seen = dsp.decrypt(identity.advertisingToken, 'dailyplanet.example');
    expect(seen).toMatchObject({ status: 'Success', siteId: 103, identityType: 'Email', tokenVersion: 4 });

    const refreshed = await publisher.refreshToken(IdentityTokens.fromJson(JSON.stringify(identity)));
    expect(refreshed.status).toBe('success');
    if (refreshed.status !== 'success') return;
    expect(refreshed.identity.refreshResponseKey).not.toBe(identity.refreshResponseKey);
    expect(dsp.decrypt(refreshed.identity.advertisingToken)).toMatchObject({ status: 'Success', uid: seen.uid, established: seen.established });
  });

  it('sends the same user as a hash and gets the same raw UID2', async () => {
    const publisher = new PublisherClient(credentials(103));
    const dsp = new BidstreamClient(credentials(102));
    started.push(dsp);
    await dsp.start();
    const a = await publisher.generateToken({ email: 'Same.User+x@gmail.com' });
    const b = await publisher.generateToken({ email: 'sameuser@gmail.com', sendUnhashed: true });
    if (a.status !== 'success' || b.status !== 'success') throw new Error('expected identities');
    expect(dsp.decrypt(a.identity.advertisingToken).uid).toBe(dsp.decrypt(b.identity.advertisingToken).uid);
  });

  it('answers optout for the opt-out test identities, on generate and on refresh', async () => {
    const publisher = new PublisherClient(credentials(103));
    expect(await publisher.generateToken({ email: 'optout@example.com' })).toEqual({ status: 'optout' });
    expect(await publisher.generateToken({ phone: '+00000000000' })).toEqual({ status: 'optout' });
    const generated = await publisher.generateToken({ email: 'refresh-optout@example.com' });
    if (generated.status !== 'success') throw new Error('refresh-optout generates');
    expect(await publisher.refreshToken(generated.identity)).toEqual({ status: 'optout' });
  });

  it('answers invalid for a forged refresh token and expired once the operator is past refresh_expires', async () => {
    const publisher = new PublisherClient(credentials(103));
    const generated = await publisher.generateToken({ email: 'expiring@dailyplanet.example' });
    if (generated.status !== 'success') throw new Error('expected an identity');
    const wire = generated.identity.toJson();
    const forged = IdentityTokens.fromJson({ ...wire, refresh_token: 'A' + wire.refresh_token.slice(1, -4) + 'AAAA' });
    expect(await publisher.refreshToken(forged)).toEqual({ status: 'invalid' });

    operatorClock.offsetMs = 2 * 86_400_000;
    try {
      expect(await publisher.refreshToken(generated.identity)).toEqual({ status: 'expired' });
    } finally {
      operatorClock.offsetMs = 0;
    }
  });

  it('reports a wrong API key as HTTP 401 and a wrong secret as HTTP 400 client_error', async () => {
    const good = credentials(103);
    const wrongKey = new PublisherClient({ ...good, apiKey: good.apiKey.slice(0, -3) + 'xyz' });
    const refused = (await wrongKey.generateToken({ email: 'a@b.com' }).catch((e: unknown) => e)) as Uid2HttpError;
    expect(refused).toMatchObject({ httpStatus: 401, operatorStatus: 'unauthorized' });
    expect(refused.message).toBe(
      'POST /v2/token/generate failed: HTTP 401 (unauthorized): the operator did not accept the API key: it is unknown or disabled, or its participant lacks the role /v2/token/generate needs (GENERATOR; grant it in the portal)',
    );
    const wrongSecret = new PublisherClient({ ...good, secret: credentials(101).secret });
    const error = await wrongSecret.generateToken({ email: 'a@b.com' }).catch((e: unknown) => e as Uid2HttpError);
    expect(error).toBeInstanceOf(Uid2HttpError);
    expect(error).toMatchObject({ httpStatus: 400, operatorStatus: 'client_error' });
    expect((error as Error).message).not.toContain(credentials(101).secret);
  });
});

describe('SharingClient against the operator (sharing grants)', () => {
  it('101 encrypts; 104 (granted) decrypts; 105 (not granted) gets NotAuthorizedForKey', async () => {
    const acme = await startedSharing(101);
    const lumen = await startedSharing(104);
    const rival = await startedSharing(105);
    const publisher = new PublisherClient(credentials(103));
    const dsp = new BidstreamClient(credentials(102));
    started.push(dsp);
    await dsp.start();
    const generated = await publisher.generateToken({ email: 'shopper@acme.example' });
    if (generated.status !== 'success') throw new Error('expected an identity');
    const rawUid = dsp.decrypt(generated.identity.advertisingToken).uid!;

    const { status, token } = acme.encrypt(rawUid);
    expect(status).toBe('Success');
    expect(token).not.toContain(rawUid);
    expect(lumen.decrypt(token!)).toMatchObject({ status: 'Success', uid: rawUid, siteId: 101 });
    expect(rival.decrypt(token!)).toMatchObject({ status: 'NotAuthorizedForKey', uid: null });
    // A sharing token is not usable in the bid stream (its lifetime exceeds the bidstream maximum).
    expect(dsp.decrypt(token!)).toMatchObject({ uid: null });
    expect(dsp.decrypt(token!).status).not.toBe('Success');
  });

  it('picks up rotated keys on refresh and keeps decrypting older tokens', async () => {
    const acme = await startedSharing(101);
    const lumen = await startedSharing(104);
    const rawUid = Buffer.alloc(33, 7).toString('base64'); // a v3-shaped raw UID2 (33 bytes)
    const first = acme.encrypt(rawUid);
    expect(first.status).toBe('Success');
    const before = first.token!;
    const sizeBefore = lumen.keyRing!.size;

    operator.rotateKeys({ activateNow: true });
    await Promise.all([acme.refreshKeys(), lumen.refreshKeys()]);
    expect(lumen.keyRing!.size).toBeGreaterThan(sizeBefore);
    const after = acme.encrypt(rawUid).token!;
    expect(lumen.decrypt(after)).toMatchObject({ status: 'Success', uid: rawUid });
    expect(lumen.decrypt(before)).toMatchObject({ status: 'Success', uid: rawUid });
  });

  it('a participant without ID_READER or SHARER cannot sync keys (HTTP 401)', async () => {
    const publisherAsSharer = new SharingClient(credentials(103));
    const refused = await publisherAsSharer.start().then(() => null, (e: unknown) => e as Uid2HttpError);
    expect(refused).toMatchObject({ httpStatus: 401, operatorStatus: 'unauthorized' });
    expect(refused!.message).toContain('lacks the role /v2/key/sharing needs (SHARER or ID_READER');
    publisherAsSharer.stop();
    expect(publisherAsSharer.isReady).toBe(false);
  });
});

describe('OptOutStatusClient against the operator', () => {
  it('maps opted-out raw UID2s to their opt-out time and others to null', async () => {
    const record = await adminOptout('leaver@acme.example');
    const publisher = new PublisherClient(credentials(103));
    const dsp = new BidstreamClient(credentials(102));
    started.push(dsp);
    await dsp.start();
    const stayer = await publisher.generateToken({ email: 'stayer@acme.example' });
    if (stayer.status !== 'success') throw new Error('expected an identity');
    const stayerUid = dsp.decrypt(stayer.identity.advertisingToken).uid!;

    const status = await new OptOutStatusClient(credentials(102)).getOptOutStatus([record.advertising_id, stayerUid]);
    expect([...status]).toEqual([
      [record.advertising_id, record.opted_out_since],
      [stayerUid, null],
    ]);
    expect(await publisher.generateToken({ email: 'leaver@acme.example' })).toEqual({ status: 'optout' });
  });
});
