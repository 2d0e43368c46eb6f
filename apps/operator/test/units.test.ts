// Unit checks of the pieces the integration tests rely on: key hashing, the ACL, origins, key choice.
import { describe, expect, it } from 'vitest';
import { apiKeyMatches, findClientByApiKey, hashApiKey, makeApiKeyRecord, newApiKey } from '../src/participants/api-keys.ts';
import { allowedSites, keysetAccessFor } from '../src/sharing/acl.ts';
import { isOriginAllowed, registrableDomain } from '../src/cstg/origin.ts';
import { activeKey, pruneKeys } from '../src/keys/keys.ts';
import type { KeyRecord, KeysetRecord, OperatorState, ParticipantRecord } from '../src/state/model.ts';

const participant = (siteId: number, type: ParticipantRecord['type'], roles: ParticipantRecord['roles'] = ['SHARER']): ParticipantRecord => ({
  siteId,
  name: `p${siteId}`,
  type,
  roles,
  domains: [],
  created: 0,
  apiKeys: [],
  keypairs: [],
});
const keyset = (keysetId: number, siteId: number, enabled = true): KeysetRecord => ({ keysetId, siteId, name: '', created: 0, enabled, isDefault: true });

describe('API key hashing (spec §1.4)', () => {
  it('is base64 SHA-512 of salt bytes then key, and matches only the right key', () => {
    const salt = Buffer.alloc(32, 7).toString('base64');
    expect(Buffer.from(hashApiKey('k', salt), 'base64')).toHaveLength(64);
    const record = makeApiKeyRecord('UID2-C-L-101-abcdef.' + 'x'.repeat(38), 's', 0);
    expect(apiKeyMatches('UID2-C-L-101-abcdef.' + 'x'.repeat(38), record.keySalt, record.keyHash)).toBe(true);
    expect(apiKeyMatches('UID2-C-L-101-abcdef.' + 'y'.repeat(38), record.keySalt, record.keyHash)).toBe(false);
    expect(record.keyId).toBe('UID2-C-L-101-abcdef');
  });

  it('finds site-shaped keys only among their site, free-form keys anywhere', () => {
    const key = newApiKey(101);
    expect(key).toMatch(/^UID2-C-L-101-[A-Za-z0-9]{6}\.[A-Za-z0-9]{38}$/);
    const p101 = { ...participant(101, 'DSP'), apiKeys: [makeApiKeyRecord(key, 's', 0)] };
    const p102 = { ...participant(102, 'DSP'), apiKeys: [makeApiKeyRecord('LOCALfreeformkey1234', 's', 0)] };
    expect(findClientByApiKey([p101, p102], key)?.participant.siteId).toBe(101);
    expect(findClientByApiKey([p101, p102], 'LOCALfreeformkey1234')?.participant.siteId).toBe(102);
    // the same key text presented as another site's key is not even tried against site 101
    const moved = { ...p101, siteId: 103 };
    expect(findClientByApiKey([moved], key)).toBeNull();
    p102.apiKeys[0]!.disabled = true;
    expect(findClientByApiKey([p101, p102], 'LOCALfreeformkey1234')).toBeNull();
  });
});

describe('sharing ACL (spec §8.3 with portal grants)', () => {
  const participants = [participant(101, 'ADVERTISER'), participant(102, 'DSP', ['ID_READER']), participant(104, 'DATA_PROVIDER'), participant(106, 'DSP')];
  const sharing = [{ siteId: 101, sites: [104], types: ['DSP' as const] }];

  it('expands types at read time and never includes the sender itself', () => {
    expect([...allowedSites(sharing[0], participants)].sort()).toEqual([102, 104, 106]);
    expect([...allowedSites({ siteId: 102, sites: [], types: ['DSP'] }, participants)]).toEqual([106]);
    expect(allowedSites(undefined, participants).size).toBe(0);
  });

  it('master always, refresh never, own keysets, shared keysets, disabled never', () => {
    const canDsp = keysetAccessFor(participants[1]!, { participants, sharing });
    expect(canDsp(keyset(-1, -1))).toBe(true);
    expect(canDsp(keyset(-2, -2))).toBe(false);
    expect(canDsp(keyset(1001, 101))).toBe(true);
    expect(canDsp(keyset(1001, 101, false))).toBe(false);
    expect(canDsp(keyset(1002, 102))).toBe(true);
    expect(canDsp(keyset(1003, 104))).toBe(false); // 104 grants nothing; ID_READER does not open it
  });
});

describe('CSTG origin check (spec §3.3 step 4)', () => {
  it('compares the registrable domain, treats *.localhost as localhost and rejects IPs', () => {
    expect(registrableDomain('abc.example.com')).toBe('example.com');
    expect(registrableDomain('shop.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomain('app.localhost')).toBe('localhost');
    expect(registrableDomain('127.0.0.1')).toBeNull();
    expect(isOriginAllowed('https://abc.example.com:8080', ['example.com'])).toBe(true);
    expect(isOriginAllowed('http://localhost:5173', ['localhost'])).toBe(true);
    expect(isOriginAllowed('http://a.b.localhost:5173', ['localhost'])).toBe(true);
    expect(isOriginAllowed('http://shop.uid2.test:8101', ['shop.uid2.test'])).toBe(true);
    expect(isOriginAllowed('http://evil-example.com', ['example.com'])).toBe(false);
    expect(isOriginAllowed('http://example.com.evil.net', ['example.com'])).toBe(false);
    expect(isOriginAllowed('http://127.0.0.1:8000', ['127.0.0.1', 'localhost'])).toBe(false);
    expect(isOriginAllowed('http://[::1]:8000', ['localhost'])).toBe(false);
    expect(isOriginAllowed('null', ['localhost'])).toBe(false);
    expect(isOriginAllowed(undefined, ['localhost'])).toBe(false);
  });
});

describe('key choice and pruning', () => {
  const key = (id: number, activates: number, expires: number): KeyRecord => ({ id, keysetId: 5, created: 0, activates, expires, secret: '' });

  it('picks the latest activated unexpired key', () => {
    const keys = [key(1, 0, 100), key(2, 50, 150), key(3, 120, 300)];
    expect(activeKey(keys, 5, 10)?.id).toBe(1);
    expect(activeKey(keys, 5, 60)?.id).toBe(2);
    expect(activeKey(keys, 5, 130)?.id).toBe(3);
    expect(activeKey(keys, 5, 300)).toBeNull();
    expect(activeKey(keys, 6, 60)).toBeNull();
  });

  it('keeps a key for the token lifetime after it stops sealing', () => {
    const state = { keys: [key(1, 0, 100), { ...key(2, 0, 100), keysetId: -2 }] } as OperatorState;
    expect(pruneKeys(state, 150, { sealedToken: 100, refreshToken: 10 }).map((k) => k.id)).toEqual([2]);
    expect(pruneKeys(state, 201, { sealedToken: 100, refreshToken: 10 }).map((k) => k.id)).toEqual([1]);
  });
});
