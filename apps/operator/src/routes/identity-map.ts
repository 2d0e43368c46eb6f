// POST /v2/identity/map (MAPPER): DII to raw UID2s (spec §3.6), exactly one non-empty array of
// email | email_hash | phone | phone_hash. Opted-out identities come back unmapped with reason "optout".
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';
import { DII_FIELDS, EXACTLY_ONE_MESSAGE, identityFromField } from '../identity/dii-input.ts';

export function identityMapRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['MAPPER'], ({ payload }) => {
    const present = DII_FIELDS.filter((f) => Array.isArray(payload?.[f]) && (payload![f] as unknown[]).length > 0);
    if (present.length !== 1) return clientError(EXACTLY_ONE_MESSAGE);
    const field = present[0]!;
    const mapped: { identifier: unknown; advertising_id: string; bucket_id: string }[] = [];
    const unmapped: { identifier: unknown; reason: string }[] = [];
    for (const identifier of payload![field] as unknown[]) {
      const identity = identityFromField(field, identifier);
      if (!identity) {
        unmapped.push({ identifier, reason: 'invalid identifier' });
        continue;
      }
      const m = ctx.store.salts.map(identity.hash, identity.kind);
      if (ctx.optouts.isOptedOut(m.firstLevelHash, 'generate', ctx.store.state.optouts)) {
        unmapped.push({ identifier, reason: 'optout' });
      } else {
        mapped.push({ identifier, advertising_id: m.rawUid.toString('base64'), bucket_id: m.bucketId });
      }
    }
    return success(unmapped.length > 0 ? { mapped, unmapped } : { mapped });
  });
}
