// The opt-out gate's verdict cache: verdicts, lifetimes (whole seconds), the entry bound and the sweep.
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

  it('sweeps expired entries that are never read again', () => {
    cache = new VerdictCache({ maxEntries: 10, sweepSeconds: 60, now: () => T0 });
    cache.set('short', 'in', 10, T0);
    cache.set('long', 'in', 600, T0);
    cache.sweep(T0 + 20_000);
    expect(cache.size).toBe(1);
    expect(cache.get('long', T0 + 20_000)).toBe('in');
  });
});
