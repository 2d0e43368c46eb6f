// The seed fixture (fixtures/dev.json format): participants with their credentials, sharing grants and
// opt-outs. Read once, when a data dir is first created.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { OperatorError } from '../errors.ts';
import { PARTICIPANT_TYPES, ROLES } from './model.ts';

const siteId = z.number().int().min(3);

const fixtureParticipantSchema = z.object({
  siteId,
  name: z.string().min(1),
  type: z.enum(PARTICIPANT_TYPES),
  roles: z.array(z.enum(ROLES)),
  apiKey: z.string().min(16),
  secret: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes'),
  subscriptionId: z.string().min(1),
  publicKey: z.string().regex(/^(UID2|EUID)-X-[A-Z]-/),
  privateKey: z.string().regex(/^(UID2|EUID)-Y-[A-Z]-/),
  domains: z.array(z.string().min(1)),
});

const fixtureSchema = z.object({
  adminKey: z.string().min(16),
  participants: z.array(fixtureParticipantSchema),
  sharing: z
    .array(z.object({ siteId, sites: z.array(siteId).default([]), types: z.array(z.enum(PARTICIPANT_TYPES)).default([]) }))
    .default([]),
  /** Opt-outs as DII: emails, E.164 phones, or {email_hash|phone_hash}. */
  optouts: z
    .array(z.union([z.string(), z.object({ email_hash: z.string() }), z.object({ phone_hash: z.string() })]))
    .default([]),
});

export type OperatorFixture = z.infer<typeof fixtureSchema>;
export type FixtureParticipant = z.infer<typeof fixtureParticipantSchema>;

export const DEV_FIXTURE_PATH = fileURLToPath(new URL('../../fixtures/dev.json', import.meta.url));

export function parseFixture(value: unknown, source = 'fixture'): OperatorFixture {
  const parsed = fixtureSchema.safeParse(value);
  if (!parsed.success) {
    throw new OperatorError('BAD_FIXTURE', `${source}: ${z.prettifyError(parsed.error)}`);
  }
  const ids = parsed.data.participants.map((p) => p.siteId);
  if (new Set(ids).size !== ids.length) throw new OperatorError('BAD_FIXTURE', `${source}: duplicate siteId`);
  return parsed.data;
}

export function loadFixture(path: string = DEV_FIXTURE_PATH): OperatorFixture {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OperatorError('BAD_FIXTURE', `cannot read fixture ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new OperatorError('BAD_FIXTURE', `${path} is not valid JSON`, { cause });
  }
  return parseFixture(json, path);
}
