// The DSP's retargeting audience: membership expires, and the set stays bounded (oldest out first).
import { describe, expect, it } from 'vitest';
import { Audience } from '../src/dsp/audience.ts';

describe('Audience', () => {
  it('holds a member until its time runs out', () => {
    const audience = new Audience(10, 1000);
    audience.add('a', 0);
    expect(audience.has('a', 1000)).toBe(true);
    expect(audience.has('a', 1001)).toBe(false);
    expect(audience.has('b', 0)).toBe(false);
    expect(audience.size).toBe(0); // the expired member was dropped when seen
  });

  it('keeps at most maxMembers, dropping the least recently added', () => {
    const audience = new Audience(3, 1000);
    for (const uid of ['a', 'b', 'c']) audience.add(uid, 0);
    audience.add('a', 1); // seen again: now the newest
    audience.add('d', 2);
    expect(audience.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((uid) => audience.has(uid, 2))).toEqual([true, false, true, true]);
  });
});
