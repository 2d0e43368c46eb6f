// POST /admin/keys/refresh: fetch the sharing keys now instead of at the next hourly refresh, so a
// grant or revocation made in the portal takes effect at once. The schedule stays as it was; on
// failure the last good keys stay in use (KeySync keeps them and retries on its own).
import type { SharingClient } from '@uid2-pixels/uid2';
import { CollectorError } from './errors.ts';

export interface KeyRefreshResult {
  /** Keys in the ring now in use (in cluster mode, the fewest any worker holds). */
  keyCount: number;
  /** When those keys arrived, ISO 8601 (in cluster mode, the earliest of the workers). */
  refreshedAt: string;
  /** Cluster mode only: how many workers refreshed. */
  workers?: number;
}

/**
 * The keys could not be refreshed. The message is ours and says nothing about the operator's answer:
 * the underlying error is logged by the key sync, never handed to an admin caller.
 */
export class KeyRefreshError extends CollectorError {
  constructor(code: 'KEYS_OPERATOR_UNAVAILABLE' | 'KEYS_NOT_REFRESHABLE', message: string) {
    super(code, message);
    this.name = 'KeyRefreshError';
  }
}

/** One immediate refresh of this process's sharing keys. */
export async function refreshSharingKeys(sharing: SharingClient): Promise<KeyRefreshResult> {
  try {
    const ring = await sharing.refreshKeys();
    return { keyCount: ring.size, refreshedAt: new Date(sharing.lastRefresh ?? Date.now()).toISOString() };
  } catch {
    throw new KeyRefreshError('KEYS_OPERATOR_UNAVAILABLE', 'sharing keys could not be fetched from the operator; the last good keys stay in use');
  }
}

/** Cluster mode: every worker's results combined into one answer (all must have succeeded). */
export function combineRefreshes(results: KeyRefreshResult[]): KeyRefreshResult {
  if (results.length === 0) throw new KeyRefreshError('KEYS_NOT_REFRESHABLE', 'no worker is running');
  const keyCount = Math.min(...results.map((r) => r.keyCount));
  const refreshedAt = results.map((r) => r.refreshedAt).sort()[0]!;
  return { keyCount, refreshedAt, workers: results.length };
}
