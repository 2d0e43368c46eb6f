// Key rotation: keys are published before they activate, new tokens use new keys, and tokens sealed
// with old keys keep working until they expire; only then are the old keys dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { PublisherClient, SharingClient, postEnveloped } from '@uid2-pixels/uid2/clients';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

const RAW_UID = 'AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop';
const MINUTE = 60_000;

let op: TestOperator | undefined;
afterEach(async () => {
  await op?.dispose();
  op = undefined;
});

/** master key id (bytes 2..5) and the operator's answer on which keys exist */
const masterKeyIdOf = (token: string): number => Buffer.from(token, 'base64url').readUInt32BE(2);

async function keyIds(operator: TestOperator, siteId: number, now: () => number = Date.now): Promise<Map<number, { activates: number; expires: number }>> {
  const body = (await postEnveloped({ ...operator.credentials(siteId), now }, '/v2/key/sharing', undefined)).body as { keys: { id: number; activates: number; expires: number }[] };
  return new Map(body.keys.map((k) => [k.id, k]));
}

describe('manual rotation with a controlled clock', () => {
  it('publishes keys before activation and keeps old tokens decryptable and refreshable', async () => {
    const clock = { t: Date.now() };
    const now = () => clock.t;
    op = await startTestOperator({ now, rotationIntervalMs: 0, keyActivationLeadMs: 10 * MINUTE, keyLifetimeMs: 60 * MINUTE });
    const publisher = new PublisherClient({ ...op.credentials(103), now });
    const sender = new SharingClient({ ...op.credentials(101), now });
    const receiver = new SharingClient({ ...op.credentials(104), now });
    await Promise.all([sender.refreshKeys(), receiver.refreshKeys()]);

    const before = await publisher.generateToken({ email: 'rotating@example.com' });
    if (before.status !== 'success') throw new Error('expected success');
    const oldSharingToken = sender.encrypt(RAW_UID).token!;
    const keysBefore = await keyIds(op, 104, now);

    const added = op.rotateKeys();
    expect(added.length).toBeGreaterThanOrEqual(7); // master, refresh, five participants
    for (const key of added) expect(key.activates).toBe(clock.t + 10 * MINUTE);
    const published = await keyIds(op, 104, now);
    const fresh = [...published.keys()].filter((id) => !keysBefore.has(id));
    expect(fresh.length).toBe(4); // master, own, 101's and 102's new keys (not refresh)
    for (const id of fresh) expect(published.get(id)!.activates * 1000).toBeGreaterThan(clock.t);

    // not active yet: new tokens still use the old master key
    const stillOld = await publisher.generateToken({ email: 'rotating@example.com' });
    if (stillOld.status !== 'success') throw new Error('expected success');
    expect(masterKeyIdOf(stillOld.identity.advertisingToken)).toBe(masterKeyIdOf(before.identity.advertisingToken));

    clock.t += 11 * MINUTE;
    const after = await publisher.generateToken({ email: 'rotating@example.com' });
    if (after.status !== 'success') throw new Error('expected success');
    expect(masterKeyIdOf(after.identity.advertisingToken)).not.toBe(masterKeyIdOf(before.identity.advertisingToken));

    // the receiver refreshes its keys: old and new sharing tokens both decrypt
    await Promise.all([sender.refreshKeys(), receiver.refreshKeys()]);
    const newSharingToken = sender.encrypt(RAW_UID).token!;
    expect(receiver.decrypt(oldSharingToken).status).toBe('Success');
    expect(receiver.decrypt(newSharingToken).status).toBe('Success');
    expect(masterKeyIdOf(newSharingToken)).not.toBe(masterKeyIdOf(oldSharingToken));

    // the refresh token sealed with the old refresh key still refreshes
    const refreshed = await publisher.refreshToken(before.identity);
    expect(refreshed.status).toBe('success');
  });

  it('drops a key only after every token it could have sealed has expired', async () => {
    const clock = { t: Date.now() };
    const now = () => clock.t;
    const lifetimes = { identityExpiresAfterSeconds: 60, refreshExpiresAfterSeconds: 120, refreshIdentityAfterSeconds: 30, sharingTokenExpirySeconds: 300, allowClockSkewSeconds: 0 };
    op = await startTestOperator({ now, rotationIntervalMs: 0, keyActivationLeadMs: 0, keyLifetimeMs: 10 * MINUTE, lifetimes });
    const original = [...(await keyIds(op, 101, now)).keys()];

    op.rotateKeys({ activateNow: true });
    clock.t += 10 * MINUTE + 1; // original keys stop sealing; their last sharing tokens live 5 more minutes
    op.rotateKeys({ activateNow: true });
    let ids = await keyIds(op, 101, now);
    for (const id of original) expect(ids.has(id)).toBe(true);

    clock.t += 5 * MINUTE;
    op.rotateKeys({ activateNow: true });
    ids = await keyIds(op, 101, now);
    for (const id of original) expect(ids.has(id)).toBe(false);
    const audit = await admin(op, 'GET', '/audit?limit=1');
    expect(audit.json[0].event).toBe('Rotate Keys');
    expect(audit.json[0].data.removed).toEqual(expect.arrayContaining(original));
  });
});

describe('key lapses', () => {
  it('a clock jump past every key’s expiry gets fresh keys on demand, not a 500', async () => {
    const clock = { t: Date.now() };
    const now = () => clock.t;
    op = await startTestOperator({ now, rotationIntervalMs: 0, keyLifetimeMs: 10 * MINUTE });
    const publisher = new PublisherClient({ ...op.credentials(103), now });
    clock.t += 60 * MINUTE;
    const generated = await publisher.generateToken({ email: 'late@example.com' });
    expect(generated.status).toBe('success');
    const receiver = new SharingClient({ ...op.credentials(102), now });
    await receiver.refreshKeys();
    if (generated.status === 'success') expect(receiver.decrypt(generated.identity.advertisingToken).status).toBe('Success');
  });
});

describe('scheduled rotation', () => {
  it('rotates every keyset on the interval; tokens issued before keep decrypting', async () => {
    op = await startTestOperator({ rotationIntervalMs: 300, keyActivationLeadMs: 100, keyLifetimeMs: 2000 });
    const sender = new SharingClient(op.credentials(101));
    const receiver = new SharingClient(op.credentials(104));
    await sender.refreshKeys();
    const token = sender.encrypt(RAW_UID).token!;
    const initial = (await keyIds(op, 104)).size;

    // at least two rotations of the 4 keysets 104 sees, within a generous bound for a loaded machine
    await expect.poll(async () => (await keyIds(op!, 104)).size, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(initial + 4 * 2);
    await receiver.refreshKeys();
    expect(receiver.decrypt(token).status).toBe('Success');
    await sender.refreshKeys();
    expect(receiver.decrypt(sender.encrypt(RAW_UID).token!).status).toBe('Success');
  });
});
