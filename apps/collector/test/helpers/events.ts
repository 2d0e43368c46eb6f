// Builders for segment events in store tests. Raw UID2s here are random 32-byte base64 values.
import { randomBytes } from 'node:crypto';
import type { SegmentEvent } from '../../src/store/segment-store.ts';

export const rawUid = (): string => randomBytes(32).toString('base64');

export function event(overrides: Partial<SegmentEvent> = {}): SegmentEvent {
  return {
    uid: rawUid(),
    segment: 'acme-buyers',
    senderSiteId: 101,
    kind: 'conversion',
    at: Date.now(),
    identityType: 'Email',
    tokenVersion: 4,
    ...overrides,
  };
}

export async function collect<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of it) out.push(...batch);
  return out;
}
