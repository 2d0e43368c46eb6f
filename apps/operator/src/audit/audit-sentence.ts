// An audit entry as a sentence a person reads ("Site 101 (Acme Shop) now shares with site 104 (Lumen)"),
// for the portal. Built only from the entry's data, which holds ids, names, types and counts (no DII).
import type { AuditEntry } from './audit-trail.ts';

/** Names a site for a sentence: "site 101 (Acme Shop)", or "site 101" when the name is unknown. */
export type SiteNamer = (siteId: number) => string | undefined;

type Data = Record<string, unknown>;

const list = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? 'nobody') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
const nums = (value: unknown): number[] => (Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : []);
const strs = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const TYPE_NAME: Record<string, string> = { DSP: 'DSP', ADVERTISER: 'advertiser', DATA_PROVIDER: 'data provider', PUBLISHER: 'publisher' };
const KIND: Record<string, string> = { Email: 'an email', Phone: 'a phone number' };

/** [what happened, what was tried] for one entry; the second reads after "Could not". */
function phrases(entry: AuditEntry, site: (id: unknown) => string): [done: string, tried: string] {
  const d: Data = entry.data;
  const action = d.action;
  switch (entry.event) {
    case 'Seed Data Dir': {
      const sites = nums(d.participants).map((id) => String(id));
      const text = `the data dir from the fixture: participants ${list(sites)}, ${plural(Number(d.sharing) || 0, 'sharing grant')}, ${plural(Number(d.optouts) || 0, 'opt-out')}`;
      return [`Created ${text}`, `create ${text}`];
    }
    case 'Manage Participant': {
      if (action === 'create') {
        const what = `“${String(d.name ?? '')}” (${String(d.type ?? '')})`;
        return [`Added participant ${String(d.siteId ?? '')} ${what}`.replace('  ', ' '), `add participant ${what}`];
      }
      const fields = list(strs(d.fields));
      return [`Changed the ${fields} of ${site(d.siteId)}`, `change the ${fields} of ${site(d.siteId)}`];
    }
    case 'Update Domain Names':
      return [`Changed the domains of ${site(d.siteId)}`, `change the domains of ${site(d.siteId)}`];
    case 'Manage API Key':
      return action === 'disable'
        ? [`Disabled API key ${String(d.keyId)} of ${site(d.siteId)}`, `disable API key ${String(d.keyId)} of ${site(d.siteId)}`]
        : [`Created API key ${String(d.keyId)} for ${site(d.siteId)}`, `create an API key for ${site(d.siteId)}`];
    case 'Manage Key Pair':
      return action === 'disable'
        ? [`Disabled client-side key pair ${String(d.subscriptionId)} of ${site(d.siteId)}`, `disable key pair ${String(d.subscriptionId)} of ${site(d.siteId)}`]
        : [`Created client-side key pair ${String(d.subscriptionId)} for ${site(d.siteId)}`, `create a key pair for ${site(d.siteId)}`];
    case 'Update Sharing Types': {
      const types = `every ${list(strs(d.types).map((t) => TYPE_NAME[t] ?? t))}`;
      const sender = capitalise(site(d.siteId));
      return action === 'revoke'
        ? [`${sender} stopped sharing with ${types} (by type)`, `stop ${site(d.siteId)} sharing with ${types}`]
        : [`${sender} now shares with ${types} (by type, future ones included)`, `let ${site(d.siteId)} share with ${types}`];
    }
    case 'Update Sharing Permissions': {
      const receivers = list(nums(d.sites).map(site));
      const sender = capitalise(site(d.siteId));
      return action === 'revoke'
        ? [`${sender} stopped sharing with ${receivers}`, `stop ${site(d.siteId)} sharing with ${receivers}`]
        : [`${sender} now shares with ${receivers}`, `let ${site(d.siteId)} share with ${receivers}`];
    }
    case 'Rotate Keys': {
      const added = Array.isArray(d.added) ? (d.added as Array<{ id?: unknown }>).map((k) => String(k.id)) : [];
      const removed = nums(d.removed).length;
      const tail = removed > 0 ? `; removed ${plural(removed, 'expired key')}` : '';
      return [`Rotated keys: ${plural(added.length, 'new key')}${added.length ? ` (${added.join(', ')})` : ''}${tail}`, 'rotate keys'];
    }
    case 'Rotate Salts': {
      const rotated = Number(d.rotated) || 0;
      const of = typeof d.total === 'number' ? ` of ${d.total}` : typeof d.checked === 'number' ? ` of ${d.checked} due` : '';
      return [`Rotated ${plural(rotated, 'salt bucket')}${of}`, 'rotate salt buckets'];
    }
    case 'Manage Opt-out': {
      const kind = KIND[String(d.kind)] ?? 'an identity';
      if (action === 'repeat') return [`Submitted ${kind} that was already opted out (no change)`, `opt out ${kind}`];
      return [`Opted out ${kind}`, `opt out ${kind}`];
    }
  }
  return [String(entry.event), String(entry.event).toLowerCase()];
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export function auditSentence(entry: AuditEntry, nameOf: SiteNamer): string {
  const site = (id: unknown): string => {
    if (typeof id !== 'number') return 'a site';
    const name = nameOf(id);
    return name ? `site ${id} (${name})` : `site ${id}`;
  };
  const [done, tried] = phrases(entry, site);
  if (entry.succeeded) return `${done}.`;
  const why = typeof entry.data.error === 'string' ? `: ${entry.data.error}` : '';
  return `Could not ${tried}${why}.`;
}
