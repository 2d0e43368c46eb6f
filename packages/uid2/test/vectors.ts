// Loads the shared UID2 interoperability vectors (generated with the official Python SDK). They live
// outside the repository, beside the clone: <repo>/../shared/vectors.
import { readFileSync } from 'node:fs';

export interface VectorExpected {
  outcome: 'returned' | 'raised';
  status: string;
  uid: string | null;
  site_id: number | null;
  site_key_site_id: number | null;
  established_ms: number | null;
  identity_type: 'Email' | 'Phone' | null;
  identity_scope: 'UID2' | 'EUID' | null;
  advertising_token_version: number | null;
  is_client_side_generated: boolean | null;
  expiry_ms: number | null;
}

export interface TokenCase {
  id: string;
  description: string;
  tags: string[];
  keyset: string;
  client: 'sharing' | 'bidstream';
  token: string;
  now_ms: number;
  match: 'exact' | 'not-success';
  expected: VectorExpected;
  note?: string;
}

export interface TokenDetails {
  first_byte: number;
  identity_scope_bit: number;
  identity_type_bits: number;
  version_byte: number;
  master_key_id: number;
  master_nonce_b64: string;
  expiry_ms: number;
  generated_ms: number;
  operator_site_id: number;
  operator_type: number;
  operator_version: number;
  operator_key_id: number;
  site_key_id: number;
  site_nonce_b64: string;
  site_id: number;
  publisher_id: number;
  client_key_id: number;
  privacy_bits: number;
  established_ms: number;
  refreshed_ms: number;
  raw_uid_b64: string;
}

export interface EncryptCase {
  id: string;
  description: string;
  tags: string[];
  keyset: string;
  raw_uid: string;
  keyset_id: number | null;
  now_ms: number;
  expected_encrypt: { status: string | null; token: string | null; sdk_returned?: string };
  token_details?: TokenDetails | null;
  decrypt?: Array<{ client: 'sharing' | 'bidstream'; now_ms: number; expected: VectorExpected }>;
}

export interface Vectors {
  keys: Record<string, unknown>;
  keysets: Record<string, Record<string, unknown>>;
  cases: TokenCase[];
  sharing_encrypt: EncryptCase[];
}

export const vectorsUrl = new URL('../../../../shared/vectors/uid2-sdk-vectors.json', import.meta.url);
export const vectors: Vectors = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as Vectors;

/** Python SDK enum member names -> our status names (same meaning, different spelling). */
export const STATUS_FROM_SDK: Record<string, string> = {
  SUCCESS: 'Success',
  NOT_AUTHORIZED_FOR_KEY: 'NotAuthorizedForKey',
  NOT_AUTHORIZED_FOR_MASTER_KEY: 'NotAuthorizedForMasterKey',
  NOT_INITIALIZED: 'NotInitialized',
  INVALID_PAYLOAD: 'InvalidPayload',
  EXPIRED_TOKEN: 'ExpiredToken',
  KEYS_NOT_SYNCED: 'KeysNotSynced',
  VERSION_NOT_SUPPORTED: 'VersionNotSupported',
  INVALID_TOKEN_LIFETIME: 'InvalidTokenLifetime',
  ENCRYPTION_FAILURE: 'EncryptionFailure',
};

/** advertising_token_version (the SDK's enum value) -> our TokenVersion. */
export const VERSION_FROM_SDK: Record<number, 2 | 3 | 4> = { 2: 2, 112: 3, 128: 4 };
