import { describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { KeyRing } from '../src/keys/index.ts';
import {
  advertisingTokenByteLength,
  decryptToken,
  emptyDecryptionResult,
  encodeAdvertisingToken,
  encryptRawUid,
  openAdvertisingToken,
  decodeTokenString,
  PRIVACY_BITS_CLIENT_GENERATED,
  PRIVACY_BITS_SERVER_GENERATED,
  TokenEncodeError,
  type AdvertisingTokenFields,
} from '../src/token/index.ts';
import { aesCbcEncrypt, aesGcmEncrypt } from '../src/crypto/aes.ts';
import type { Key } from '../src/types.ts';

// A self-made operator world: master keyset 9999999 (as the operator reports it), publisher 123's
// keyset 501, times in seconds on the wire.
const T0 = 1_750_000_000_000; // ms
const secret = () => randomBytes(32).toString('base64');
const wireKeys = [
  { id: 101, keyset_id: 9999999, created: T0 / 1000 - 86400, activates: T0 / 1000 - 86400, expires: T0 / 1000 + 365 * 86400, secret: secret() },
  { id: 104, keyset_id: 501, created: T0 / 1000 - 86400, activates: T0 / 1000 - 86400, expires: T0 / 1000 + 365 * 86400, secret: secret() },
];
const sharingBody = {
  caller_site_id: 123,
  master_keyset_id: 9999999,
  default_keyset_id: 501,
  token_expiry_seconds: '2592000',
  max_sharing_lifetime_seconds: 2592010,
  allow_clock_skew_seconds: 1800,
  identity_scope: 'UID2',
  keys: wireKeys,
};
const bidstreamBody = {
  max_bidstream_lifetime_seconds: 259210,
  allow_clock_skew_seconds: 1800,
  identity_scope: 'UID2',
  keys: wireKeys.map(({ keyset_id: _k, ...k }) => k),
  site_data: [{ id: 123, domain_names: ['planet.example', 'com.planet.app'] }],
};
const sharing = KeyRing.fromResponseBody(sharingBody);
const bidstream = KeyRing.fromResponseBody(bidstreamBody);
const master = sharing.get(101)!;
const site = sharing.get(104)!;

const rawUid33 = Buffer.concat([Buffer.from([0x00]), randomBytes(32)]).toString('base64'); // v3 raw UID, UID2 email
const rawUid32 = randomBytes(32).toString('base64');

function fields(over: Partial<AdvertisingTokenFields> = {}): AdvertisingTokenFields {
  return {
    identityScope: 'UID2', identityType: 'Email', expires: T0 + 3_600_000, created: T0, siteId: 123,
    privacyBits: PRIVACY_BITS_SERVER_GENERATED, established: T0 - 5000, refreshed: T0, rawUid: rawUid33, ...over,
  };
}

describe('encodeAdvertisingToken', () => {
  it('writes every field and openAdvertisingToken reads them back (v4, operator style)', () => {
    const t = encodeAdvertisingToken(
      fields({ operatorSiteId: 7, operatorType: 2, operatorVersion: 3, operatorKeyId: 4, publisherId: 5, clientKeyId: 6, privacyBits: 3 }),
      master, site,
    );
    expect(t).toMatch(/^A4[A-Za-z0-9_-]+$/);
    expect(t.length).toBe(219);
    const o = openAdvertisingToken(t, sharing.lookupKey);
    expect(o).toMatchObject({
      status: 'Success', version: 4, identityScope: 'UID2', identityType: 'Email', masterKeyId: 101, siteKeyId: 104,
      expires: T0 + 3_600_000, created: T0, operatorSiteId: 7, operatorType: 2, operatorVersion: 3, operatorKeyId: 4,
      siteId: 123, publisherId: 5, clientKeyId: 6, privacyBits: 3, established: T0 - 5000, refreshed: T0, uid: rawUid33,
    });
    expect(Buffer.from(o.rawUid!).toString('base64')).toBe(rawUid33);
  });

  it('defaults operator 0/1/0/0, publisher 0, client key 0 and sizes tokens 163/164 bytes (218/219 chars)', () => {
    const t33 = encodeAdvertisingToken(fields(), master, site);
    const t32 = encodeAdvertisingToken(fields({ rawUid: rawUid32 }), master, site);
    expect(Buffer.from(t33, 'base64url').length).toBe(advertisingTokenByteLength(33));
    expect(advertisingTokenByteLength(33)).toBe(164);
    expect(t32.length).toBe(218);
    expect(openAdvertisingToken(t33, sharing.lookupKey)).toMatchObject({ operatorSiteId: 0, operatorType: 1, operatorVersion: 0, operatorKeyId: 0, publisherId: 0, clientKeyId: 0 });
    expect(openAdvertisingToken(t32, sharing.lookupKey).uid).toBe(rawUid32);
  });

  it('writes the identity byte (scope << 4) | (type << 2) | 3', () => {
    const first = (f: Partial<AdvertisingTokenFields>) => Buffer.from(encodeAdvertisingToken(fields(f), master, site), 'base64url')[0];
    expect(first({ identityScope: 'UID2', identityType: 'Email' })).toBe(0x03);
    expect(first({ identityScope: 'UID2', identityType: 'Phone' })).toBe(0x07);
    expect(first({ identityScope: 'EUID', identityType: 'Email' })).toBe(0x13);
    expect(first({ identityScope: 'EUID', identityType: 'Phone' })).toBe(0x17);
  });

  it('emits v3 as padded standard base64 with version byte 112', () => {
    const t = encodeAdvertisingToken(fields({ identityType: 'Phone' }), master, site, { version: 3 });
    expect(t.startsWith('B3')).toBe(true);
    expect(t).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(t.length % 4).toBe(0);
    expect(openAdvertisingToken(t, sharing.lookupKey)).toMatchObject({ status: 'Success', version: 3, identityType: 'Phone' });
  });

  it('is deterministic with injected IVs and random without', () => {
    const ivs = { site: Buffer.alloc(12, 1), master: Buffer.alloc(12, 2) };
    expect(encodeAdvertisingToken(fields(), master, site, { ivs })).toBe(encodeAdvertisingToken(fields(), master, site, { ivs }));
    expect(encodeAdvertisingToken(fields(), master, site)).not.toBe(encodeAdvertisingToken(fields(), master, site));
  });

  it.each([
    ['not base64', { rawUid: 'not a uid!' }, 'invalid-raw-uid'],
    ['31 bytes', { rawUid: randomBytes(31).toString('base64') }, 'invalid-raw-uid'],
    ['34 bytes', { rawUid: randomBytes(34).toString('base64') }, 'invalid-raw-uid'],
    ['negative expiry', { expires: -1 }, 'invalid-field'],
    ['fractional time', { created: 1.5 }, 'invalid-field'],
    ['privacy bits over 32 bits', { privacyBits: 2 ** 32 }, 'invalid-field'],
  ])('throws TokenEncodeError for %s', (_n, over, code) => {
    expect(() => encodeAdvertisingToken(fields(over as Partial<AdvertisingTokenFields>), master, site)).toThrow(TokenEncodeError);
    try {
      encodeAdvertisingToken(fields(over as Partial<AdvertisingTokenFields>), master, site);
    } catch (e) {
      expect((e as TokenEncodeError).code).toBe(code);
    }
  });
});

describe('decryptToken: clients, lifetimes and the bidstream domain check', () => {
  const operatorToken = (over: Partial<AdvertisingTokenFields> = {}) => encodeAdvertisingToken(fields(over), master, site);

  it('NotInitialized without a ring', () => {
    expect(decryptToken(operatorToken(), null).status).toBe('NotInitialized');
    expect(decryptToken(operatorToken(), undefined).status).toBe('NotInitialized');
  });

  it('a sharing token is not usable in the bid stream: its 30-day lifetime exceeds max_bidstream_lifetime_seconds', () => {
    const shared = encryptRawUid(rawUid33, sharing, { now: T0 });
    expect(shared.status).toBe('Success');
    expect(decryptToken(shared.token!, sharing, { now: T0 + 1000 }).status).toBe('Success');
    const inBidstream = decryptToken(shared.token!, bidstream, { now: T0 + 1000, client: 'bidstream' });
    expect(inBidstream.status).toBe('InvalidTokenLifetime');
    expect(inBidstream.uid).toBeNull();
  });

  it('an operator-issued 1-hour token decrypts in the bid stream', () => {
    const r = decryptToken(operatorToken(), bidstream, { now: T0 + 1000, client: 'bidstream' });
    expect(r).toMatchObject({ status: 'Success', uid: rawUid33, siteId: 123, tokenVersion: 4, isClientSideGenerated: false, expires: T0 + 3_600_000 });
  });

  it('bidstream lifetime boundary: max_bidstream_lifetime_seconds inclusive', () => {
    const max = 259210 * 1000;
    expect(decryptToken(operatorToken({ expires: T0 + max }), bidstream, { now: T0, client: 'bidstream' }).status).toBe('Success');
    expect(decryptToken(operatorToken({ expires: T0 + max + 1 }), bidstream, { now: T0, client: 'bidstream' }).status).toBe('InvalidTokenLifetime');
  });

  it('CSTG token in the bid stream: Success only from one of the site\'s domains or app names', () => {
    const cstg = operatorToken({ privacyBits: PRIVACY_BITS_CLIENT_GENERATED });
    const at = (domainOrAppName?: string) =>
      decryptToken(cstg, bidstream, { now: T0 + 1000, client: 'bidstream', ...(domainOrAppName === undefined ? {} : { domainOrAppName }) });
    expect(at('planet.example')).toMatchObject({ status: 'Success', uid: rawUid33, isClientSideGenerated: true });
    expect(at('PLANET.example').status).toBe('Success');
    expect(at('com.planet.app').status).toBe('Success');
    const wrong = at('rival.example');
    expect(wrong).toMatchObject({ status: 'DomainNameCheckFailed', uid: null, siteId: 123, isClientSideGenerated: true });
    // A page below the site's listed domain is the site's (the SDKs would need the root domain here).
    expect(at('news.planet.example').status).toBe('Success');
    expect(at('planet.example.rival.example').status).toBe('DomainNameCheckFailed');
    expect(at(undefined).status).toBe('DomainNameCheckFailed');
  });

  it('the domain check applies only to CSTG tokens and only to bidstream clients', () => {
    expect(decryptToken(operatorToken(), bidstream, { now: T0 + 1000, client: 'bidstream', domainOrAppName: 'rival.example' }).status).toBe('Success');
    const cstg = operatorToken({ privacyBits: PRIVACY_BITS_CLIENT_GENERATED });
    expect(decryptToken(cstg, sharing, { now: T0 + 1000, client: 'sharing', domainOrAppName: 'rival.example' }).status).toBe('Success');
  });

  it('CSTG token of a site without site_data fails the bidstream domain check', () => {
    const t = operatorToken({ privacyBits: PRIVACY_BITS_CLIENT_GENERATED, siteId: 999 });
    expect(decryptToken(t, bidstream, { now: T0 + 1000, client: 'bidstream', domainOrAppName: 'planet.example' }).status).toBe('DomainNameCheckFailed');
  });

  it('identity scope is reported from the key body, as the SDKs do', () => {
    // An EUID raw UID in an EUID header (self-consistent), sealed with UID2 keys.
    const euidRaw = Buffer.concat([Buffer.from([0x10]), randomBytes(32)]).toString('base64');
    const euidToken = operatorToken({ identityScope: 'EUID', rawUid: euidRaw });
    expect(decryptToken(euidToken, sharing, { now: T0 + 1000 }).identityScope).toBe('UID2');
    expect(openAdvertisingToken(euidToken, sharing.lookupKey).identityScope).toBe('EUID');
  });

  describe('header authenticity (a divergence: the SDK reads byte 0 unchecked)', () => {
    const flipByte0 = (token: string, xor: number) => {
      const b = Buffer.from(token, 'base64url');
      b[0] = (b[0] as number) ^ xor;
      return b.toString('base64url');
    };
    it.each([
      ['low bit 0 cleared', 0x01],
      ['low bit 1 cleared', 0x02],
      ['bit 5 set', 0x20],
      ['bit 6 set', 0x40],
      ['bit 7 set', 0x80],
    ])('a fixed bit of the identity byte changed (%s): InvalidPayload', (_name, xor) => {
      expect(decryptToken(flipByte0(operatorToken(), xor), sharing, { now: T0 + 1000 })).toEqual(emptyDecryptionResult('InvalidPayload'));
    });
    it.each([
      ['type Email -> Phone', 0x04],
      ['scope UID2 -> EUID', 0x10],
    ])('header %s disagreeing with the 33-byte raw UID prefix: InvalidPayload', (_name, xor) => {
      const t = operatorToken({ rawUid: rawUid33 });
      expect(decryptToken(t, sharing, { now: T0 + 1000 }).status).toBe('Success');
      expect(decryptToken(flipByte0(t, xor), sharing, { now: T0 + 1000 })).toEqual(emptyDecryptionResult('InvalidPayload'));
    });
    it('a bad fixed bit is refused before any key lookup (no crypto), with the status it always had, whatever the keys and clock', () => {
      // (Clearing bit 0 makes byte 0 a 2, which the format reads as a v2 token: not a v3/v4 header.)
      const fixedBitFlips = [0x02, 0x20, 0x40, 0x80];
      const rings = {
        full: KeyRing.fromResponseBody(sharingBody),
        masterOnly: KeyRing.fromResponseBody({ ...sharingBody, keys: wireKeys.filter((k) => k.id === 101) }),
        siteOnly: KeyRing.fromResponseBody({ ...sharingBody, keys: wireKeys.filter((k) => k.id === 104) }),
      };
      const good = operatorToken();
      for (const ring of Object.values(rings)) {
        const lookups = vi.spyOn(ring, 'lookupKey');
        for (const xor of fixedBitFlips) {
          for (const now of [T0 + 1000, T0 + 7_200_000 /* expired */]) {
            const ids = { masterKeyId: -1, siteKeyId: -1 };
            expect(decryptToken(flipByte0(good, xor), ring, { now, keyIds: ids })).toEqual(emptyDecryptionResult('InvalidPayload'));
            // The master key id is read from the clear header; nothing inside the layers was opened.
            expect(ids).toEqual({ masterKeyId: 101, siteKeyId: null });
          }
        }
        expect(lookups).not.toHaveBeenCalled();
        decryptToken(good, ring, { now: T0 + 1000 });
        expect(lookups).toHaveBeenCalled(); // the spy sees the lookups a good header makes
      }
    });
    it('a phone raw UID in a phone header decrypts as Phone', () => {
      const phoneRaw = Buffer.concat([Buffer.from([0x04]), randomBytes(32)]).toString('base64');
      const r = decryptToken(operatorToken({ identityType: 'Phone', rawUid: phoneRaw }), sharing, { now: T0 + 1000 });
      expect(r).toMatchObject({ status: 'Success', uid: phoneRaw, identityType: 'Phone' });
    });
    it('a 32-byte (v2) raw UID has no prefix: the header type is its only statement (left open by the format)', () => {
      const t = operatorToken({ rawUid: rawUid32 });
      expect(decryptToken(flipByte0(t, 0x04), sharing, { now: T0 + 1000 })).toMatchObject({ status: 'Success', uid: rawUid32, identityType: 'Phone' });
    });
  });

  it('fills keyIds with the key ids the token names, as far as its layers opened, whatever the status', () => {
    const token = operatorToken();
    const ids = { masterKeyId: -5, siteKeyId: -5 };
    expect(decryptToken(token, sharing, { now: T0 + 1000, keyIds: ids }).status).toBe('Success');
    expect(ids).toEqual({ masterKeyId: 101, siteKeyId: 104 });
    // A ring with the master key but without the sender's key: the site key id is still read.
    const masterOnly = KeyRing.fromResponseBody({ ...sharingBody, keys: wireKeys.filter((k) => k.id === 101) });
    const revoked = decryptToken(token, masterOnly, { now: T0 + 1000, keyIds: ids });
    expect(revoked.status).toBe('NotAuthorizedForKey');
    expect(revoked.siteId).toBeNull();
    expect(ids).toEqual({ masterKeyId: 101, siteKeyId: 104 });
    // Without the master key only the header's id; not a token, or no ring: nothing (stale values cleared).
    expect(decryptToken(token, KeyRing.fromResponseBody({ ...sharingBody, keys: wireKeys.filter((k) => k.id === 104) }), { now: T0 + 1000, keyIds: ids }).status).toBe('NotAuthorizedForMasterKey');
    expect(ids).toEqual({ masterKeyId: 101, siteKeyId: null });
    decryptToken('not a token', sharing, { now: T0, keyIds: ids });
    expect(ids).toEqual({ masterKeyId: null, siteKeyId: null });
    ids.masterKeyId = 1;
    decryptToken(token, null, { keyIds: ids });
    expect(ids).toEqual({ masterKeyId: null, siteKeyId: null });
  });

  it('uses Date.now() when no clock is given', () => {
    const now = Date.now();
    const liveRing = KeyRing.fromResponseBody({
      ...sharingBody,
      keys: wireKeys.map((k) => ({ ...k, activates: Math.floor(now / 1000) - 60, expires: Math.floor(now / 1000) + 3600 })),
    });
    const enc = encryptRawUid(rawUid33, liveRing);
    expect(enc.status).toBe('Success');
    expect(decryptToken(enc.token!, liveRing).status).toBe('Success');
  });

  it('never throws, whatever it is given', () => {
    const junk: unknown[] = [undefined, null, 42, {}, [], Symbol('x'), new Uint8Array(200), 'A', 'A4AA', '\u0000'.repeat(300), 'A4'.repeat(5000)];
    for (const j of junk) {
      const r = decryptToken(j as string, sharing, { now: T0 });
      expect(['InvalidPayload', 'VersionNotSupported', 'NotAuthorizedForMasterKey']).toContain(r.status);
      expect(r.uid).toBeNull();
    }
    expect(decryptToken(operatorToken(), sharing, { now: Number.NaN }).status).not.toBe('Success');
  });
});

describe('decodeTokenString (version detection, operator-api.md §9.1)', () => {
  const v4 = encodeAdvertisingToken(fields(), master, site);
  const v4Bytes = Buffer.from(v4, 'base64url');
  const v3 = encodeAdvertisingToken(fields(), master, site, { version: 3 });
  it('accepts v4 as base64url or standard base64, padded or not; v3 only as padded standard base64', () => {
    for (const text of [v4, v4Bytes.toString('base64'), v4Bytes.toString('base64').replace(/=+$/, '')]) {
      expect(decodeTokenString(text)).toMatchObject({ ok: true, version: 4 });
    }
    expect(decodeTokenString(v3)).toMatchObject({ ok: true, version: 3 });
    expect(decodeTokenString(v3.replace(/=+$/, ''))).toEqual({ ok: false, status: 'InvalidPayload' });
    expect(decodeTokenString(Buffer.from(v3, 'base64').toString('base64url'))).toEqual({ ok: false, status: 'InvalidPayload' });
  });
  it('rejects mixed alphabets, junk and short strings; unknown versions are VersionNotSupported', () => {
    const mixed = `${v4.slice(0, 20)}-${v4.slice(21, 30)}+${v4.slice(31)}`;
    expect(decodeTokenString(mixed)).toEqual({ ok: false, status: 'InvalidPayload' });
    expect(decodeTokenString(`${v4.slice(0, 50)} ${v4.slice(50)}`).ok).toBe(false);
    expect(decodeTokenString('A4A')).toEqual({ ok: false, status: 'InvalidPayload' });
    expect(decodeTokenString('A*AA')).toEqual({ ok: false, status: 'InvalidPayload' });
    expect(decodeTokenString(v4.toLowerCase())).toEqual({ ok: false, status: 'VersionNotSupported' });
  });
});

describe('openAdvertisingToken', () => {
  it('accepts the token bytes as well as the text', () => {
    const t = encodeAdvertisingToken(fields(), master, site);
    expect(openAdvertisingToken(Buffer.from(t, 'base64url'), sharing.lookupKey)).toMatchObject({ status: 'Success', uid: rawUid33 });
    expect(openAdvertisingToken(new Uint8Array([1, 2, 3]), sharing.lookupKey).status).toBe('VersionNotSupported');
    expect(openAdvertisingToken(new Uint8Array(0), sharing.lookupKey).status).toBe('InvalidPayload');
  });

  it('reports how far it got: master fields without the site key', () => {
    const onlyMaster = (id: number): Key | undefined => (id === 101 ? master : undefined);
    const o = openAdvertisingToken(encodeAdvertisingToken(fields(), master, site), onlyMaster);
    expect(o).toMatchObject({ status: 'NotAuthorizedForKey', expires: T0 + 3_600_000, created: T0, siteKeyId: 104, siteId: null, uid: null });
    expect(openAdvertisingToken(encodeAdvertisingToken(fields(), master, site), () => undefined)).toMatchObject({ status: 'NotAuthorizedForMasterKey', masterKeyId: 101, expires: null });
  });

  it('rejects a site payload whose raw UID is not 32/33 bytes even under a valid MAC', () => {
    // Seal both layers by hand around a 20-byte "raw UID": authentic bytes, but not a UID2 token.
    const sealWith = (uidLength: number) => {
      const sitePayload = Buffer.alloc(36 + uidLength, 1);
      const masterPayload = Buffer.concat([Buffer.alloc(33), aesGcmEncrypt(site.secret, sitePayload)]);
      masterPayload.writeBigInt64BE(BigInt(T0 + 3_600_000), 0);
      masterPayload.writeUInt32BE(104, 29);
      return Buffer.concat([Buffer.from([0x03, 128, 0, 0, 0, 101]), aesGcmEncrypt(master.secret, masterPayload)]).toString('base64url');
    };
    expect(openAdvertisingToken(sealWith(33), sharing.lookupKey).status).toBe('Success');
    expect(openAdvertisingToken(sealWith(32), sharing.lookupKey).status).toBe('Success');
    expect(openAdvertisingToken(sealWith(20), sharing.lookupKey).status).toBe('InvalidPayload');
    expect(openAdvertisingToken(sealWith(34), sharing.lookupKey).status).toBe('InvalidPayload');
    expect(decryptToken(sealWith(20), sharing, { now: T0 }).status).toBe('InvalidPayload');
  });

  it('opens a hand-built legacy v2 token (AES-CBC) and bounds its uid length', () => {
    const uidText = Buffer.from(rawUid32);
    const sitePayload = Buffer.alloc(4 + 4 + uidText.length + 4 + 8);
    sitePayload.writeInt32BE(123, 0);
    sitePayload.writeUInt32BE(uidText.length, 4);
    uidText.copy(sitePayload, 8);
    sitePayload.writeUInt32BE(0, 8 + uidText.length);
    sitePayload.writeBigInt64BE(BigInt(T0 - 1000), 12 + uidText.length);
    const masterPlain = Buffer.concat([Buffer.alloc(12), aesCbcEncrypt(site.secret, sitePayload)]);
    masterPlain.writeBigInt64BE(BigInt(T0 + 3_600_000), 0);
    masterPlain.writeUInt32BE(104, 8);
    const head = Buffer.from([2, 0, 0, 0, 101]);
    const token = Buffer.concat([head, aesCbcEncrypt(master.secret, masterPlain)]).toString('base64');
    expect(decryptToken(token, sharing, { now: T0 })).toMatchObject({
      status: 'Success', uid: rawUid32, siteId: 123, established: T0 - 1000, tokenVersion: 2, identityType: null, expires: T0 + 3_600_000,
    });
    // A length field pointing past the payload is InvalidPayload, not an exception.
    sitePayload.writeUInt32BE(60, 4);
    const bent = Buffer.concat([Buffer.alloc(12), aesCbcEncrypt(site.secret, sitePayload)]);
    bent.writeBigInt64BE(BigInt(T0 + 3_600_000), 0);
    bent.writeUInt32BE(104, 8);
    const badToken = Buffer.concat([head, aesCbcEncrypt(master.secret, bent)]).toString('base64');
    expect(decryptToken(badToken, sharing, { now: T0 }).status).toBe('InvalidPayload');
  });
});

describe('encryptRawUid', () => {
  it('NotInitialized without a ring, EncryptionFailure for a junk uid', () => {
    expect(encryptRawUid(rawUid33, null)).toEqual({ status: 'NotInitialized', token: null });
    expect(encryptRawUid(42 as unknown as string, sharing, { now: T0 })).toEqual({ status: 'EncryptionFailure', token: null });
    expect(encryptRawUid(`${rawUid33} `, sharing, { now: T0 })).toEqual({ status: 'EncryptionFailure', token: null });
  });

  it('reads the identity type of a v4 raw UID from its first byte (the Python SDK calls a "J..." phone UID Email)', () => {
    // v4 raw UID meta byte for a UID2 phone in the test environment: (1 << 5) | (1 << 2) = 0x24 -> 'J'.
    const v4Phone = Buffer.concat([Buffer.from([0x24]), randomBytes(32)]).toString('base64');
    expect(v4Phone.startsWith('J')).toBe(true);
    const r = encryptRawUid(v4Phone, sharing, { now: T0 });
    expect(decryptToken(r.token!, sharing, { now: T0 })).toMatchObject({ status: 'Success', identityType: 'Phone', uid: v4Phone });
  });

  it('uses the master keyset and the default or given keyset; no key -> the SDK statuses', () => {
    const o = openAdvertisingToken(encryptRawUid(rawUid33, sharing, { now: T0 }).token!, sharing.lookupKey);
    expect(o).toMatchObject({ masterKeyId: 101, siteKeyId: 104, siteId: 123, privacyBits: 0, created: T0, expires: T0 + 2592000 * 1000 });
    expect(encryptRawUid(rawUid33, sharing, { now: T0, keysetId: 777 }).status).toBe('NotAuthorizedForKey');
    const noMaster = KeyRing.fromResponseBody({ ...sharingBody, master_keyset_id: 1 });
    expect(encryptRawUid(rawUid33, noMaster, { now: T0 }).status).toBe('NotAuthorizedForMasterKey');
    expect(encryptRawUid(rawUid33, sharing, { now: T0 + 400 * 86400 * 1000 }).status).toBe('KeysNotSynced');
  });
});
