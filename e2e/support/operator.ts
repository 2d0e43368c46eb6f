// What the e2e specs ask the real operator: the raw UID2 it derives for an email (POST /v2/identity/map
// with a MAPPER key, as a data provider would), and admin reads (opt-outs) over its admin API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { postEnveloped } from '@uid2-pixels/uid2';
import { repoRoot, type RunningStack } from './stack.ts';

interface DevFixture {
  adminKey: string;
  participants: Array<{ siteId: number; name: string; apiKey: string; secret: string; subscriptionId: string; publicKey: string }>;
}

/** The dev fixture the stack's operator was seeded from. */
export const devFixture: DevFixture = JSON.parse(readFileSync(join(repoRoot, 'apps/operator/fixtures/dev.json'), 'utf8'));
export const ADMIN_KEY = devFixture.adminKey;

export function participant(siteId: number) {
  const found = devFixture.participants.find((p) => p.siteId === siteId);
  if (!found) throw new Error(`no participant ${siteId} in the dev fixture`);
  return found;
}

export async function admin<T = unknown>(stack: RunningStack, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.api.operator}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'X-Audit-User': 'e2e', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`admin ${method} ${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const mappers = new WeakMap<RunningStack, Promise<{ apiKey: string; secret: string }>>();

/**
 * A MAPPER credential for identity lookups, created once per stack through the admin API. It is an
 * advertiser by type with no sharing role, so it receives nothing the story's grants cover.
 */
function mapper(stack: RunningStack): Promise<{ apiKey: string; secret: string }> {
  let credentials = mappers.get(stack);
  if (!credentials) {
    credentials = admin<{ credentials: { apiKey: string; secret: string } }>(stack, 'POST', '/participants', {
      name: 'E2E identity check',
      type: 'ADVERTISER',
      roles: ['MAPPER'],
    }).then((out) => out.credentials);
    mappers.set(stack, credentials);
  }
  return credentials;
}

/** The raw UID2 the operator derives for this email (null when it is opted out). */
export async function rawUidFor(stack: RunningStack, email: string): Promise<string | null> {
  const { apiKey, secret } = await mapper(stack);
  const answer = await postEnveloped({ baseUrl: stack.api.operator, apiKey, secret }, '/v2/identity/map', { email: [email] });
  const body = answer.body as { mapped: Array<{ advertising_id: string }>; unmapped?: Array<{ reason: string }> };
  if (answer.status !== 'success') throw new Error(`identity map: ${answer.status}`);
  return body.mapped[0]?.advertising_id ?? null;
}

/** Raw UID2s of every opted-out identity, as the operator's admin API lists them. */
export async function optedOutRawUids(stack: RunningStack): Promise<string[]> {
  const out = await admin<{ optouts: Array<{ advertising_id: string }> }>(stack, 'GET', '/optouts');
  return out.optouts.map((o) => o.advertising_id);
}
