// Participants: a site with a type, roles, API keys, client-side key pairs, domains and a default keyset.
import { randomBytes } from 'node:crypto';
import { OperatorError } from '../errors.ts';
import type { KeySchedule } from '../config.ts';
import { addKey, addKeyset } from '../keys/keys.ts';
import { generateCstgKeypair, keypairMatches } from '../cstg/keypair.ts';
import type { OperatorState, ParticipantRecord, ParticipantType, Role } from '../state/model.ts';
import type { Scope } from '../identity/raw-uid.ts';
import { makeApiKeyRecord, newApiKey, randomAlphanumeric } from './api-keys.ts';

export interface NewParticipant {
  siteId?: number;
  name: string;
  type: ParticipantType;
  roles: Role[];
  domains?: string[];
  /** Given by a fixture; generated otherwise. */
  apiKey?: string;
  secret?: string;
  subscriptionId?: string;
  publicKey?: string;
  privateKey?: string;
}

/** What the creator sees once: the API key is stored only as a hash afterwards. */
export interface ParticipantCredentials {
  siteId: number;
  apiKey: string;
  secret: string;
  subscriptionId: string;
  publicKey: string;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function normalizeDomains(domains: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of domains) {
    const domain = d.trim().toLowerCase();
    if (!DOMAIN.test(domain)) {
      throw new OperatorError('INVALID_INPUT', `domains: ${JSON.stringify(d)} is not a host name (like shop.example or localhost: no scheme, port, path or spaces)`);
    }
    out.add(domain);
  }
  return [...out].sort();
}

export function findParticipant(state: OperatorState, siteId: number): ParticipantRecord {
  const p = state.participants.find((x) => x.siteId === siteId);
  if (!p) throw new OperatorError('NOT_FOUND', `no participant with site id ${siteId}`);
  return p;
}

/**
 * Adds a participant with its API key, its first client-side key pair (made here when the input has
 * none, under the operator's scope: `EUID-X-`/`EUID-Y-` on an EUID operator) and its default keyset.
 */
export function addParticipant(state: OperatorState, input: NewParticipant, now: number, schedule: KeySchedule, scope: Scope): ParticipantCredentials {
  const siteId = input.siteId ?? Math.max(100, ...state.participants.map((p) => p.siteId)) + 1;
  if (!Number.isSafeInteger(siteId) || siteId <= 2) throw new OperatorError('INVALID_INPUT', 'site ids start at 3');
  if (state.participants.some((p) => p.siteId === siteId)) throw new OperatorError('CONFLICT', `site id ${siteId} exists`);

  const apiKey = input.apiKey ?? newApiKey(siteId);
  const secret = input.secret ?? randomBytes(32).toString('base64');
  const subscriptionId = input.subscriptionId ?? randomAlphanumeric(10);
  if (state.participants.some((p) => p.keypairs.some((k) => k.subscriptionId === subscriptionId))) {
    throw new OperatorError('CONFLICT', `subscription id ${subscriptionId} exists`);
  }
  const pair = input.publicKey && input.privateKey ? { publicKey: input.publicKey, privateKey: input.privateKey } : generateCstgKeypair(scope);
  if (!keypairMatches(pair)) throw new OperatorError('INVALID_INPUT', `site ${siteId}: public key does not match private key`);

  state.participants.push({
    siteId,
    name: input.name,
    type: input.type,
    roles: [...new Set(input.roles)],
    domains: normalizeDomains(input.domains ?? []),
    created: now,
    apiKeys: [makeApiKeyRecord(apiKey, secret, now)],
    keypairs: [{ subscriptionId, publicKey: pair.publicKey, privateKey: pair.privateKey, created: now, disabled: false }],
  });
  const keyset = addKeyset(state, siteId, `${input.name} default`, now);
  addKey(state, keyset.keysetId, now, 0, schedule.keyLifetimeMs);
  return { siteId, apiKey, secret, subscriptionId, publicKey: pair.publicKey };
}

/** Public view of a participant for the admin API and portal: no hashes, secrets or private keys. */
export function describeParticipant(p: ParticipantRecord) {
  return {
    siteId: p.siteId,
    name: p.name,
    type: p.type,
    roles: p.roles,
    domains: p.domains,
    created: p.created,
    apiKeys: p.apiKeys.map((k) => ({ keyId: k.keyId, created: k.created, disabled: k.disabled })),
    keypairs: p.keypairs.map((k) => ({ subscriptionId: k.subscriptionId, publicKey: k.publicKey, created: k.created, disabled: k.disabled })),
  };
}
