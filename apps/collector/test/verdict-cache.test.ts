// The opt-out gate's verdict cache: verdicts, lifetimes (whole seconds), the entry bound and the sweep.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VerdictCache } from '../src/verdict-cache.ts';

const T0 = 1_780_000_000_000;
let cache: VerdictCache;
afterEach(() => cache.close());

describe('VerdictCache', () => {
  it('keeps each verdict for its own lifetime', () => {
    cache = new VerdictCache({ maxEntries: 10, sweepSeconds: 60, now: () => T0 });
    cache.set('in-uid', 'in', 60, T0);
    cache.set('out-uid', 'out', 120, T0);
    expect(cache.get('in-uid', T0 + 59_000)).toBe('in');
    expect(cache.get('out-uid', T0 + 59_000)).toBe('out');
    expect(cache.get('in-uid', T0 + 61_000)).toBeUndefined();
    expect(cache.get('out-uid', T0 + 119_000)).toBe('out');
    expect(cache.get('out-uid', T0 + 121_000)).toBeUndefined();
    expect(cache.get('never-set', T0)).toBeUndefined();
    expect(cache.size).toBe(0); // expired entries are dropped when read
  });

  it('caches nothing new once full, but still refreshes what it holds', () => {
    cache = new VerdictCache({ maxEntries: 2, sweepSeconds: 60, now: () => T0 });
    expect(cache.set('a', 'in', 60, T0)).toBe(true);
    expect(cache.set('b', 'in', 60, T0)).toBe(true);
    expect(cache.set('c', 'out', 60, T0)).toBe(false);
    expect(cache.get('c', T0)).toBeUndefined();
    expect(cache.set('a', 'out', 60, T0)).toBe(true);
    expect(cache.get('a', T0)).toBe('out');
  });

  it('answers exactly as a plain map would, through its filter, across sets, expiries, sweeps and clears', () => {
    // Raw UID2s, and strings a filter keyed on the last characters spreads badly: short, empty, equal tails.
    const uids = [
      ...Array.from({ length: 3000 }, () => randomBytes(32).toString('base64')),
      '', 'a', 'ab', 'abc', ...Array.from({ length: 200 }, (_, i) => `${i}-same-tail-xxxxxxxx==`),
    ];
    cache = new VerdictCache({ maxEntries: 2500, sweepSeconds: 60, now: () => T0 });
    const expected = new Map<string, { verdict: 'in' | 'out'; until: number }>();
    let now = T0;
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let step = 0; step < 40_000; step++) {
      const uid = uids[rand(uids.length)]!;
      const op = rand(100);
      if (op < 45) {
        const verdict = rand(2) === 0 ? 'in' : 'out';
        const ttl = 1 + rand(30);
        const full = [...expected.values()].length >= 2500 && !expected.has(uid);
        if (cache.set(uid, verdict, ttl, now)) expected.set(uid, { verdict, until: (Math.floor((now - T0) / 1000) + ttl + 1) * 1000 + T0 }); // whole seconds: live through its last second
        else expect(full || cache.size >= 2500).toBe(true);
      } else if (op < 98) {
        const want = expected.get(uid);
        const live = want !== undefined && now < want.until;
        expect(cache.get(uid, now)).toBe(live ? want.verdict : undefined);
        if (want && !live) expected.delete(uid);
      } else if (op < 99) {
        cache.sweep(now);
        for (const [k, v] of expected) if (now >= v.until) expected.delete(k);
      } else if (rand(20) === 0) {
        cache.clear();
        expected.clear();
      }
      if (rand(50) === 0) now += 1000 * rand(5);
    }
    for (const [uid, want] of expected) expect(cache.get(uid, now)).toBe(now < want.until ? want.verdict : undefined);
  });

  it('sweeps expired entries that are never read again', () => {
    cache = new VerdictCache({ maxEntries: 10, sweepSeconds: 60, now: () => T0 });
    cache.set('short', 'in', 10, T0);
    cache.set('long', 'in', 600, T0);
    cache.sweep(T0 + 20_000);
    expect(cache.size).toBe(1);
    expect(cache.get('long', T0 + 20_000)).toBe('in');
  });
});
