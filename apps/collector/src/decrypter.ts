// The decrypt step of the pixel path, behind the one interface it needs. The real implementation is
// the uid2 package's SharingClient (keys from /v2/key/sharing, kept fresh with jitter; the last good
// keys are kept while the operator is down); the bench's baseline uses a bare KeyRing the same way.
import type { DecryptionResult, TokenKeyIds } from '@uid2-pixels/uid2';

export interface TokenDecrypter {
  /** Never throws; status says what went wrong. Fills `keyIds`, when given, with the key ids the token names. */
  decrypt(token: string, keyIds?: TokenKeyIds): DecryptionResult;
  /** True once keys are loaded (and through later refresh failures). */
  readonly isReady: boolean;
  /** ms since the keys in use arrived, or null when none are loaded. */
  keyAgeMs(): number | null;
}
