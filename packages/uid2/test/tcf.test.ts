// TCF v2 core segments: our encoder's strings round-trip; a hand-built range-encoded section; bad strings refused.
import { describe, expect, it } from 'vitest';
import { allowsEuid, decodeTcfString, encodeTcfString, EUID_TCF_PURPOSES, EUID_TCF_VENDOR, TcfStringError } from '../src/tcf.ts';

describe('decodeTcfString', () => {
  it('round-trips what encodeTcfString writes', () => {
    const s = encodeTcfString({ purposes: [1, 2, 3, 4, 7, 10], vendors: [21, 755] });
    const c = decodeTcfString(s + '.IAAA'); // a second segment is ignored
    expect(c.version).toBe(2);
    expect([...c.purposeConsents]).toEqual([1, 2, 3, 4, 7, 10]);
    expect([...c.vendorConsents]).toEqual([21, 755]);
    expect(allowsEuid(c)).toBe(true);
  });

  it('EUID needs every one of its purposes and its vendor', () => {
    expect(allowsEuid(decodeTcfString(encodeTcfString({ purposes: [...EUID_TCF_PURPOSES], vendors: [22] })))).toBe(false);
    for (const missing of EUID_TCF_PURPOSES) {
      const purposes = EUID_TCF_PURPOSES.filter((p) => p !== missing);
      expect(allowsEuid(decodeTcfString(encodeTcfString({ purposes, vendors: [EUID_TCF_VENDOR] }))), `without ${missing}`).toBe(false);
    }
  });

  it('reads range-encoded vendor sections', () => {
    // Hand-built: version 2, purposes 1-10 consented, MaxVendorId 30, range encoding, one range 20-25.
    const bits = '000010'.padEnd(152, '0') + '1'.repeat(10) + '0'.repeat(14) + '0'.repeat(37) + (30).toString(2).padStart(16, '0') + '1' + (1).toString(2).padStart(12, '0') + '1' + (20).toString(2).padStart(16, '0') + (25).toString(2).padStart(16, '0');
    const padded = bits.padEnd(Math.ceil(bits.length / 6) * 6, '0');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let s = '';
    for (let i = 0; i < padded.length; i += 6) s += alphabet[parseInt(padded.slice(i, i + 6), 2)];
    const c = decodeTcfString(s);
    expect([...c.vendorConsents]).toEqual([20, 21, 22, 23, 24, 25]);
    expect(allowsEuid(c)).toBe(true);
  });

  it('keeps vendor ranges as ranges: the longest string of the widest ranges is read without expanding them', () => {
    // 1,600 ranges of 1-65535 (the most a 10,000-character string holds): ~100M vendors if expanded.
    const head = '000010'.padEnd(152, '0') + '1'.repeat(10) + '0'.repeat(14) + '0'.repeat(37) + (65535).toString(2).padStart(16, '0') + '1' + (1600).toString(2).padStart(12, '0');
    const range = '1' + (1).toString(2).padStart(16, '0') + (65535).toString(2).padStart(16, '0');
    const bits = head + range.repeat(1600);
    const padded = bits.padEnd(Math.ceil(bits.length / 6) * 6, '0');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let s = '';
    for (let i = 0; i < padded.length; i += 6) s += alphabet[parseInt(padded.slice(i, i + 6), 2)];
    expect(s.length).toBeLessThanOrEqual(10_000);
    const c = decodeTcfString(s);
    expect(c.vendorConsents.has(1)).toBe(true);
    expect(c.vendorConsents.has(65535)).toBe(true);
    expect(c.vendorConsents.has(65536)).toBe(false);
    expect(allowsEuid(c)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'CO+xyz'],
    ['version 1', 'BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA'],
    ['truncated', 'CPXxRfAPXxRfA'],
    ['not a string', 42 as unknown as string],
  ])('refuses %s', (_, s) => {
    expect(() => decodeTcfString(s)).toThrow(TcfStringError);
  });
});
