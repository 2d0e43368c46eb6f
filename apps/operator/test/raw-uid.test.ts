// Spec §7 vectors (computed with the real operator's TokenUtils/V4TokenUtils) and §11 item 5.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '@uid2-pixels/uid2/dii';
import { firstLevelHash, rawUidV2, rawUidV3, rawUidV4, saltBucketIndex } from '../src/identity/raw-uid.ts';
import { SaltBuckets, parseSaltLines, formatSaltLine } from '../src/identity/salt-buckets.ts';

const FIRST_LEVEL = 'fOGY/aRE44peL23i+cE9MkJrzmEeNZZziNZBfq7qqk8=';
const SALT_1000000 = 'vgv1BwiNRCW7F3VcNXHlZh+7oHJ4G4gCshbGcVOLnss=';

const hashOf = (dii: string): Buffer => {
  const normalized = dii.startsWith('+') ? dii : normalizeEmail(dii);
  return createHash('sha256').update(normalized!, 'utf8').digest();
};
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

const FLH_VECTORS: [string, string, number, number | null][] = [
  ['test@example.com', 'RNzyiMMy106hy8MpBOsHBe+ZZkQR8IbUAG/IC2OrNr4=', 282050, 0],
  ['validate@example.com', 'FNRbc+HsgQYwm/ayjooe5zLbFPRUCPm587ODCTck9is=', 85323, 3],
  ['user@example.com', 'sNucuuqRSevxEAlg4mdhE+VFd+d/XOb6N/kYA5QS/zE=', 724412, 2],
  ['+12345678901', 'urve3oGxLtO2WGhlQFKMzqhXOdYqSB53Rrgqpp9CFjY=', 764862, 2],
  ['testtest@gmail.com', 'QYEqaI7vtVXJRfGU/VvreQwDye1+tFgdaQSei814nWU=', 268314, 4],
  ['optout@example.com', '5ihBI2GMPQ3CugqR0ezR6/WCMmZjXYNAQ0hC2jQ3smM=', -1, 1],
];

describe('first-level hash and bucket index (spec §7)', () => {
  it.each(FLH_VECTORS)('%s', (dii, flh, idx20, idx5) => {
    const actual = firstLevelHash(hashOf(dii), FIRST_LEVEL);
    expect(b64(actual)).toBe(flh);
    if (idx20 >= 0) expect(saltBucketIndex(actual, 1 << 20)).toBe(idx20);
    expect(saltBucketIndex(actual, 5)).toBe(idx5);
  });
});

describe('raw UID2 (spec §7)', () => {
  const flh = firstLevelHash(hashOf('test@example.com'), FIRST_LEVEL);

  it('v2 and v3 for test@example.com with the bucket-1000000 salt', () => {
    expect(b64(rawUidV2(flh, SALT_1000000))).toBe('yCevINTMQ+BMfihNbXjrDLbm/FF+JvBan5YqmToByik=');
    expect(b64(rawUidV3(flh, SALT_1000000, 'UID2', 'Email'))).toBe('AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop');
    expect(b64(rawUidV3(flh, SALT_1000000, 'EUID', 'Email')).startsWith('EMgnry')).toBe(true);
  });

  it('v4 with the extra-check key material', () => {
    const raw = rawUidV4(flh, { id: 2000002, key: 'key12345key12345key12345key12345', salt: 'salt1234salt1234salt1234salt1234' }, 'UID2', 'Email', 'test');
    expect(b64(raw)).toBe('IB6Egv/cqwZKOPiqnciY6OtgcZNAaqfD6E/K/C8XQuyT');
  });

  it('v2 raw UID of the docs identity (spec §11 item 5)', () => {
    const docsFlh = Buffer.from('OR3qyrarTj14fivTZlzpC15dzCcsjMJxcEeWcHk8VHk=', 'base64');
    expect(b64(rawUidV2(docsFlh, SALT_1000000))).toBe('5ZS4K8EWd+cMAcQsOF4ttBcvenrt1ZiU/st/CaL+AL8=');
  });

  it('SaltBuckets picks the bucket by index and emits 44-char v3 raw UIDs', () => {
    const lines = [`1000000,1745907348982,${SALT_1000000}`, '1000001,1,c2FsdA==', '1000002,1,,,,2000002,key12345key12345key12345key12345,salt1234salt1234salt1234salt1234'];
    const buckets = parseSaltLines(lines.join('\n'));
    expect(formatSaltLine(buckets[2]!).split(',')).toHaveLength(11);
    const v3 = new SaltBuckets({ firstLevel: FIRST_LEVEL, idPrefix: 'b', idSecret: 's' }, buckets, { rawUidVersion: 3 });
    // idx 282050 mod 3 = 2 -> the key-material line -> v4
    expect(b64(v3.map(hashOf('test@example.com'), 'Email').rawUid)).toBe('IB6Egv/cqwZKOPiqnciY6OtgcZNAaqfD6E/K/C8XQuyT');
    const single = new SaltBuckets({ firstLevel: FIRST_LEVEL, idPrefix: 'b', idSecret: 's' }, buckets.slice(0, 1));
    const mapped = single.map(hashOf('test@example.com'), 'Email');
    expect(b64(mapped.rawUid)).toBe('AMgnryDUzEPgTH4oTW146wy25vxRfibwWp+WKpk6Acop');
    expect(b64(mapped.rawUid)).toHaveLength(44);
    expect(mapped.bucketId).toMatch(/^b[A-Za-z0-9]{9,}$/);
  });
});
