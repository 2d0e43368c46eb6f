// The IAB TCF v2 consent string's core segment (the part before the first '.'), as far as UID2 needs it:
// which purposes have consent and which vendors. The EUID operator checks a token request's
// `tcf_consent_string` against EUID_TCF_PURPOSES and EUID_TCF_VENDOR (operator-api.md §3.1, the real
// operator's validateUserConsent). Bit layout: IAB "TCF v2 Consent String" core segment.

/** The purposes EUID needs consent for, and the vendor id it checks (the real operator's defaults). */
export const EUID_TCF_PURPOSES = [1, 2, 3, 4, 7, 10] as const;
export const EUID_TCF_VENDOR = 21;

export interface TcfConsent {
  version: number;
  purposeConsents: Set<number>;
  /** The vendors with consent: has() for one, iteration for all (in increasing order). */
  vendorConsents: VendorConsents;
}

/**
 * Vendor consents as the string encodes them: inclusive [start, end] ranges. Kept as ranges, not
 * expanded, because a 10,000-character string can hold ~1,800 ranges of up to 65,535 vendors each:
 * expanding them cost seconds of CPU per request in the operator.
 */
export class VendorConsents implements Iterable<number> {
  constructor(private readonly ranges: ReadonlyArray<readonly [number, number]>) {}

  has(vendor: number): boolean {
    for (const [start, end] of this.ranges) if (vendor >= start && vendor <= end) return true;
    return false;
  }

  *[Symbol.iterator](): Iterator<number> {
    const seen = new Set<number>();
    for (const [start, end] of [...this.ranges].sort((a, b) => a[0] - b[0])) {
      for (let v = start; v <= end; v++) if (!seen.has(v)) (seen.add(v), yield v);
    }
  }
}

export class TcfStringError extends Error {}

// Bit offsets of the core segment fields we read (version 6 bits first; purposes after 152 bits of
// timestamps, CMP, language, list and policy versions, flags and special features).
const PURPOSES_AT = 152;
const MAX_VENDOR_AT = 213;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function bitsOf(segment: string): string {
  let bits = '';
  for (const c of segment) {
    const v = B64URL.indexOf(c);
    if (v < 0) throw new TcfStringError('not base64url');
    bits += v.toString(2).padStart(6, '0');
  }
  return bits;
}

/** Reads the core segment; throws TcfStringError when it is not a TCF v2 string. */
export function decodeTcfString(text: string): TcfConsent {
  if (typeof text !== 'string' || text.length === 0 || text.length > 10_000) throw new TcfStringError('empty or too long');
  const bits = bitsOf(text.split('.')[0]!);
  let at = 0;
  const read = (n: number): number => {
    if (at + n > bits.length) throw new TcfStringError('truncated');
    const v = parseInt(bits.slice(at, at + n), 2);
    at += n;
    return v;
  };
  const version = read(6);
  if (version !== 2) throw new TcfStringError(`version ${version}`);
  const purposeConsents = new Set<number>();
  at = PURPOSES_AT;
  for (let p = 1; p <= 24; p++) if (read(1)) purposeConsents.add(p);
  at = MAX_VENDOR_AT;
  const maxVendor = read(16);
  const ranges: Array<[number, number]> = [];
  if (read(1) === 0) {
    for (let v = 1; v <= maxVendor; v++) if (read(1)) ranges.push([v, v]);
  } else {
    for (let entries = read(12); entries > 0; entries--) {
      const range = read(1);
      const start = read(16);
      const end = range ? read(16) : start;
      if (end < start || end > maxVendor) throw new TcfStringError('bad vendor range');
      ranges.push([start, end]);
    }
  }
  return { version, purposeConsents, vendorConsents: new VendorConsents(ranges) };
}

/** Does this consent allow EUID: every EUID purpose and the EUID vendor? */
export const allowsEuid = (c: TcfConsent): boolean =>
  EUID_TCF_PURPOSES.every((p) => c.purposeConsents.has(p)) && c.vendorConsents.has(EUID_TCF_VENDOR);

/**
 * A minimal TCF v2 core segment with these purpose and vendor consents (bit-field vendor encoding; the
 * other fields zero but the version): for tests and CMP stubs that need a real string to hand over.
 */
export function encodeTcfString(consent: { purposes: readonly number[]; vendors: readonly number[] }): string {
  const maxVendor = Math.max(0, ...consent.vendors);
  const bits = ['000010'.padEnd(PURPOSES_AT, '0')];
  for (let p = 1; p <= 24; p++) bits.push(consent.purposes.includes(p) ? '1' : '0');
  bits.push('0'.repeat(MAX_VENDOR_AT - PURPOSES_AT - 24), maxVendor.toString(2).padStart(16, '0'), '0');
  for (let v = 1; v <= maxVendor; v++) bits.push(consent.vendors.includes(v) ? '1' : '0');
  let all = bits.join('');
  all = all.padEnd(Math.ceil(all.length / 6) * 6, '0');
  let out = '';
  for (let i = 0; i < all.length; i += 6) out += B64URL[parseInt(all.slice(i, i + 6), 2)];
  return out;
}
