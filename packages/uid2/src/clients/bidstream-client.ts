// DSPs: keys from /v2/key/bidstream, then decrypt advertising tokens from bid requests.
import type { DecryptionResult } from '../types.ts';
import { decryptToken } from '../token/index.ts';
import { KeySync, type KeySyncOptions } from './key-sync.ts';

export type BidstreamClientOptions = KeySyncOptions;

export class BidstreamClient extends KeySync {
  readonly #now: () => number;

  constructor(options: BidstreamClientOptions) {
    super('/v2/key/bidstream', options);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Decrypts a bid-stream token with the bidstream lifetime rules. `domainOrAppName` (the site domain
   * or app id of the bid request) is checked against the token's site when the token was generated
   * client-side. Never throws.
   */
  decrypt(token: string, domainOrAppName?: string): DecryptionResult {
    return decryptToken(token, this.keyRing, { now: this.#now(), client: 'bidstream', domainOrAppName });
  }
}
