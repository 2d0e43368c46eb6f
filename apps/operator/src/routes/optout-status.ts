// POST /v2/optout/status (MAPPER, SHARER or ID_READER): which of the given raw UID2s opted out (spec §3.7).
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';

const OPTOUT_STATUS_MAX_IDS = 5000;

export function optoutStatusRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['MAPPER', 'SHARER', 'ID_READER'], ({ payload }) => {
    const ids = payload?.advertising_ids;
    if (!Array.isArray(ids)) return clientError('Required Parameter Missing: advertising_ids');
    if (ids.length > OPTOUT_STATUS_MAX_IDS) return clientError('Request payload is too large');
    const since = new Map(ctx.store.state.optouts.map((o) => [o.rawUid, o.since]));
    const optedOut = ids.flatMap((id) =>
      typeof id === 'string' && since.has(id) ? [{ advertising_id: id, opted_out_since: since.get(id)! }] : [],
    );
    return success({ opted_out: optedOut });
  });
}
