// The data dir: owner-only files, atomic writes, seeding once, surviving restarts with the same keys,
// salts and grants, and clear errors for broken state.
import { readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BidstreamClient, PublisherClient, SharingClient } from '@uid2-pixels/uid2/clients';
import { startOperator } from '../src/index.ts';
import { admin, fixture, participant, tempDataDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const newDir = () => {
  const d = join(tempDataDir(), 'operator');
  dirs.push(join(d, '..'));
  return d;
};
const credentials = (url: string, siteId: number) => ({ baseUrl: url, apiKey: participant(siteId).apiKey, secret: participant(siteId).secret });

describe('data dir', () => {
  it('is created 0700 with 0600 files, and holds no API key or admin key in clear', async () => {
    const dataDir = newDir();
    const op = await startOperator({ dataDir });
    await admin(op, 'POST', '/optouts', { email: 'gone@example.com' });
    await op.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dataDir);
    expect(files.sort()).toEqual(['audit.jsonl', 'salts.txt', 'state.json']);
    for (const f of files) expect(statSync(join(dataDir, f)).mode & 0o777).toBe(0o600);
    const state = readFileSync(join(dataDir, 'state.json'), 'utf8');
    expect(state).not.toContain(fixture.adminKey);
    for (const p of fixture.participants) expect(state).not.toContain(p.apiKey);
    expect(readFileSync(join(dataDir, 'audit.jsonl'), 'utf8')).not.toContain('gone@example.com');
  });

  it('survives a restart: same keys, salts, grants and opt-outs; old identities still refresh and decrypt', async () => {
    const dataDir = newDir();
    const first = await startOperator({ dataDir });
    const generated = await new PublisherClient(credentials(first.url, 103)).generateToken({ email: 'durable@example.com' });
    if (generated.status !== 'success') throw new Error('expected success');
    const sender = new SharingClient(credentials(first.url, 101));
    await sender.refreshKeys();
    const sharingToken = sender.encrypt('AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop').token!;
    await admin(first, 'POST', '/sharing/101/grant', { sites: [105] });
    await admin(first, 'POST', '/optouts', { email: 'gone@example.com' });
    const dsp1 = new BidstreamClient(credentials(first.url, 102));
    await dsp1.refreshKeys();
    const rawUid = dsp1.decrypt(generated.identity.advertisingToken).uid;
    await first.close();

    const second = await startOperator({ dataDir, fixture: { ...fixture, participants: [], sharing: [] } });
    expect(second.adminKey).toBe(fixture.adminKey); // the data dir, not the new fixture, decides
    const refreshed = await new PublisherClient(credentials(second.url, 103)).refreshToken(generated.identity);
    expect(refreshed.status).toBe('success');
    const regenerated = await new PublisherClient(credentials(second.url, 103)).generateToken({ email: 'durable@example.com' });
    if (regenerated.status !== 'success') throw new Error('expected success');
    const dsp2 = new BidstreamClient(credentials(second.url, 102));
    await dsp2.refreshKeys();
    expect(dsp2.decrypt(regenerated.identity.advertisingToken).uid).toBe(rawUid);
    const rival = new SharingClient(credentials(second.url, 105));
    await rival.refreshKeys();
    expect(rival.decrypt(sharingToken).status).toBe('Success');
    expect((await new PublisherClient(credentials(second.url, 103)).generateToken({ email: 'gone@example.com' })).status).toBe('optout');
    await second.close();
  });

  it('leaves no temp files behind', async () => {
    const dataDir = newDir();
    const op = await startOperator({ dataDir });
    for (let i = 0; i < 5; i++) await admin(op, 'POST', '/keys/rotate', {});
    await op.close();
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses broken state with a typed error instead of reseeding over it', async () => {
    const dataDir = newDir();
    await (await startOperator({ dataDir })).close();
    writeFileSync(join(dataDir, 'state.json'), '{"version": 1, "participants": ');
    await expect(startOperator({ dataDir })).rejects.toMatchObject({ code: 'BAD_STATE' });
    writeFileSync(join(dataDir, 'state.json'), '{"version": 7}');
    await expect(startOperator({ dataDir })).rejects.toMatchObject({ code: 'BAD_STATE' });
  });

  it('refuses a broken fixture with a typed error', async () => {
    await expect(startOperator({ dataDir: newDir(), fixture: { ...fixture, participants: [{ ...fixture.participants[0]!, type: 'BANK' }] } as never })).rejects.toMatchObject({
      code: 'BAD_FIXTURE',
    });
    const path = join(newDir(), '..', 'fixture.json');
    writeFileSync(path, 'not json');
    await expect(startOperator({ dataDir: newDir(), fixture: path })).rejects.toMatchObject({ code: 'BAD_FIXTURE' });
  });

  it('uses the salts given for a new data dir (spec §7 test salts give the documented raw UID)', async () => {
    const op = await startOperator({
      dataDir: newDir(),
      salts: { firstLevel: 'fOGY/aRE44peL23i+cE9MkJrzmEeNZZziNZBfq7qqk8=', lines: ['1000000,1745907348982,vgv1BwiNRCW7F3VcNXHlZh+7oHJ4G4gCshbGcVOLnss='] },
    });
    const generated = await new PublisherClient(credentials(op.url, 103)).generateToken({ email: 'test@example.com' });
    if (generated.status !== 'success') throw new Error('expected success');
    const dsp = new BidstreamClient(credentials(op.url, 102));
    await dsp.refreshKeys();
    expect(dsp.decrypt(generated.identity.advertisingToken).uid).toBe('AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop');
    await op.close();
  });
});

describe('data dir safety', () => {
  it('tightens its own dir but refuses a shared one such as /tmp (never chmods it)', async () => {
    const { mkdirSync, chmodSync } = await import('node:fs');
    const dir = newDir();
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const op = await startOperator({ dataDir: dir });
    await op.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const shared = newDir();
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, 'someone-elses-file'), 'x');
    await expect(startOperator({ dataDir: shared })).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });
});
