// Property test over 100,000 random and mutated tokens, run against the *unguarded* decrypt (no
// last-resort try/catch) so "never throws" is a property of the code, not of the guard.
// Seeded (SEED env var to reproduce or explore); every failure message names the seed and iteration.
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../src/keys/index.ts';
import { decryptTokenUnguarded } from '../src/token/decrypt.ts';
import { encryptRawUid } from '../src/token/index.ts';
import type { ClientKind, DecryptionResult } from '../src/types.ts';
import { vectors } from './vectors.ts';

const SEED = Number(process.env.SEED ?? 0x5eed_2024);
const ITERATIONS = 100_000;

/** mulberry32: tiny, fast, good enough to spread mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Base {
  token: string;
  bytes: Buffer;
  version: 2 | 3 | 4;
  /** How the token is written: v4 base64url unpadded, or standard base64 padded. */
  url: boolean;
  ring: KeyRing;
  now: number;
  client: ClientKind;
  uid: string;
  /** What the unchanged token decrypts to. */
  result: DecryptionResult;
}

const rings = new Map(Object.entries(vectors.keysets).map(([n, b]) => [n, KeyRing.fromResponseBody(b)]));

function collectBases(): Base[] {
  const out: Base[] = [];
  for (const c of vectors.cases) {
    if (c.expected.status !== 'SUCCESS' || c.tags.includes('quirk:lenient-base64')) continue;
    const ring = rings.get(c.keyset)!;
    const r = decryptTokenUnguarded(c.token, ring, { now: c.now_ms, client: c.client });
    if (r.status !== 'Success') continue;
    const version = r.tokenVersion!;
    const url = version === 4 && !/[+/=]/.test(c.token);
    const bytes = Buffer.from(c.token, url ? 'base64url' : 'base64');
    out.push({ token: c.token, bytes, version, url, ring, now: c.now_ms, client: c.client, uid: r.uid!, result: r });
  }
  // Fresh sharing tokens of our own too (v4, 33- and 32-byte raw UIDs).
  const main = rings.get('main')!;
  for (const e of vectors.sharing_encrypt) {
    if (e.expected_encrypt.status !== 'SUCCESS' || e.keyset !== 'main') continue;
    const t = encryptRawUid(e.raw_uid, main, { now: e.now_ms, ...(e.keyset_id === null ? {} : { keysetId: e.keyset_id }) }).token!;
    const result = decryptTokenUnguarded(t, main, { now: e.now_ms + 1000 });
    out.push({ token: t, bytes: Buffer.from(t, 'base64url'), version: 4, url: true, ring: main, now: e.now_ms + 1000, client: 'sharing', uid: e.raw_uid, result });
  }
  return out;
}

const STATUSES = new Set([
  'Success', 'NotAuthorizedForKey', 'NotAuthorizedForMasterKey', 'NotInitialized', 'InvalidPayload', 'ExpiredToken',
  'KeysNotSynced', 'VersionNotSupported', 'InvalidTokenLifetime', 'DomainNameCheckFailed',
]);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=';
const JUNK = ' *.!\n\t%\u00e9\u4e2d\ud83d\ude00\u0000';

describe(`property: 100,000 random and mutated tokens (seed ${SEED})`, () => {
  it('never throw; no Success after a byte change past the header; a header change never yields another identity', () => {
    const bases = collectBases();
    expect(bases.filter((b) => b.version === 3).length).toBeGreaterThan(5);
    expect(bases.filter((b) => b.version === 4).length).toBeGreaterThan(10);
    expect(bases.filter((b) => b.version === 2).length).toBeGreaterThan(3);
    const v3v4 = bases.filter((b) => b.version !== 2);
    const v2 = bases.filter((b) => b.version === 2);
    const random = rng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
    const encode = (b: Base, bytes: Buffer) => (b.url ? bytes.toString('base64url') : bytes.toString('base64'));
    const counts = { body: 0, header: 0, v2: 0, text: 0, strings: 0, successes: 0 };

    for (let i = 0; i < ITERATIONS; i++) {
      const where = `seed ${SEED}, iteration ${i}`;
      const kind = random();
      let base: Base | undefined;
      let token: string;
      let mutation: 'body' | 'header' | 'v2' | 'text' | 'strings';
      if (kind < 0.4) {
        // One byte changed after the 6-byte header of a v3/v4 token.
        mutation = 'body';
        base = pick(v3v4);
        const bytes = Buffer.from(base.bytes);
        const at = 6 + int(bytes.length - 6);
        bytes[at] = (bytes[at] as number) ^ (1 + int(255));
        token = encode(base, bytes);
      } else if (kind < 0.55) {
        mutation = 'header';
        base = pick(v3v4);
        const bytes = Buffer.from(base.bytes);
        const at = int(6);
        bytes[at] = (bytes[at] as number) ^ (1 + int(255));
        token = encode(base, bytes);
      } else if (kind < 0.65) {
        // Legacy v2 has no integrity; only "never throws" holds for it.
        mutation = 'v2';
        base = pick(v2);
        const bytes = Buffer.from(base.bytes);
        for (let n = 1 + int(3); n > 0; n--) bytes[int(bytes.length)] = int(256);
        token = bytes.subarray(0, int(4) === 0 ? int(bytes.length + 1) : bytes.length).toString('base64');
      } else if (kind < 0.85) {
        // Text-level damage to a real token: truncate, insert, delete or replace characters.
        mutation = 'text';
        base = pick(bases);
        const t = base.token;
        const at = int(t.length + 1);
        const op = int(4);
        const ch = random() < 0.7 ? B64[int(B64.length)]! : JUNK[int(JUNK.length)]!;
        token = op === 0 ? t.slice(0, at) : op === 1 ? t.slice(0, at) + ch + t.slice(at) : op === 2 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + ch + t.slice(at + 1);
      } else {
        // Random strings, often with a plausible header.
        mutation = 'strings';
        const len = int(300);
        let s = pick(['', '', 'A4', 'A3', 'Ag', 'B4AAAAB', 'E3AAAAJ']);
        const alphabet = random() < 0.8 ? B64 : B64 + JUNK;
        while (s.length < len) s += alphabet[int(alphabet.length)];
        token = s;
      }
      counts[mutation]++;
      const ring = base?.ring ?? rings.get('main')!;
      const now = base?.now ?? 1741608000000;
      const client = base?.client ?? (random() < 0.5 ? 'sharing' : 'bidstream');
      let r: DecryptionResult;
      try {
        r = decryptTokenUnguarded(token, ring, { now, client });
      } catch (e) {
        throw new Error(`threw on a ${mutation} mutation (${where}): ${(e as Error).message}`);
      }
      if (!STATUSES.has(r.status)) throw new Error(`unknown status ${r.status} (${where})`);
      if (r.status !== 'Success' && r.uid !== null) throw new Error(`uid without Success (${where})`);
      if (r.status === 'Success') counts.successes++;
      if (mutation === 'body' && r.status === 'Success') {
        throw new Error(`Success after a byte change past the header (${where})`);
      }
      if (mutation === 'header' && r.status === 'Success') {
        // Same uid, site and scope; the same type too, unless the raw UID is 32 bytes (no prefix byte to
        // hold the header's type against: the one thing the format leaves unauthenticated).
        const b = base!.result;
        if (r.uid !== b.uid || r.siteId !== b.siteId || r.identityScope !== b.identityScope) {
          throw new Error(`header change produced another identity (${where})`);
        }
        if (r.identityType !== b.identityType && Buffer.from(b.uid!, 'base64').length !== 32) {
          throw new Error(`header change produced another identity type (${where})`);
        }
      }
      // (v2 is excluded: AES-CBC without a MAC can, rarely, turn damage into another valid-looking uid.)
      if (mutation === 'text' && base!.version !== 2 && r.status === 'Success' && r.uid !== base!.uid) {
        throw new Error(`text damage produced a different uid (${where})`);
      }
    }
    // Every kind of input was exercised a meaningful number of times.
    expect(counts.body).toBeGreaterThan(35_000);
    expect(counts.header).toBeGreaterThan(12_000);
    expect(counts.v2).toBeGreaterThan(8_000);
    expect(counts.text).toBeGreaterThan(15_000);
    expect(counts.strings).toBeGreaterThan(12_000);
  }, 60_000);
});
