// Who may use which keyset (spec §8.3), with the portal's sharing grants as the ACL.
// Types are expanded to sites when asked, not when granted, so a participant of a shared type that
// joins later is covered at once (the portal's "current and future members").
import { MASTER_KEYSET_ID, REFRESH_KEYSET_ID, type KeysetRecord, type ParticipantRecord, type SharingGrant } from '../state/model.ts';

/** The site ids a sender's keysets are shared with right now. */
export function allowedSites(grant: SharingGrant | undefined, participants: readonly ParticipantRecord[]): Set<number> {
  const sites = new Set<number>(grant?.sites ?? []);
  if (grant && grant.types.length > 0) {
    for (const p of participants) if (grant.types.includes(p.type)) sites.add(p.siteId);
  }
  sites.delete(grant?.siteId ?? Number.NaN);
  return sites;
}

export interface AccessContext {
  participants: readonly ParticipantRecord[];
  sharing: readonly SharingGrant[];
}

/** Builds a check for one caller that answers per keyset; grants are looked up once per sender. */
export function keysetAccessFor(caller: ParticipantRecord, ctx: AccessContext): (keyset: KeysetRecord) => boolean {
  const cache = new Map<number, boolean>();
  return (keyset) => {
    if (keyset.keysetId === MASTER_KEYSET_ID) return true;
    if (keyset.keysetId === REFRESH_KEYSET_ID || !keyset.enabled) return false;
    if (keyset.siteId === caller.siteId) return true;
    let shared = cache.get(keyset.siteId);
    if (shared === undefined) {
      const grant = ctx.sharing.find((g) => g.siteId === keyset.siteId);
      shared = allowedSites(grant, ctx.participants).has(caller.siteId);
      cache.set(keyset.siteId, shared);
    }
    return shared;
  };
}
