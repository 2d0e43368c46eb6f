// The decrypt step of the pixel path, behind the one interface it needs. The real implementation is
// the uid2 package's SharingClient (keys from /v2/key/sharing, kept fresh with jitter; the last good
// keys are kept while the operator is down), with the bulk routes' batches decrypted on threads beside
// the main thread (decrypt-threads.ts); the bench's baseline uses a bare KeyRing the same way.
import type { DecryptionResult, TokenKeyIds } from '@uid2-pixels/uid2';

/** What the intake reads of one decrypted token. */
export type OpenedToken = Pick<DecryptionResult, 'status' | 'uid' | 'siteId' | 'identityType' | 'tokenVersion'>;

/** A batch of tokens decrypted at once. */
export interface DecryptedBatch {
  readonly length: number;
  /**
   * Token i's result, with the key ids it names written into `keyIds`. The object returned is the
   * same for every call: read it before the next.
   */
  at(i: number, keyIds: TokenKeyIds): OpenedToken;
}

export interface TokenDecrypter {
  /** Never throws; status says what went wrong. Fills `keyIds`, when given, with the key ids the token names. */
  decrypt(token: string, keyIds?: TokenKeyIds): DecryptionResult;
  /**
   * Optional: decrypts a whole batch, off the main thread, with the same answers `decrypt` would give
   * now. Never rejects. `tokens` are copied before it returns.
   */
  decryptMany?(tokens: readonly string[]): Promise<DecryptedBatch>;
  /** True once keys are loaded (and through later refresh failures). */
  readonly isReady: boolean;
  /** ms since the keys in use arrived, or null when none are loaded. */
  keyAgeMs(): number | null;
}
