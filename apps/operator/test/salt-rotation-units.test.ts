// The pieces under /v3/identity/map and /v2/identity/buckets: salt lines with previous salts and keys,
// rotation of salt and v4 key buckets, the 90-day `p`, `r`, and the buckets route's date handling.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatLastUpdated, parseIsoLocalDateTime } from '../src/routes/identity-buckets.ts';
import { readV2Input } from '../src/routes/identity-map.ts';
import { readV3Input } from '../src/routes/identity-map-v3.ts';
import { SaltBuckets, formatSaltLine, nextUtcMidnight, parseSaltLine, PREVIOUS_SALT_MS } from '../src/identity/salt-buckets.ts';

const DAY = 86_400_000;
const config = { firstLevel: 'fOGY/aRE44peL23i+cE9MkJrzmEeNZZziNZBfq7qqk8=', idPrefix: 'b', idSecret: 'secret' };
const identity = createHash('sha256').update('test@example.com').digest();

describe('salt lines', () => {
  it('round-trip all 11 fields, previous salt and both key materials included', () => {
    const line = '1000000,1745907348982,cur,1746000000000,prev,2000002,key12345key12345key12345key12345,salt1234salt1234salt1234salt1234,2000001,oldkey,oldsalt';
    const bucket = parseSaltLine(line);
    expect(bucket).toMatchObject({ previousSalt: 'prev', refreshFrom: 1746000000000, previousKey: { id: 2000001, key: 'oldkey', salt: 'oldsalt' } });
    expect(formatSaltLine(bucket)).toBe(line);
    expect(formatSaltLine(parseSaltLine('7,0,salt'))).toBe('7,0,salt,,,,,,,,');
  });
});

describe('SaltBuckets rotation', () => {
  const t0 = Date.UTC(2026, 0, 1, 10);

  it("rotates at the real operator's size (1,048,576 buckets) without overflowing the stack", () => {
    const buckets = Array.from({ length: 1 << 20 }, (_, i) => parseSaltLine(`${1_000_000 + i},${t0},vgv1BwiNRCW7F3VcNXHlZh+7oHJ4G4gCshbGcVOLnss=`));
    const salts = new SaltBuckets(config, buckets);
    expect(salts.rotate([0, 1 << 19, (1 << 20) - 1], t0 + DAY, t0 + 2 * DAY)).toBe(3);
    expect(salts.buckets[1 << 19]!.previousSalt).toBe('vgv1BwiNRCW7F3VcNXHlZh+7oHJ4G4gCshbGcVOLnss=');
  });

  it('keeps the previous salt: p for less than 90 days, r from refresh_from, then p null', () => {
    const salts = new SaltBuckets(config, [parseSaltLine(`1000000,${t0},vgv1BwiNRCW7F3VcNXHlZh+7oHJ4G4gCshbGcVOLnss=,${t0 + DAY}`)]);
    const flh = salts.firstLevelHash(identity);
    const before = salts.mapV3(flh, 'Email', t0);
    expect(before.rawUid.toString('base64')).toBe('AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop'); // spec §7 vector
    expect(before).toMatchObject({ previousRawUid: null, refreshFrom: (t0 + DAY) / 1000 });
    const t1 = t0 + 2 * DAY;
    expect(salts.mapV3(flh, 'Email', t1).refreshFrom).toBe(nextUtcMidnight(t1) / 1000); // refresh_from passed
    expect(salts.rotate([0], t1, t1 + 30 * DAY)).toBe(1);
    const after = salts.mapV3(flh, 'Email', t1);
    expect(after.previousRawUid).toEqual(before.rawUid);
    expect(after.rawUid).not.toEqual(before.rawUid);
    expect(after.refreshFrom).toBe((t1 + 30 * DAY) / 1000);
    expect(salts.mapV3(flh, 'Email', t1 + PREVIOUS_SALT_MS - 1).previousRawUid).toEqual(before.rawUid);
    expect(salts.mapV3(flh, 'Email', t1 + PREVIOUS_SALT_MS).previousRawUid).toBeNull();
    expect(salts.forgetPrevious(t1 + PREVIOUS_SALT_MS - 1)).toBe(0);
    expect(salts.forgetPrevious(t1 + PREVIOUS_SALT_MS)).toBe(1);
    expect(salts.buckets[0]!.previousSalt).toBeNull();
  });

  it('rotates a v4 key bucket to new key material with a new id, keeping the old key for p', () => {
    const salts = new SaltBuckets(config, [parseSaltLine(`1000002,${t0},,,,2000002,key12345key12345key12345key12345,salt1234salt1234salt1234salt1234,,,`)]);
    const flh = salts.firstLevelHash(identity);
    const before = salts.mapV3(flh, 'Email', t0);
    expect(before.rawUid.toString('base64')).toBe('IB6Egv/cqwZKOPiqnciY6OtgcZNAaqfD6E/K/C8XQuyT'); // spec §7 v4 check
    salts.rotate([0], t0, t0 + DAY);
    const bucket = salts.buckets[0]!;
    expect(bucket.currentKey!.id).toBe(2000003);
    expect(bucket.currentKey!.key).toHaveLength(32);
    expect(bucket.previousKey!.id).toBe(2000002);
    const after = salts.mapV3(flh, 'Email', t0);
    expect(after.previousRawUid).toEqual(before.rawUid);
    expect(after.rawUid).toHaveLength(33);
    expect(after.rawUid).not.toEqual(before.rawUid);
    expect(parseSaltLine(formatSaltLine(bucket))).toEqual(bucket); // survives the file
  });
});

describe('request bodies', () => {
  it('v3: strict keys and elements, null arrays as empty, scalars coerced to strings', () => {
    expect(readV3Input({ email: ['a'], phone_hash: null })).toEqual({ ok: true, lists: { email: ['a'], email_hash: [], phone: [], phone_hash: [] } });
    expect(readV3Input({ email: [1, true] })).toMatchObject({ ok: true, lists: { email: ['1', 'true'] } });
    expect(readV3Input({ email: [[]] })).toEqual({ ok: false, message: 'Incorrect request format' });
  });

  it('v2: null fields count as absent, an all-empty body maps nothing', () => {
    expect(readV2Input({ email: null, phone: ['+12345678901'] })).toEqual({ ok: true, field: 'phone', values: ['+12345678901'] });
    expect(readV2Input({ email: [], phone: [] })).toEqual({ ok: true, field: null, values: [] });
    expect(readV2Input({ email: null })).toMatchObject({ ok: false });
  });
});

describe('since_timestamp and last_updated', () => {
  it.each([
    ['2026-03-01T10:20', Date.UTC(2026, 2, 1, 10, 20)],
    ['2026-03-01T10:20:30', Date.UTC(2026, 2, 1, 10, 20, 30)],
    ['2026-03-01T10:20:30.5', Date.UTC(2026, 2, 1, 10, 20, 30, 500)],
    ['2026-03-01T10:20:30.123456789', Date.UTC(2026, 2, 1, 10, 20, 30, 123)],
    ['2024-02-29T00:00:00', Date.UTC(2024, 1, 29)],
  ])('reads %s as UTC', (text, ms) => {
    expect(parseIsoLocalDateTime(text)).toBe(ms);
  });

  it.each(['2025-02-29T00:00:00', '2026-13-01T00:00:00', '2026-03-01T24:00:00', '2026-03-01 10:20:30', '2026-03-01T10:20:30Z', '2026-03-01T10:20:30+01:00', '2026-03-01', '2026-03-01T10:20:30.'])(
    'refuses %s',
    (text) => {
      expect(parseIsoLocalDateTime(text)).toBeNull();
    },
  );

  it('formats last_updated with exactly three fraction digits and no zone', () => {
    expect(formatLastUpdated(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05.000');
    expect(formatLastUpdated(Date.UTC(2026, 0, 2, 3, 4, 5, 67))).toBe('2026-01-02T03:04:05.067');
  });
});
