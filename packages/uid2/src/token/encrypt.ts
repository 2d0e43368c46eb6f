// encryptRawUid: a sharing sender turns a raw UID2 into a v4 sharing token with its /v2/key/sharing
// keys, as the SDKs' SharingClient.encrypt_raw_uid_into_token does (operator-api.md §9.3):
//   master key = active key of master_keyset_id; site key = active key of the given keyset or
//   default_keyset_id; site id = caller_site_id; times truncated to whole seconds (so our bytes match
//   the SDK's with the same IVs); expires = now + token_expiry_seconds; privacy bits 0 (the SDKs write
//   none for sharing tokens); identity scope from the key body.
// Identity type: a 33-byte raw UID states it in bit 2 of its first byte (v3 and v4 raw UIDs alike); a
// legacy 32-byte raw UID does not, so we follow the SDK's rule (first base64 char 'B' or 'F' = Phone)
// to stay byte-compatible. The Python SDK applies that char rule to 33-byte UIDs too, which mis-types
// v4 phone raw UIDs (they start with 'J', 'N', ...); we read the bit.
import type { EncryptionResult, EncryptionStatus, IdentityType } from '../types.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { decodeRawUid, encodeAdvertisingToken } from './encode.ts';

export interface EncryptRawUidOptions {
  /** Clock, ms. Defaults to Date.now(). */
  now?: number;
  /** Keyset to seal the site layer with; defaults to the body's default_keyset_id. */
  keysetId?: number;
  /** Fixed AES-GCM IVs for known-answer tests. */
  ivs?: { site: Uint8Array; master: Uint8Array };
}

function failure(status: EncryptionStatus): EncryptionResult {
  return { status, token: null };
}

/** The identity type a raw UID implies (see the header comment for the 32-byte rule). */
export function identityTypeOfRawUid(rawUid: string, bytes: Uint8Array): IdentityType {
  if (bytes.length === 33) return ((bytes[0] as number) >> 2) & 1 ? 'Phone' : 'Email';
  const c = rawUid.charCodeAt(0);
  return c === 66 /* B */ || c === 70 /* F */ ? 'Phone' : 'Email';
}

/** Never throws; every failure is a status. */
export function encryptRawUid(rawUid: string, ring: KeyRing | null | undefined, opts?: EncryptRawUidOptions): EncryptionResult {
  try {
    if (ring === null || ring === undefined) return failure('NotInitialized');
    const now = opts?.now ?? Date.now();
    if (!ring.isValid(now)) return failure('KeysNotSynced');
    // Without caller_site_id there is no site to put in the token (the Python SDK returns None here).
    if (ring.callerSiteId === null) return failure('EncryptionFailure');
    const masterKey = ring.masterKeysetId === null ? undefined : ring.activeKey(ring.masterKeysetId, now);
    if (masterKey === undefined) return failure('NotAuthorizedForMasterKey');
    const keysetId = opts?.keysetId ?? ring.defaultKeysetId;
    const siteKey = keysetId === null ? undefined : ring.activeKey(keysetId, now);
    if (siteKey === undefined) return failure('NotAuthorizedForKey');
    const bytes = typeof rawUid === 'string' ? decodeRawUid(rawUid) : null;
    if (bytes === null) return failure('EncryptionFailure');

    const nowSeconds = Math.floor(now / 1000) * 1000;
    const token = encodeAdvertisingToken(
      {
        identityScope: ring.identityScope,
        identityType: identityTypeOfRawUid(rawUid, bytes),
        expires: nowSeconds + ring.tokenExpirySeconds * 1000,
        created: nowSeconds,
        siteId: ring.callerSiteId,
        privacyBits: 0,
        established: nowSeconds,
        refreshed: nowSeconds,
        rawUid,
      },
      masterKey,
      siteKey,
      opts?.ivs ? { ivs: opts.ivs } : undefined,
    );
    return { status: 'Success', token };
  } catch {
    return failure('EncryptionFailure');
  }
}
