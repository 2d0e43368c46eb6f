// decryptToken: what a sharing or bidstream receiver gets for an advertising token, with the SDKs'
// checks in the SDKs' order (operator-api.md §9.5; the shared vectors pin every status and field):
//   no ring -> NotInitialized; ring past its last key expiry -> KeysNotSynced; bad text/bytes ->
//   InvalidPayload / VersionNotSupported; unknown master key -> NotAuthorizedForMasterKey; expired
//   (checked as soon as the master layer is open, so it beats a missing site key) -> ExpiredToken;
//   unknown site key -> NotAuthorizedForKey; lifetime over the client's maximum or "generated" too far
//   in the future -> InvalidTokenLifetime; bidstream + client-side generated + domain/app not the
//   site's -> DomainNameCheckFailed; else Success.
//
// A sharing token (30-day lifetime) fails a bidstream receiver's max_bidstream_lifetime_seconds
// check: that is how the SDKs keep sharing tokens out of the bid stream, and so do we.
//
// Deliberate divergences from the Python SDK (each asserted by name in test/token-vectors.test.ts):
//   strict base64 (junk or spaces -> InvalidPayload), privacy bit 1 = client-side generated (mask 0x2),
//   malformed input never throws, and `uid` is null for every non-Success status (the SDK returns the
//   uid of a v2 token that fails the lifetime check; a receiver that fails a check gets nothing).
//   Header authenticity: byte 0 of a v3/v4 token sits outside both AES-GCM layers and the SDK reads
//   it unchecked, so a flipped bit could still decrypt and, for one bit, file an email UID2 as a phone.
//   We require the bits the operator always writes one way (low two set, top three clear; checked in
//   the clear header before any key lookup, so a bad header costs no crypto) and, when
//   the raw UID has its own prefix byte (33 bytes), the header's scope and type to equal the prefix's;
//   otherwise InvalidPayload. The scope reported stays the keys' scope (as in the SDK), so a header
//   scope bit can never change it. Left open by the format: a 32-byte (v2) raw UID has no prefix, so
//   for it the header's type is the only statement of the type and cannot be authenticated.
import type { ClientKind, DecryptionResult, DecryptionStatus, IdentityScope, IdentityType, TokenVersion } from '../types.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { openAdvertisingTokenUnguarded, type OpenedAdvertisingToken } from './open.ts';
import { isClientSideGenerated } from './privacy-bits.ts';
import { scopeAndTypeBits } from './layout.ts';

export interface DecryptOptions {
  /** Clock, ms. Defaults to Date.now(). */
  now?: number;
  /** Whose checks apply. Default 'sharing'. */
  client?: ClientKind;
  /** Bidstream only: the domain or app name the bid request came from (checked for CSTG tokens). */
  domainOrAppName?: string;
  /**
   * Filled with the ids of the keys the token names, whatever the status (see TokenKeyIds). Lets a
   * receiver say whose key a token it could not open was sealed with, at the cost of two field writes.
   */
  keyIds?: TokenKeyIds;
}

/**
 * The key ids a token names, as far as its layers opened. The master key id is in the token's clear
 * header; the site key id (the sender's key) sits inside the master layer, so it is known only when the
 * master key is ours: a receiver learns it even for a token sealed with a site key it does not hold
 * (NotAuthorizedForKey), which is how it can still say whose token that was. A token whose clear header
 * has a bad fixed bit is not opened at all (no crypto), so it names its master key id only. null: not reached.
 */
export interface TokenKeyIds {
  masterKeyId: number | null;
  siteKeyId: number | null;
}

function result(
  status: DecryptionStatus,
  uid: string | null,
  siteId: number | null,
  siteKeySiteId: number | null,
  established: number | null,
  identityType: IdentityType | null,
  identityScope: IdentityScope | null,
  tokenVersion: TokenVersion | null,
  isCsg: boolean | null,
  expires: number | null,
): DecryptionResult {
  return { status, uid, siteId, siteKeySiteId, established, identityType, identityScope, tokenVersion, isClientSideGenerated: isCsg, expires };
}

/** A result that says nothing but its status. */
export function emptyDecryptionResult(status: DecryptionStatus): DecryptionResult {
  return result(status, null, null, null, null, null, null, null, null, null);
}

/**
 * Fields known once the master layer is open (ExpiredToken, NotAuthorizedForKey). v2 tokens predate
 * client-side generation, so the SDK states false for them instead of unknown.
 */
function afterMaster(status: DecryptionStatus, o: OpenedAdvertisingToken, scope: IdentityScope): DecryptionResult {
  return result(status, null, null, null, null, o.identityType, scope, o.version, o.version === 2 ? false : null, o.expires);
}

/** Everything the token says, with or without the uid. */
function full(status: DecryptionStatus, o: OpenedAdvertisingToken, scope: IdentityScope, withUid: boolean): DecryptionResult {
  return result(
    status,
    withUid ? o.uid : null,
    o.siteId,
    // Keys from /v2/key/sharing carry no site id; the SDKs report -1 for "not stated".
    o.siteKey?.siteId ?? -1,
    o.established,
    o.identityType,
    scope,
    o.version,
    isClientSideGenerated(o.privacyBits ?? 0),
    o.expires,
  );
}

/**
 * decryptToken without its last-resort try/catch, for the property tests that prove the guard is never
 * needed. Use decryptToken.
 */
export function decryptTokenUnguarded(token: string, ring: KeyRing | null | undefined, opts?: DecryptOptions): DecryptionResult {
  if (opts?.keyIds !== undefined) opts.keyIds.masterKeyId = opts.keyIds.siteKeyId = null;
  if (ring === null || ring === undefined) return emptyDecryptionResult('NotInitialized');
  const now = opts?.now ?? Date.now();
  if (!ring.isValid(now)) return emptyDecryptionResult('KeysNotSynced');
  // strictHeader: header bits the operator always writes one way (a divergence: the SDK does not look),
  // checked in the clear header before any key lookup or decryption; a bad one stops as InvalidPayload.
  const o = openAdvertisingTokenUnguarded(token, ring.lookupKey, true);
  const keyIds = opts?.keyIds;
  if (keyIds !== undefined) {
    keyIds.masterKeyId = o.masterKeyId;
    keyIds.siteKeyId = o.siteKeyId;
  }
  // The token header's scope is not reported: the SDKs report the key body's scope.
  const scope = ring.identityScope;
  if (o.expires === null) {
    // Stopped before the master layer opened.
    return emptyDecryptionResult(o.status === 'Success' ? 'InvalidPayload' : o.status);
  }
  if (now > o.expires) return afterMaster('ExpiredToken', o, scope);
  if (o.status === 'NotAuthorizedForKey') return afterMaster('NotAuthorizedForKey', o, scope);
  if (o.status !== 'Success') return emptyDecryptionResult(o.status);
  // The header's scope and type must be the raw UID's own (a divergence: the SDK does not compare).
  const raw = o.rawUid;
  if (o.identityByte !== null && raw !== null && raw.length === 33 && scopeAndTypeBits(raw[0] as number) !== scopeAndTypeBits(o.identityByte)) {
    return emptyDecryptionResult('InvalidPayload');
  }

  const bidstream = opts?.client === 'bidstream';
  // v2 has no "generated" time; the SDKs measure its remaining lifetime from now.
  const generated = o.created ?? now;
  const maxLifetime = bidstream ? ring.maxBidstreamLifetimeSeconds : ring.maxSharingLifetimeSeconds;
  if (
    (maxLifetime !== null && (o.expires as number) - generated > maxLifetime * 1000) ||
    generated - now > ring.allowClockSkewSeconds * 1000
  ) {
    return full('InvalidTokenLifetime', o, scope, false);
  }
  if (bidstream && isClientSideGenerated(o.privacyBits ?? 0) && !ring.isDomainOrAppNameAllowedForSite(o.siteId as number, opts?.domainOrAppName)) {
    return full('DomainNameCheckFailed', o, scope, false);
  }
  return full('Success', o, scope, true);
}

/**
 * Decrypts an advertising token as a sharing (default) or bidstream receiver. Never throws: any input,
 * of any type, yields a DecryptionResult. `uid` is non-null only when status is 'Success'.
 */
export function decryptToken(token: string, ring: KeyRing | null | undefined, opts?: DecryptOptions): DecryptionResult {
  try {
    return decryptTokenUnguarded(token, ring, opts);
  } catch {
    if (opts?.keyIds !== undefined) opts.keyIds.masterKeyId = opts.keyIds.siteKeyId = null;
    // Last guard: the code paths above bound every read; this only keeps a bug from becoming a crash.
    return emptyDecryptionResult('InvalidPayload');
  }
}
