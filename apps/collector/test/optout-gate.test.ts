// The opt-out gate against the real operator over HTTP: what the bulk routes ask of it (askUncached)
// and what the held resolver and export ask (checkMany), and how both behave when the operator is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptOutStatusClient } from '@uid2-pixels/uid2';
import { OptoutGate } from '../src/optout-gate.ts';
import { makeRawUid, optOutUser, SITES, startTestOperator, type TestOperator } from './helpers/stack.ts';

let op: TestOperator;
let optedOut: string;

beforeAll(async () => {
  op = await startTestOperator();
  optedOut = await optOutUser(op, `gate-out-${Date.now()}@example.com`);
});
afterAll(async () => {
  await op.close();
});

function gate(errors: Error[] = []): OptoutGate {
  return new OptoutGate({
    source: new OptOutStatusClient({ ...op.credentials(SITES.lumen), timeoutMs: 2000 }),
    cacheTtlSeconds: 60,
    batchWindowMs: 5,
    maxBatch: 5000,
    onError: (e) => errors.push(e),
  });
}

describe('askUncached (the bulk routes)', () => {
  it('answers each UID2 in order, duplicates included, and caches the verdicts', async () => {
    const g = gate();
    const a = makeRawUid();
    const b = makeRawUid();
    expect(await g.askUncached([a, optedOut, b, a, optedOut])).toEqual([false, true, false, false, true]);
    expect(g.cached(a)).toBe('in');
    expect(g.cached(b)).toBe('in');
    expect(g.cached(optedOut)).toBe('out');
    expect(await g.checkMany([a, optedOut])).toEqual(new Map([[a, false], [optedOut, true]]));
    g.close();
  });

  it('rejects when the operator cannot answer, caches nothing, and the gate cools down', async () => {
    const errors: Error[] = [];
    const g = gate(errors);
    const a = makeRawUid();
    await op.stop();
    try {
      await expect(g.askUncached([a])).rejects.toThrow();
      expect(errors).toHaveLength(1);
      expect(g.cached(a)).toBeUndefined();
      // The cool-down: a pixel's check answers 'unknown' at once instead of asking again.
      expect(await g.check(a)).toBe('unknown');
      expect(errors).toHaveLength(1);
    } finally {
      await op.restart();
    }
    expect(await g.askUncached([a])).toEqual([false]);
    g.close();
  });
});
