import { describe, expect, it } from 'vitest';
import { KeyRing, KeysParseError } from '../src/keys/index.ts';
import { Uid2Error } from '../src/errors.ts';
import { vectors } from './vectors.ts';

const main = vectors.keysets.main!;
const clone = <T>(v: T): T => structuredClone(v);

function parseError(body: unknown): KeysParseError {
  try {
    KeyRing.fromResponseBody(body);
  } catch (e) {
    expect(e).toBeInstanceOf(KeysParseError);
    expect(e).toBeInstanceOf(Uid2Error);
    expect((e as KeysParseError).code).toBe('invalid-keys');
    return e as KeysParseError;
  }
  throw new Error('expected KeysParseError');
}

describe('KeyRing.fromResponseBody', () => {
  it('reads every header field of the vectors body and converts key times to ms', () => {
    const ring = KeyRing.fromResponseBody(main);
    expect(ring.callerSiteId).toBe(1001);
    expect(ring.masterKeysetId).toBe(1);
    expect(ring.defaultKeysetId).toBe(10001);
    expect(ring.tokenExpirySeconds).toBe(2592000);
    expect(ring.maxSharingLifetimeSeconds).toBe(2592000);
    expect(ring.maxBidstreamLifetimeSeconds).toBeNull();
    expect(ring.allowClockSkewSeconds).toBe(1800);
    expect(ring.identityScope).toBe('UID2');
    expect(ring.size).toBe(8);
    const k = ring.get(101)!;
    expect(k).toMatchObject({ id: 101, keysetId: 1, siteId: null, created: 1738065600000, activates: 1738152000000, expires: 1742040000000 });
    expect(Buffer.from(k.secret).toString('base64')).toBe('92R5VyIMi3jxA0/heuIiVIJhgZKdBCBXjyZ6YdQJUjI=');
    expect(ring.get(999)).toBeUndefined();
    expect(ring.latestExpiry).toBe(1751976000000);
  });

  it('accepts the whole {status, body} answer and the wire form of token_expiry_seconds (a string)', () => {
    const body = clone(main);
    body.token_expiry_seconds = '2592000';
    const ring = KeyRing.fromResponseBody({ status: 'success', body });
    expect(ring.tokenExpirySeconds).toBe(2592000);
    expect(parseError({ status: 'error', body }).path).toBe('status');
  });

  it('takes null like an absent field for every optional one', () => {
    const nulls = { caller_site_id: null, master_keyset_id: null, default_keyset_id: null, token_expiry_seconds: null, max_sharing_lifetime_seconds: null, max_bidstream_lifetime_seconds: null, allow_clock_skew_seconds: null, identity_scope: null, site_data: null };
    const ring = KeyRing.fromResponseBody({ ...nulls, keys: [{ id: 1, keyset_id: null, site_id: null, created: 0, activates: 0, expires: 1, secret: Buffer.alloc(32).toString('base64') }] });
    const absent = KeyRing.fromResponseBody({ keys: [{ id: 1, created: 0, activates: 0, expires: 1, secret: Buffer.alloc(32).toString('base64') }] });
    expect(ring.toInit()).toEqual(absent.toInit());
    expect(ring.get(1)).toMatchObject({ keysetId: null, siteId: null });
  });

  it('falls back to the SDK defaults when optional fields are absent', () => {
    const ring = KeyRing.fromResponseBody(vectors.keysets.defaults);
    expect(ring.tokenExpirySeconds).toBe(30 * 86400);
    expect(ring.maxSharingLifetimeSeconds).toBeNull();
    expect(ring.allowClockSkewSeconds).toBe(1800);
    expect(ring.identityScope).toBe('UID2');
    expect(KeyRing.fromResponseBody(vectors.keysets.no_caller_site_id).callerSiteId).toBeNull();
    expect(KeyRing.fromResponseBody(vectors.keysets.no_default_keyset_id).defaultKeysetId).toBeNull();
  });

  it('reads a bidstream body: no keyset ids, max_bidstream_lifetime_seconds, site_data', () => {
    const ring = KeyRing.fromResponseBody({
      max_bidstream_lifetime_seconds: 259210,
      identity_scope: 'EUID',
      allow_clock_skew_seconds: 1800,
      keys: [{ id: 5, created: 1, activates: 2, expires: 3000000000, secret: Buffer.alloc(32, 1).toString('base64') }],
      site_data: [{ id: 123, domain_names: ['Example.com', 'com.example.App'] }, { id: 124, domain_names: [] }],
    });
    expect(ring.maxBidstreamLifetimeSeconds).toBe(259210);
    expect(ring.identityScope).toBe('EUID');
    expect(ring.get(5)!.keysetId).toBeNull();
    expect(ring.activeKey(5, 1_000_000)).toBeUndefined();
    expect([...ring.siteNames(123)!]).toEqual(['example.com', 'com.example.app']);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'EXAMPLE.com')).toBe(true);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'com.example.app')).toBe(true);
    // Divergence from the SDKs (exact match only): a host below a listed name belongs to the site.
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'sub.example.com')).toBe(true);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'a.b.EXAMPLE.com')).toBe(true);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'notexample.com')).toBe(false);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'example.com.evil.test')).toBe(false);
    expect(ring.isDomainOrAppNameAllowedForSite(123, 'com')).toBe(false);
    expect(ring.isDomainOrAppNameAllowedForSite(123, undefined)).toBe(false);
    expect(ring.isDomainOrAppNameAllowedForSite(124, 'example.com')).toBe(false);
    expect(ring.isDomainOrAppNameAllowedForSite(999, 'example.com')).toBe(false);
    expect(ring.siteIds).toEqual([123, 124]);
  });

  it.each([
    ['not an object', 42, ''],
    ['keys missing', { caller_site_id: 1 }, 'keys'],
    ['keys not an array', { keys: {} }, 'keys'],
    ['secret not base64', { keys: [{ id: 1, created: 0, activates: 0, expires: 1, secret: 'not base64!' }] }, 'keys[0].secret'],
    ['secret of 16 bytes', { keys: [{ id: 1, created: 0, activates: 0, expires: 1, secret: Buffer.alloc(16).toString('base64') }] }, 'keys[0].secret'],
    ['id a string', { keys: [{ id: '1', created: 0, activates: 0, expires: 1, secret: Buffer.alloc(32).toString('base64') }] }, 'keys[0].id'],
    ['expires missing', { keys: [{ id: 1, created: 0, activates: 0, secret: Buffer.alloc(32).toString('base64') }] }, 'keys[0].expires'],
    ['token_expiry_seconds junk', { token_expiry_seconds: '30 days', keys: [] }, 'token_expiry_seconds'],
    ['identity_scope unknown', { identity_scope: 'XYZ', keys: [] }, 'identity_scope'],
    ['site_data names not strings', { keys: [], site_data: [{ id: 1, domain_names: [1] }] }, 'site_data[0].domain_names[0]'],
    ['site_data names null', { keys: [], site_data: [{ id: 1, domain_names: null }] }, 'site_data[0].domain_names'],
    ['site_data not an array', { keys: [], site_data: {} }, 'site_data'],
    ['a key not an object', { keys: [7] }, 'keys[0]'],
    ['a negative key time', { keys: [{ id: 1, created: -1, activates: 0, expires: 1, secret: Buffer.alloc(32).toString('base64') }] }, 'keys[0].created'],
    ['a fractional keyset id', { keys: [{ id: 1, keyset_id: 1.5, created: 0, activates: 0, expires: 1, secret: Buffer.alloc(32).toString('base64') }] }, 'keys[0].keyset_id'],
    ['caller_site_id beyond a safe integer', { caller_site_id: 2 ** 53, keys: [] }, 'caller_site_id'],
    ['allow_clock_skew_seconds a string', { allow_clock_skew_seconds: '1800', keys: [] }, 'allow_clock_skew_seconds'],
    ['two bad fields: the header field is named first', { identity_scope: 'XYZ', keys: {} }, 'identity_scope'],
  ])('rejects %s, naming the path', (_n, body, path) => {
    const err = parseError(body);
    expect(err.path).toBe(path);
    if (path) expect(err.message).toContain(path);
  });

  it('never puts a secret into an error message', () => {
    const secret = Buffer.alloc(31, 7).toString('base64');
    const err = parseError({ keys: [{ id: 1, created: 0, activates: 0, expires: 1, secret }] });
    expect(err.message).not.toContain(secret);
  });
});

describe('KeyRing lookups', () => {
  const ring = KeyRing.fromResponseBody(main);
  // main: master keyset 1 = keys 101 (active 1738152000..1742040000), 102 (1741694400..1749384000),
  // 103 (1744200000..1751976000); default keyset 10001 = 201, 202 (same windows as 101, 102).
  const s = (t: number) => t * 1000;

  it('activeKey picks the most recently activated key that is active now', () => {
    expect(ring.activeKey(1, s(1738151999))).toBeUndefined();
    expect(ring.activeKey(1, s(1738152000))!.id).toBe(101);
    expect(ring.activeKey(1, s(1741694399))!.id).toBe(101);
    expect(ring.activeKey(1, s(1741694400))!.id).toBe(102);
    expect(ring.activeKey(1, s(1744200000))!.id).toBe(103);
    expect(ring.activeKey(1, s(1749384000))!.id).toBe(103);
    expect(ring.activeKey(1, s(1751976000))).toBeUndefined(); // expires is exclusive
    expect(ring.activeKey(10001, s(1741694400))!.id).toBe(202);
    expect(ring.activeKey(10004, s(1741608000))).toBeUndefined(); // its only key expired
    expect(ring.activeKey(424242, s(1741608000))).toBeUndefined();
  });

  it('isValid until the latest key expiry (exclusive)', () => {
    expect(ring.isValid(s(1751976000) - 1)).toBe(true);
    expect(ring.isValid(s(1751976000))).toBe(false);
    expect(KeyRing.fromResponseBody({ keys: [] }).isValid(0)).toBe(false);
  });

  it('equal activation times: the later-listed key wins', () => {
    const sec = Buffer.alloc(32).toString('base64');
    const r = KeyRing.fromResponseBody({
      keys: [
        { id: 1, keyset_id: 7, created: 0, activates: 10, expires: 100, secret: sec },
        { id: 2, keyset_id: 7, created: 0, activates: 10, expires: 100, secret: sec },
      ],
    });
    expect(r.activeKey(7, 50_000)!.id).toBe(2);
  });
});

describe('KeyRing.toInit', () => {
  /** Everything a ring answers, as plain data, to compare two rings. */
  const observed = (r: KeyRing) => ({
    header: [r.callerSiteId, r.masterKeysetId, r.defaultKeysetId, r.tokenExpirySeconds, r.maxSharingLifetimeSeconds, r.maxBidstreamLifetimeSeconds, r.allowClockSkewSeconds, r.identityScope, r.latestExpiry],
    keys: r.keys.map((k) => ({ ...k, secret: Buffer.from(k.secret).toString('base64') })),
    active: [1, 10001, 7].map((keyset) => r.activeKey(keyset, 1741608000_000)?.id ?? null),
    sites: r.siteIds.map((id) => [id, [...r.siteNames(id)!]]),
    allowed: ['sub.example.com', 'com.example.app', 'other.test'].map((n) => r.isDomainOrAppNameAllowedForSite(123, n)),
  });

  it('builds an identical ring, also after a structured clone (a worker thread)', () => {
    const bodies = [main, { ...clone(main), site_data: [{ id: 123, domain_names: ['Example.com', 'com.example.App'] }] }];
    for (const body of bodies) {
      const ring = KeyRing.fromResponseBody(body);
      expect(observed(new KeyRing(ring.toInit()))).toEqual(observed(ring));
      expect(observed(new KeyRing(structuredClone(ring.toInit())))).toEqual(observed(ring));
    }
  });

  it('hands out copies: changing the init does not change the ring', () => {
    const ring = KeyRing.fromResponseBody(main);
    const before = observed(ring);
    const init = ring.toInit();
    (init.keys[0] as { expires: number }).expires = 0;
    expect(observed(ring)).toEqual(before);
  });
});
