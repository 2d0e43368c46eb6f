// POST /v3/identity/map (MAPPER): mixed email | email_hash | phone | phone_hash arrays, answered
// positionally: {u, p, r} (current raw UID2, previous raw UID2 or null, refresh-from in seconds) or
// {e} ("optout" | "invalid identifier") (identity-map.md §1). The body is bound strictly, as the real
// operator's Jackson record is: unknown keys, null elements and non-arrays are "Incorrect request format".
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';
import { DII_FIELDS, type DiiField } from '../identity/dii-input.ts';
import { checkIdentity, countMapped, mapInChunks, UNMAPPED_INVALID, UNMAPPED_OPTOUT, type IdentityOutcome } from './identity-map.ts';

const V3_REQUIRED_MESSAGE = 'Required Parameter Missing: one or more of [email, email_hash, phone, phone_hash] must be specified';
const INCORRECT_FORMAT_MESSAGE = 'Incorrect request format';

type V3Input = { ok: true; lists: Record<DiiField, string[]> } | { ok: false; message: string };

const isField = (key: string): key is DiiField => (DII_FIELDS as readonly string[]).includes(key);

/** Reads the body like the operator's strict mapper (scalars coerce to strings, as Jackson does). */
export function readV3Input(payload: Record<string, unknown> | null): V3Input {
  if (payload === null) return { ok: false, message: V3_REQUIRED_MESSAGE };
  const keys = Object.keys(payload);
  if (keys.some((k) => !isField(k))) return { ok: false, message: INCORRECT_FORMAT_MESSAGE };
  if (keys.length === 0) return { ok: false, message: V3_REQUIRED_MESSAGE };
  const lists = { email: [], email_hash: [], phone: [], phone_hash: [] } as Record<DiiField, string[]>;
  for (const field of keys as DiiField[]) {
    const value = payload[field];
    if (value === null) continue;
    if (!Array.isArray(value)) return { ok: false, message: INCORRECT_FORMAT_MESSAGE };
    for (const element of value) {
      if (typeof element === 'string') lists[field].push(element);
      else if (typeof element === 'number' || typeof element === 'boolean') lists[field].push(String(element));
      else return { ok: false, message: INCORRECT_FORMAT_MESSAGE };
    }
  }
  return { ok: true, lists };
}

type V3Entry = { u: string; p: string | null; r: number } | { e: string };

export function identityMapV3Route(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['MAPPER'], async ({ payload, now }) => {
    const input = readV3Input(payload);
    if (!input.ok) return clientError(input.message);
    const body = {} as Record<DiiField, V3Entry[]>;
    for (const field of DII_FIELDS) {
      const outcomes: IdentityOutcome[] = [];
      body[field] = await mapInChunks(input.lists[field], (value): V3Entry => {
        const outcome = checkIdentity(ctx, field, value);
        outcomes.push(outcome);
        if (outcome.kind === 'invalid') return { e: UNMAPPED_INVALID };
        if (outcome.kind === 'optout') return { e: UNMAPPED_OPTOUT };
        const m = ctx.store.salts.mapV3(outcome.firstLevelHash, outcome.identity.kind, now);
        return { u: m.rawUid.toString('base64'), p: m.previousRawUid?.toString('base64') ?? null, r: m.refreshFrom };
      });
      countMapped(ctx, '/v3/identity/map', field, outcomes);
    }
    return success(body);
  });
}
