// A revoked sender is still named. Against the real operator: Acme shares with the collector and its
// pixels are written; Acme revokes through the operator's admin API (as the portal does); after the
// collector's key refresh its next pixel fails to decrypt (NotAuthorizedForKey) and is counted under
// site 101, with Acme's name and domains, not under "unknown". The pixel's answer is the same as for a
// written one. What was learned survives a restart (an owner-only file in the data dir); a sender that
// never shared with us is reported by its key id.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDecryptionResult, type DecryptionResult, type SharingClient } from '@uid2-pixels/uid2';
import { KeyOwners, type UnattributedKey } from '../src/status/key-owners.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import type { StatusData } from '../src/status/data.ts';
import { pixelUrl, see } from './helpers/http.ts';
import { acmeSharesWithCollector, ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';

const status = async (c: RunningCollector) => (await (await fetch(`${c.url}/status.json`)).json()) as StatusData;

async function refreshKeys(c: RunningCollector): Promise<void> {
  const r = await fetch(`${c.url}/admin/keys/refresh`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(r.status).toBe(200);
}

async function startReady(op: TestOperator, dataDir: string): Promise<RunningCollector> {
  const c = await startCollector({ config: collectorConfig(op, dataDir) });
  await untilSharingReady(c);
  expect(c.sharing?.isReady).toBe(true);
  return c;
}

describe('a revoked sender, named by its key id', () => {
  let op: TestOperator;
  let dir: string;
  let collector: RunningCollector;
  let acme: SharingClient;
  let rival: SharingClient;

  beforeAll(async () => {
    op = await startTestOperator();
    dir = tempDir();
    collector = await startReady(op, dir);
    [acme, rival] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.rival)]);
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await op?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares, is written; revokes, and its next pixel is attributed to it, with the same answer', async () => {
    const token = () => encryptFor(acme, makeRawUid());
    const written = await see(pixelUrl(collector.url, 'conversion', { uid2_token: token() }));
    expect(written.status).toBe(200);
    let d = await status(collector);
    expect(d.decryptBySender['101']).toEqual({ Success: 1 });

    await acmeSharesWithCollector(op, 'revoke');
    await refreshKeys(collector);
    const refused = await see(pixelUrl(collector.url, 'conversion', { uid2_token: token() }));
    // The pixel caller learns nothing: the same answer, byte for byte.
    expect(refused).toEqual(written);

    d = await status(collector);
    expect(d.decryptBySender['101']).toEqual({ Success: 1, NotAuthorizedForKey: 1 });
    expect(d.outcomesBySender['101']!.not_authorised).toBe(1);
    expect(d.outcomesBySender.unknown).toBeUndefined();
    // Named in full though none of its keys is in the ring any more.
    expect(d.senders['101']).toEqual({ name: 'Acme Shop', domains: ['localhost', 'shop.uid2.test'] });
    expect(collector.sharing!.keyRing!.siteIds).not.toContain(SITES.acme);
    expect(d.unattributedKeys).toEqual({});

    // A sender that never shared with us: no site can be named, only its key id.
    expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(rival, makeRawUid()) }))).status).toBe(200);
    d = await status(collector);
    expect(d.outcomesBySender.unknown).toEqual({ not_authorised: 1 });
    const rivalKey = rival.keyRing!.activeKey(rival.keyRing!.defaultKeysetId!, Date.now())!.id;
    expect(d.unattributedKeys).toEqual({ [String(rivalKey)]: { never_shared: 1 } });
  }, 30_000);

  it('remembers after a restart, in an owner-only file; a grant again writes as before', async () => {
    await collector.close();
    const file = join(dir, 'key-owners.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { owners: Array<[number, number]>; sites: Record<string, string[]> };
    expect(saved.owners.some(([, site]) => site === SITES.acme)).toBe(true);
    // What the file holds is ids and domains only: no key secret, no token, no raw UID2.
    expect(Object.keys(saved).sort()).toEqual(['owners', 'shared', 'sites', 'version']);

    collector = await startReady(op, dir);
    expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }))).status).toBe(200);
    const d = await status(collector);
    expect(d.decryptBySender['101']).toEqual({ NotAuthorizedForKey: 1 });
    expect(d.senders['101']).toEqual({ name: 'Acme Shop', domains: ['localhost', 'shop.uid2.test'] });

    await acmeSharesWithCollector(op, 'grant');
    await refreshKeys(collector);
    expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }))).status).toBe(200);
    expect((await status(collector)).decryptBySender['101']).toEqual({ NotAuthorizedForKey: 1, Success: 1 });
  }, 60_000);
});

describe('KeyOwners, bounded and forgiving', () => {
  const opened = (siteId: number): DecryptionResult => ({ ...emptyDecryptionResult('Success'), siteId });
  const revoked = emptyDecryptionResult('NotAuthorizedForKey');
  const ids = (siteKeyId: number | null) => ({ masterKeyId: 1, siteKeyId });

  it('keeps at most maxKeys owners, dropping the oldest learned', () => {
    const owners = new KeyOwners({ file: null, maxKeys: 3 });
    for (const key of [10, 11, 12, 13]) expect(owners.senderOf(opened(100 + key), ids(key))).toBe(100 + key);
    expect(owners.senderOf(revoked, ids(10))).toBeNull();
    expect(owners.senderOf(revoked, ids(11))).toBe(111);
    expect(owners.senderOf(revoked, ids(13))).toBe(113);
  });

  it('reports a key id it cannot attribute, and nothing for a token whose key id it never read', () => {
    const seen: Array<[number, UnattributedKey]> = [];
    const owners = new KeyOwners({ file: null, onUnattributed: (k, what) => seen.push([k, what]) });
    expect(owners.senderOf(revoked, ids(77))).toBeNull();
    expect(owners.senderOf(emptyDecryptionResult('InvalidPayload'), ids(null))).toBeNull();
    expect(seen).toEqual([[77, 'never_shared']]);
  });

  it('a broken file is ignored (and replaced at the next change), not a reason to fail', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'key-owners.json');
      writeFileSync(file, '{"owners": [[1, 2], ["x", 3]], "shared": [1, "y"], "sites": {"2": ["a.example"], "z": []}}');
      const partial = new KeyOwners({ file });
      await partial.load();
      expect(partial.ownerOf(1)).toBe(2);
      expect(partial.domainsOf(2)).toEqual(['a.example']);
      writeFileSync(file, 'not json');
      const owners = new KeyOwners({ file, saveDelayMs: 1 });
      await owners.load();
      expect(owners.ownerOf(1)).toBeUndefined();
      owners.senderOf(opened(5), ids(9));
      await owners.close();
      expect(JSON.parse(readFileSync(file, 'utf8')).owners).toEqual([[9, 5]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
