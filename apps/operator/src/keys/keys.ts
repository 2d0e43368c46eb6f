// Keysets and their keys: which key seals now, new keys on rotation, and when an old key may go.
// Active key (spec §8.2): among a keyset's keys, the latest by `activates` with activates <= now < expires.
import { randomBytes } from 'node:crypto';
import type { KeySchedule } from '../config.ts';
import {
  REFRESH_KEYSET_ID,
  type KeyRecord,
  type KeysetRecord,
  type OperatorState,
} from '../state/model.ts';

export function activeKey(keys: readonly KeyRecord[], keysetId: number, now: number): KeyRecord | null {
  let best: KeyRecord | null = null;
  for (const key of keys) {
    if (key.keysetId !== keysetId || key.activates > now || key.expires <= now) continue;
    if (best === null || key.activates > best.activates || (key.activates === best.activates && key.id > best.id)) best = key;
  }
  return best;
}

export function defaultKeysetOf(keysets: readonly KeysetRecord[], siteId: number): KeysetRecord | null {
  return keysets.find((k) => k.siteId === siteId && k.isDefault && k.enabled) ?? null;
}

export function addKeyset(state: OperatorState, siteId: number, name: string, now: number): KeysetRecord {
  const keyset: KeysetRecord = { keysetId: state.nextKeysetId++, siteId, name, created: now, enabled: true, isDefault: true };
  state.keysets.push(keyset);
  return keyset;
}

/** Adds a key to a keyset that activates `leadMs` from now and seals for `lifetimeMs`. */
export function addKey(state: OperatorState, keysetId: number, now: number, leadMs: number, lifetimeMs: number): KeyRecord {
  const activates = now + leadMs;
  const key: KeyRecord = {
    id: state.nextKeyId++,
    keysetId,
    created: now,
    activates,
    expires: activates + lifetimeMs,
    secret: randomBytes(32).toString('base64'),
  };
  state.keys.push(key);
  return key;
}

/**
 * One rotation: every enabled keyset (or just `keysetIds`) gets a key published `activationLeadMs` ahead.
 * A keyset with no active key at all gets one that activates at once, so the operator can always seal.
 */
export function rotateKeys(state: OperatorState, now: number, schedule: KeySchedule, keysetIds?: readonly number[]): KeyRecord[] {
  const added: KeyRecord[] = [];
  for (const keyset of state.keysets) {
    if (!keyset.enabled || (keysetIds && !keysetIds.includes(keyset.keysetId))) continue;
    const lead = activeKey(state.keys, keyset.keysetId, now) ? schedule.activationLeadMs : 0;
    added.push(addKey(state, keyset.keysetId, now, lead, schedule.keyLifetimeMs));
  }
  state.lastRotation = now;
  return added;
}

/** Keysets with no key that is active now (e.g. after a long shutdown) get an immediately active key. */
export function ensureActiveKeys(state: OperatorState, now: number, schedule: KeySchedule): KeyRecord[] {
  const added: KeyRecord[] = [];
  for (const keyset of state.keysets) {
    if (keyset.enabled && !activeKey(state.keys, keyset.keysetId, now)) {
      added.push(addKey(state, keyset.keysetId, now, 0, schedule.keyLifetimeMs));
    }
  }
  return added;
}

export interface RetentionMs {
  /** longest life of a token sealed with a master or participant key (advertising or sharing token) */
  sealedToken: number;
  /** longest life of a refresh token */
  refreshToken: number;
}

/**
 * Drops keys no live token can need: a key stops sealing at `expires`, and the last token it sealed
 * lives at most the token lifetime after that. The active key of a keyset is never dropped.
 */
export function pruneKeys(state: OperatorState, now: number, retention: RetentionMs): KeyRecord[] {
  const removed: KeyRecord[] = [];
  state.keys = state.keys.filter((key) => {
    const keep = key.keysetId === REFRESH_KEYSET_ID ? retention.refreshToken : retention.sealedToken;
    if (key.expires + keep > now) return true;
    removed.push(key);
    return false;
  });
  return removed;
}
