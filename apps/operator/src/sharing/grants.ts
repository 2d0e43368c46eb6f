// Changes to a sender's sharing permissions, with the portal's rules: a type chosen in bulk covers its
// members, so an individual grant to a member of such a type is refused, and choosing a type absorbs
// the individual grants it now covers.
import { OperatorError } from '../errors.ts';
import type { OperatorState, ParticipantType, SharingGrant } from '../state/model.ts';

function participantOrThrow(state: OperatorState, siteId: number) {
  const p = state.participants.find((x) => x.siteId === siteId);
  if (!p) throw new OperatorError('NOT_FOUND', `no participant with site id ${siteId}`);
  return p;
}

function grantOf(state: OperatorState, siteId: number): SharingGrant {
  participantOrThrow(state, siteId);
  let grant = state.sharing.find((g) => g.siteId === siteId);
  if (!grant) {
    grant = { siteId, sites: [], types: [] };
    state.sharing.push(grant);
  }
  return grant;
}

export function grantSites(state: OperatorState, sender: number, sites: readonly number[]): SharingGrant {
  const grant = grantOf(state, sender);
  for (const site of sites) {
    const receiver = participantOrThrow(state, site);
    if (site === sender) throw new OperatorError('INVALID_INPUT', 'a participant cannot share with itself');
    if (grant.types.includes(receiver.type)) {
      throw new OperatorError('CONFLICT', `site ${site} is a ${receiver.type}, a type already shared in bulk`);
    }
  }
  grant.sites = [...new Set([...grant.sites, ...sites])].sort((a, b) => a - b);
  return grant;
}

export function revokeSites(state: OperatorState, sender: number, sites: readonly number[]): SharingGrant {
  const grant = grantOf(state, sender);
  grant.sites = grant.sites.filter((s) => !sites.includes(s));
  return grant;
}

export function grantTypes(state: OperatorState, sender: number, types: readonly ParticipantType[]): SharingGrant {
  const grant = grantOf(state, sender);
  grant.types = [...new Set([...grant.types, ...types])].sort();
  const typeOf = new Map(state.participants.map((p) => [p.siteId, p.type]));
  grant.sites = grant.sites.filter((s) => !grant.types.includes(typeOf.get(s)!));
  return grant;
}

export function revokeTypes(state: OperatorState, sender: number, types: readonly ParticipantType[]): SharingGrant {
  const grant = grantOf(state, sender);
  grant.types = grant.types.filter((t) => !types.includes(t));
  return grant;
}
