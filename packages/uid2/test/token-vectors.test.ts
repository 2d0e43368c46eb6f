// Every token case and sharing-encrypt case of the shared vectors (generated with the official Python
// SDK), plus each deliberate divergence from that SDK asserted by name with the SDK's answer and ours.
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../src/keys/index.ts';
import { decryptToken, encryptRawUid, openAdvertisingToken } from '../src/token/index.ts';
import type { DecryptionResult } from '../src/types.ts';
import { STATUS_FROM_SDK, VERSION_FROM_SDK, vectors, type TokenCase, type VectorExpected } from './vectors.ts';

const rings = new Map(Object.entries(vectors.keysets).map(([name, body]) => [name, KeyRing.fromResponseBody(body)]));
const ring = (name: string) => rings.get(name)!;

/** The SDK's expected answer in our DecryptionResult shape. */
function fromSdk(e: VectorExpected): DecryptionResult {
  return {
    status: STATUS_FROM_SDK[e.status] as DecryptionResult['status'],
    uid: e.uid,
    siteId: e.site_id,
    siteKeySiteId: e.site_key_site_id,
    established: e.established_ms,
    identityType: e.identity_type,
    identityScope: e.identity_scope,
    tokenVersion: e.advertising_token_version === null ? null : VERSION_FROM_SDK[e.advertising_token_version]!,
    isClientSideGenerated: e.is_client_side_generated,
    expires: e.expiry_ms,
  };
}

const decryptCase = (c: TokenCase) => decryptToken(c.token, ring(c.keyset), { now: c.now_ms, client: c.client });

/**
 * Deliberate divergences (vectors README + one of ours), keyed by case id: how our answer differs from
 * the SDK's. Every other exact case must match field for field.
 */
const DIVERGENCES: Record<string, { why: string; ours: (sdk: DecryptionResult) => DecryptionResult }> = {
  // quirk:lenient-base64: the SDK's decoder skips junk characters; we reject the token.
  'v3-asterisk-inserted': { why: 'strict base64', ours: () => invalidPayload },
  'v3-space-inserted': { why: 'strict base64', ours: () => invalidPayload },
  // privacy bits: client-side generated is bit 1 (mask 0x2), not the Python SDK's mask 0x40000000.
  'v4-privacy-bits-2': { why: 'privacy bit 1 = mask 0x2', ours: (sdk) => ({ ...sdk, isClientSideGenerated: true }) },
  'v4-privacy-bits-0x40000000': { why: 'mask 0x40000000 is not the CSTG bit', ours: (sdk) => ({ ...sdk, isClientSideGenerated: false }) },
  'v3-privacy-bits-0x40000000-bidstream': { why: 'mask 0x40000000 is not the CSTG bit', ours: (sdk) => ({ ...sdk, isClientSideGenerated: false }) },
  // Ours: a token that fails a check yields no uid (the SDK returns the uid of a v2 token whose
  // lifetime is too long; our DecryptionResult promises uid only with Success).
  'v2-remaining-lifetime-over-max': { why: 'no uid without Success', ours: (sdk) => ({ ...sdk, uid: null }) },
};

const invalidPayload: DecryptionResult = {
  status: 'InvalidPayload', uid: null, siteId: null, siteKeySiteId: null, established: null,
  identityType: null, identityScope: null, tokenVersion: null, isClientSideGenerated: null, expires: null,
};

describe('decrypt vectors', () => {
  it('covers all 101 cases', () => {
    expect(vectors.cases.length).toBe(101);
  });

  const exact = vectors.cases.filter((c) => c.match === 'exact' && !(c.id in DIVERGENCES));
  it.each(exact.map((c) => [c.id, c] as const))('%s matches the SDK exactly', (_id, c) => {
    expect(decryptCase(c)).toEqual(fromSdk(c.expected));
  });

  const notSuccess = vectors.cases.filter((c) => c.match === 'not-success');
  it.each(notSuccess.map((c) => [c.id, c] as const))('%s is not Success (SDK decrypts garbage here)', (_id, c) => {
    const r = decryptCase(c);
    expect(r.status).not.toBe('Success');
    expect(r.uid).toBeNull();
  });

  it('every case tagged quirk:lenient-base64 or privacy-bits is a named divergence', () => {
    const tagged = vectors.cases.filter((c) => c.tags.includes('quirk:lenient-base64') || c.tags.includes('privacy-bits')).map((c) => c.id);
    expect(tagged.length).toBeGreaterThan(0);
    for (const id of tagged) expect(DIVERGENCES).toHaveProperty(id);
  });
});

describe('deliberate divergences from the Python SDK, by name', () => {
  const byId = new Map(vectors.cases.map((c) => [c.id, c]));
  it.each(Object.entries(DIVERGENCES))('%s', (id, d) => {
    const c = byId.get(id)!;
    const sdk = fromSdk(c.expected);
    const ours = decryptCase(c);
    expect(ours).toEqual(d.ours(sdk));
    expect(ours).not.toEqual(sdk); // it really is a divergence, not a silent match
  });

  it('quirk:lenient-base64: the SDK returned SUCCESS for junk inside a v3 token; we say InvalidPayload', () => {
    for (const id of ['v3-asterisk-inserted', 'v3-space-inserted']) {
      expect(byId.get(id)!.expected.status).toBe('SUCCESS');
      expect(decryptCase(byId.get(id)!).status).toBe('InvalidPayload');
    }
  });

  it('privacy bits: v4-privacy-bits-2 SDK false / ours true; 0x40000000 SDK true / ours false', () => {
    expect(byId.get('v4-privacy-bits-2')!.expected.is_client_side_generated).toBe(false);
    expect(decryptCase(byId.get('v4-privacy-bits-2')!).isClientSideGenerated).toBe(true);
    for (const id of ['v4-privacy-bits-0x40000000', 'v3-privacy-bits-0x40000000-bidstream']) {
      expect(byId.get(id)!.expected.is_client_side_generated).toBe(true);
      expect(decryptCase(byId.get(id)!).isClientSideGenerated).toBe(false);
    }
    // The raw bits behind those answers, read straight from the token.
    const bits = (id: string) => openAdvertisingToken(byId.get(id)!.token, ring('main').lookupKey).privacyBits;
    expect(bits('v4-privacy-bits-2')).toBe(2);
    expect(bits('v4-privacy-bits-0x40000000')).toBe(0x40000000);
  });

  it('never-throw: the SDK raised "invalid payload" on malformed tokens; we return InvalidPayload', () => {
    const raised = vectors.cases.filter((c) => c.expected.outcome === 'raised');
    expect(raised.length).toBe(19);
    for (const c of raised) {
      const r = decryptCase(c);
      expect(r.status, c.id).not.toBe('Success');
      if (c.match === 'exact') expect(r.status, c.id).toBe('InvalidPayload');
    }
  });

  it('header-authenticity: every single-bit flip and single-character change of a v3/v4 header; the SDK reads byte 0 unchecked, we never answer Success for another identity', () => {
    // Byte 0 (scope, type, fixed bits) sits outside both AES-GCM layers. Ours: the fixed bits must be as
    // the operator writes them, and scope/type must equal a 33-byte raw UID's prefix; else InvalidPayload.
    const bases = vectors.cases.filter((c) => c.match === 'exact' && c.expected.status === 'SUCCESS' && !(c.id in DIVERGENCES))
      .map((c) => ({ c, ours: decryptCase(c) }))
      .filter(({ ours }) => ours.status === 'Success' && ours.tokenVersion !== 2);
    expect(bases.length).toBeGreaterThan(30);
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const B64STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let tried = 0;
    let typeOnlyFlips = 0;
    for (const { c, ours } of bases) {
      const url = ours.tokenVersion === 4 && !/[+/=]/.test(c.token);
      const bytes = Buffer.from(c.token, url ? 'base64url' : 'base64');
      const rawLength = Buffer.from(ours.uid!, 'base64').length;
      const mutants: Array<[string, string]> = [];
      for (let bit = 0; bit < 48; bit++) {
        const b = Buffer.from(bytes);
        b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
        mutants.push([`bit ${bit}`, url ? b.toString('base64url') : b.toString('base64')]);
      }
      for (let at = 0; at < 8; at++) {
        for (const ch of url ? B64URL : B64STD) {
          if (ch !== c.token[at]) mutants.push([`char ${at} -> ${ch}`, c.token.slice(0, at) + ch + c.token.slice(at + 1)]);
        }
      }
      for (const [what, token] of mutants) {
        tried++;
        const r = decryptToken(token, ring(c.keyset), { now: c.now_ms, client: c.client });
        if (r.status !== 'Success') continue;
        // Still Success: the same uid, site and scope, always.
        expect({ uid: r.uid, siteId: r.siteId, scope: r.identityScope }, `${c.id} ${what}`).toEqual({ uid: ours.uid, siteId: ours.siteId, scope: ours.identityScope });
        if (r.identityType !== ours.identityType) {
          // Only where the format leaves it open: a 32-byte raw UID has no prefix to check the type against.
          expect(rawLength, `${c.id} ${what} changed the identity type`).toBe(32);
          typeOnlyFlips++;
        }
      }
    }
    expect(tried).toBeGreaterThan(30 * (48 + 8 * 63));
    // The 32-byte raw UID cases (4 of them): only the one type bit, by a bit flip or a character change.
    expect(typeOnlyFlips).toBeLessThan(20);
  });

  it('first-4-chars-only: the SDK reads a master key id from 3 bytes; we check the length first', () => {
    const c = byId.get('first-4-chars-only')!;
    expect(c.expected.status).toBe('NOT_AUTHORIZED_FOR_MASTER_KEY');
    expect(decryptCase(c).status).toBe('InvalidPayload');
  });
});

describe('sharing encrypt vectors', () => {
  it('covers all 23 cases', () => {
    expect(vectors.sharing_encrypt.length).toBe(23);
  });

  const ivsOf = (d: { site_nonce_b64: string; master_nonce_b64: string }) => ({
    site: Buffer.from(d.site_nonce_b64, 'base64'),
    master: Buffer.from(d.master_nonce_b64, 'base64'),
  });

  it.each(vectors.sharing_encrypt.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const opts = { now: c.now_ms, ...(c.keyset_id === null ? {} : { keysetId: c.keyset_id }) };
    const expectedStatus = c.expected_encrypt.status;
    if (expectedStatus === null) {
      // enc-no-caller-site-id: the SDK prints a line and returns None. No site to put in the token:
      // we report EncryptionFailure.
      expect(c.id).toBe('enc-no-caller-site-id');
      expect(encryptRawUid(c.raw_uid, ring(c.keyset), opts)).toEqual({ status: 'EncryptionFailure', token: null });
      return;
    }
    const status = STATUS_FROM_SDK[expectedStatus];
    if (!c.token_details) {
      expect(encryptRawUid(c.raw_uid, ring(c.keyset), opts)).toEqual({ status, token: null });
      return;
    }
    // With the vector's two nonces injected, our token must be byte-identical to the SDK's.
    const exact = encryptRawUid(c.raw_uid, ring(c.keyset), { ...opts, ivs: ivsOf(c.token_details) });
    expect(exact).toEqual({ status: 'Success', token: c.expected_encrypt.token });

    // With random nonces: every field inside the token equals token_details.
    const random = encryptRawUid(c.raw_uid, ring(c.keyset), opts);
    expect(random.status).toBe('Success');
    expect(random.token).not.toBe(c.expected_encrypt.token);
    const o = openAdvertisingToken(random.token!, ring(c.keyset).lookupKey);
    const d = c.token_details;
    const bytes = Buffer.from(random.token!, 'base64url');
    expect(o.status).toBe('Success');
    expect({
      first_byte: bytes[0], version_byte: bytes[1], master_key_id: o.masterKeyId, expiry_ms: o.expires, generated_ms: o.created,
      operator_site_id: o.operatorSiteId, operator_type: o.operatorType, operator_version: o.operatorVersion,
      operator_key_id: o.operatorKeyId, site_key_id: o.siteKeyId, site_id: o.siteId, publisher_id: o.publisherId,
      client_key_id: o.clientKeyId, privacy_bits: o.privacyBits, established_ms: o.established, refreshed_ms: o.refreshed,
      raw_uid_b64: o.uid, identity_scope_bit: (bytes[0]! >> 4) & 1, identity_type_bits: (bytes[0]! >> 2) & 3,
    }).toEqual({
      first_byte: d.first_byte, version_byte: d.version_byte, master_key_id: d.master_key_id, expiry_ms: d.expiry_ms,
      generated_ms: d.generated_ms, operator_site_id: d.operator_site_id, operator_type: d.operator_type,
      operator_version: d.operator_version, operator_key_id: d.operator_key_id, site_key_id: d.site_key_id,
      site_id: d.site_id, publisher_id: d.publisher_id, client_key_id: d.client_key_id, privacy_bits: d.privacy_bits,
      established_ms: d.established_ms, refreshed_ms: d.refreshed_ms, raw_uid_b64: d.raw_uid_b64,
      identity_scope_bit: d.identity_scope_bit, identity_type_bits: d.identity_type_bits,
    });

    // Round trip: the SDK's token and ours decrypt to the vector's expected answers.
    for (const dec of c.decrypt ?? []) {
      const want = fromSdk(dec.expected);
      for (const token of [c.expected_encrypt.token!, random.token!]) {
        expect(decryptToken(token, ring(c.keyset), { now: dec.now_ms, client: dec.client })).toEqual(want);
      }
    }
  });
});
