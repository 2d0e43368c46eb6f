// Sharing participants (pixel senders and receivers): keys from /v2/key/sharing, then encrypt raw
// UID2s into sharing tokens and decrypt the tokens other participants shared with us.
import type { DecryptionResult, EncryptionResult } from '../types.ts';
import { decryptToken, encryptRawUid, type TokenKeyIds } from '../token/index.ts';
import { KeySync, type KeySyncOptions } from './key-sync.ts';

export type SharingClientOptions = KeySyncOptions;

export interface SharingEncryptOptions {
  /** Encrypt with this keyset instead of the caller's default keyset. */
  keysetId?: number;
}

export class SharingClient extends KeySync {
  readonly #now: () => number;

  constructor(options: SharingClientOptions) {
    super('/v2/key/sharing', options);
    this.#now = options.now ?? Date.now;
  }

  /** Encrypts a raw UID2 into a sharing token. Never throws; the status says what went wrong. */
  encrypt(rawUid: string, options: SharingEncryptOptions = {}): EncryptionResult {
    return encryptRawUid(rawUid, this.keyRing, { now: this.#now(), keysetId: options.keysetId });
  }

  /**
   * Decrypts a sharing token with the sharing lifetime rules. Never throws. `keyIds`, when given, is
   * filled with the key ids the token names (see TokenKeyIds), whatever the status.
   */
  decrypt(token: string, keyIds?: TokenKeyIds): DecryptionResult {
    return decryptToken(token, this.keyRing, keyIds === undefined ? { now: this.#now(), client: 'sharing' } : { now: this.#now(), client: 'sharing', keyIds });
  }
}
