// POST /v2/key/sharing (SHARER or ID_READER) and /v2/key/bidstream (ID_READER): the keys a caller may
// use (spec §3.4, §8.3): its own keysets, keysets shared with it, and the master keyset.
import type { RequestHandler } from 'express';
import { MASTER_KEYSET_ID_FOR_SDKS, TOKEN_LIFETIME_TOLERANCE_SECONDS } from '../config.ts';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute, type EnvelopeCall } from '../http/envelope-route.ts';
import { success } from '../http/respond.ts';
import { defaultKeysetOf } from '../keys/keys.ts';
import { keysetAccessFor } from '../sharing/acl.ts';
import { MASTER_KEYSET_ID, REFRESH_KEYSET_ID, type KeyRecord, type KeysetRecord, type ParticipantRecord } from '../state/model.ts';

const seconds = (ms: number): number => Math.floor(ms / 1000);

interface AccessibleKey {
  key: KeyRecord;
  keyset: KeysetRecord;
}

/** Every key the caller may use, sorted by id; no filtering on activation or expiry (as the operator). */
function accessibleKeys(ctx: OperatorContext, caller: ParticipantRecord): AccessibleKey[] {
  const { keysets, keys, participants, sharing } = ctx.store.state;
  const canAccess = keysetAccessFor(caller, { participants, sharing });
  const byId = new Map(keysets.map((k) => [k.keysetId, k]));
  const out: AccessibleKey[] = [];
  for (const key of keys) {
    const keyset = byId.get(key.keysetId);
    if (keyset && keyset.keysetId !== REFRESH_KEYSET_ID && canAccess(keyset)) out.push({ key, keyset });
  }
  return out.sort((a, b) => a.key.id - b.key.id);
}

function keyJson({ key }: AccessibleKey, keysetId?: number) {
  return {
    id: key.id,
    ...(keysetId === undefined ? {} : { keyset_id: keysetId }),
    created: seconds(key.created),
    activates: seconds(key.activates),
    expires: seconds(key.expires),
    secret: key.secret,
  };
}

/** `site_data`: domains of each site owning a returned keyset, for SDK domain checks on CSTG tokens. */
function siteData(ctx: OperatorContext, keys: AccessibleKey[]) {
  const siteIds = [...new Set(keys.map((k) => k.keyset.siteId))].sort((a, b) => a - b);
  const out: { id: number; domain_names: string[] }[] = [];
  for (const id of siteIds) {
    const site = ctx.store.state.participants.find((p) => p.siteId === id);
    if (site && site.domains.length > 0) out.push({ id, domain_names: [...site.domains].sort() });
  }
  return out;
}

function sharingBody(ctx: OperatorContext, { client }: EnvelopeCall) {
  const caller = client.participant;
  const keys = accessibleKeys(ctx, caller);
  const defaultKeyset = defaultKeysetOf(ctx.store.state.keysets, caller.siteId);
  const sharingExpiry = ctx.lifetimes.sharingTokenExpirySeconds;
  return {
    caller_site_id: caller.siteId,
    master_keyset_id: MASTER_KEYSET_ID_FOR_SDKS,
    ...(defaultKeyset ? { default_keyset_id: defaultKeyset.keysetId } : {}),
    token_expiry_seconds: String(sharingExpiry),
    ...(caller.roles.includes('SHARER') ? { max_sharing_lifetime_seconds: sharingExpiry + TOKEN_LIFETIME_TOLERANCE_SECONDS } : {}),
    identity_scope: ctx.store.salts.scope,
    allow_clock_skew_seconds: ctx.lifetimes.allowClockSkewSeconds,
    keys: keys.map((k) =>
      keyJson(
        k,
        k.keyset.keysetId === MASTER_KEYSET_ID ? MASTER_KEYSET_ID_FOR_SDKS : k.keyset.siteId === caller.siteId ? k.keyset.keysetId : undefined,
      ),
    ),
    site_data: siteData(ctx, keys),
  };
}

function bidstreamBody(ctx: OperatorContext, { client }: EnvelopeCall) {
  const keys = accessibleKeys(ctx, client.participant);
  return {
    max_bidstream_lifetime_seconds: ctx.lifetimes.identityExpiresAfterSeconds + TOKEN_LIFETIME_TOLERANCE_SECONDS,
    identity_scope: ctx.store.salts.scope,
    allow_clock_skew_seconds: ctx.lifetimes.allowClockSkewSeconds,
    keys: keys.map((k) => keyJson(k)),
    site_data: siteData(ctx, keys),
  };
}

export function keySharingRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['SHARER', 'ID_READER'], (call) => success(sharingBody(ctx, call)));
}

export function keyBidstreamRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['ID_READER'], (call) => success(bidstreamBody(ctx, call)));
}
