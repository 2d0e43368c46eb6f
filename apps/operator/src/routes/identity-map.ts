// POST /v2/identity/map (MAPPER): DII to raw UID2s (identity-map.md §2). Exactly one non-empty array of
// email | email_hash | phone | phone_hash; all present arrays empty is a 200 with nothing mapped.
// Each identifier reads top to bottom as: validate -> opt-out (by first-level hash) -> map.
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';
import { DII_FIELDS, EXACTLY_ONE_MESSAGE, identityFromField, type DiiField, type IdentityInput } from '../identity/dii-input.ts';

export const UNMAPPED_OPTOUT = 'optout';
export const UNMAPPED_INVALID = 'invalid identifier';

export type IdentityOutcome =
  | { kind: 'invalid' }
  | { kind: 'optout' }
  | { kind: 'mapped'; identity: IdentityInput; firstLevelHash: Buffer };

/** One identifier of a map request: invalid, opted out, or ready to map (with its first-level hash). */
export function checkIdentity(ctx: OperatorContext, field: DiiField, value: unknown): IdentityOutcome {
  const identity = identityFromField(field, value);
  if (!identity) return { kind: 'invalid' };
  const firstLevelHash = ctx.store.salts.firstLevelHash(identity.hash);
  if (ctx.optouts.isOptedOut(firstLevelHash, 'generate', ctx.store.state.optouts)) return { kind: 'optout' };
  return { kind: 'mapped', identity, firstLevelHash };
}

/** Counts a request's identifiers and unmapped answers in the operator's metrics. */
export function countMapped(ctx: OperatorContext, path: string, field: DiiField, outcomes: readonly IdentityOutcome[]): void {
  if (outcomes.length === 0) return;
  ctx.metrics.identityMapInputs.inc({ path, dii_type: field }, outcomes.length);
  const optout = outcomes.filter((o) => o.kind === 'optout').length;
  const invalid = outcomes.filter((o) => o.kind === 'invalid').length;
  if (optout) ctx.metrics.identityMapUnmapped.inc({ reason: 'optout' }, optout);
  if (invalid) ctx.metrics.identityMapUnmapped.inc({ reason: 'invalid' }, invalid);
}

/** Identifiers handled between two yields to the event loop: a 1 MiB request must not stall other callers. */
const MAP_CHUNK = 500;

/** `values.map(fn)`, yielding to other requests after every MAP_CHUNK values. */
export async function mapInChunks<T, R>(values: readonly T[], fn: (value: T) => R): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < values.length; start += MAP_CHUNK) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const value of values.slice(start, start + MAP_CHUNK)) out.push(fn(value));
  }
  return out;
}

type V2Input = { ok: true; field: DiiField | null; values: unknown[] } | { ok: false; message: string };

/** The real operator's reading of a v2 body: null fields count as absent, empty arrays as given. */
export function readV2Input(payload: Record<string, unknown> | null): V2Input {
  const present = DII_FIELDS.filter((f) => payload?.[f] !== undefined && payload?.[f] !== null);
  if (present.length === 0) return { ok: false, message: EXACTLY_ONE_MESSAGE };
  for (const f of present) if (!Array.isArray(payload![f])) return { ok: false, message: `${f} must be an array` };
  const nonEmpty = present.filter((f) => (payload![f] as unknown[]).length > 0);
  if (nonEmpty.length > 1) return { ok: false, message: EXACTLY_ONE_MESSAGE };
  const field = nonEmpty[0] ?? null;
  return { ok: true, field, values: field === null ? [] : (payload![field] as unknown[]) };
}

export function identityMapRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['MAPPER'], async ({ payload }) => {
    const input = readV2Input(payload);
    if (!input.ok) return clientError(input.message);
    if (input.field === null) return success({ mapped: [] });
    const field = input.field;
    const mapped: { identifier: unknown; advertising_id: string; bucket_id: string }[] = [];
    const unmapped: { identifier: unknown; reason: string }[] = [];
    const outcomes = await mapInChunks(input.values, (identifier) => {
      const outcome = checkIdentity(ctx, field, identifier);
      if (outcome.kind === 'mapped') {
        const { salts } = ctx.store;
        const rawUid = salts.rawUidFromFirstLevelHash(outcome.firstLevelHash, outcome.identity.kind);
        mapped.push({ identifier, advertising_id: rawUid.toString('base64'), bucket_id: salts.bucketId(salts.bucketFor(outcome.firstLevelHash).id) });
      } else {
        unmapped.push({ identifier, reason: outcome.kind === 'optout' ? UNMAPPED_OPTOUT : UNMAPPED_INVALID });
      }
      return outcome;
    });
    countMapped(ctx, '/v2/identity/map', field, outcomes);
    return success(unmapped.length > 0 ? { mapped, unmapped } : { mapped });
  });
}
