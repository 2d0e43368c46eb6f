// Issues an identity (spec §4): a v4 advertising token for the site, a wrapped refresh token holding the
// first-level hash, and the times, in the real field order. Used by generate, client-generate and refresh.
import type { IdentityTokensJson } from '@uid2-pixels/uid2/clients/identity-tokens';
import { encodeAdvertisingToken } from '@uid2-pixels/uid2/token/encode';
import type { OperatorContext } from '../context.ts';
import type { IdentityKind } from '../identity/raw-uid.ts';
import { encodeInnerRefreshToken, wrapRefreshToken } from './refresh-token.ts';

export interface IdentityRequest {
  siteId: number;
  kind: IdentityKind;
  firstLevelHash: Uint8Array;
  privacyBits: number;
  /** When the user first logged in (kept across refreshes), ms. */
  established: number;
}

/** The identity object as the operator sends it (same type the clients read). */
export type IdentityBody = IdentityTokensJson;

/** Throws OperatorError NO_ACTIVE_KEY when a master, site or refresh key is missing. */
export function issueIdentity(ctx: OperatorContext, request: IdentityRequest, now: number): IdentityBody {
  const { lifetimes, keys, store } = ctx;
  const scope = store.salts.scope;
  const masterKey = keys.masterKey(now);
  const siteKey = keys.siteKey(request.siteId, now);
  const refreshKey = keys.refreshKey(now);
  const identityExpires = now + lifetimes.identityExpiresAfterSeconds * 1000;
  const refreshExpires = now + lifetimes.refreshExpiresAfterSeconds * 1000;

  const rawUid = store.salts.rawUidFromFirstLevelHash(request.firstLevelHash, request.kind);
  const advertisingToken = encodeAdvertisingToken(
    {
      identityScope: scope,
      identityType: request.kind,
      expires: identityExpires,
      created: now,
      siteId: request.siteId,
      privacyBits: request.privacyBits,
      established: request.established,
      refreshed: now,
      rawUid: rawUid.toString('base64'),
    },
    masterKey,
    siteKey,
  );
  const inner = encodeInnerRefreshToken(
    {
      scope,
      kind: request.kind,
      expires: refreshExpires,
      created: now,
      siteId: request.siteId,
      privacyBits: request.privacyBits,
      established: request.established,
      firstLevelHash: request.firstLevelHash,
    },
    refreshKey,
  );
  const wrapped = wrapRefreshToken(inner, refreshKey, scope);
  return {
    advertising_token: advertisingToken,
    refresh_token: wrapped.token,
    identity_expires: identityExpires,
    refresh_expires: refreshExpires,
    refresh_from: now + lifetimes.refreshIdentityAfterSeconds * 1000,
    refresh_response_key: wrapped.responseKey,
  };
}
