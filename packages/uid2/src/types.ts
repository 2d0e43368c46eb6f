// The shared vocabulary of the codec: statuses, identity kinds and result shapes. Times are ms.

export type DecryptionStatus =
  | 'Success'
  | 'NotAuthorizedForKey'
  | 'NotAuthorizedForMasterKey'
  | 'NotInitialized'
  | 'InvalidPayload'
  | 'ExpiredToken'
  | 'KeysNotSynced'
  | 'VersionNotSupported'
  | 'InvalidTokenLifetime'
  | 'DomainNameCheckFailed';

export type EncryptionStatus =
  | 'Success'
  | 'NotAuthorizedForKey'
  | 'NotAuthorizedForMasterKey'
  | 'NotInitialized'
  | 'KeysNotSynced'
  | 'EncryptionFailure';

export type IdentityType = 'Email' | 'Phone';
export type IdentityScope = 'UID2' | 'EUID';
export type TokenVersion = 2 | 3 | 4;

/** Which SDK client's checks apply when decrypting: sharing tokens or bid-stream tokens. */
export type ClientKind = 'sharing' | 'bidstream';

export interface DecryptionResult {
  status: DecryptionStatus;
  /** The raw UID2 (base64, 44 characters). null unless status is Success. */
  uid: string | null;
  siteId: number | null;
  siteKeySiteId: number | null;
  established: number | null;
  identityType: IdentityType | null;
  identityScope: IdentityScope | null;
  tokenVersion: TokenVersion | null;
  isClientSideGenerated: boolean | null;
  expires: number | null;
}

export interface EncryptionResult {
  status: EncryptionStatus;
  token: string | null;
}

/** One key of a keyset, as /v2/key/sharing and /v2/key/bidstream publish it (times converted to ms). */
export interface Key {
  id: number;
  keysetId: number | null;
  siteId: number | null;
  created: number;
  activates: number;
  expires: number;
  secret: Uint8Array;
}
