// POST /v2/token/logout (OPTOUT): records an opt-out for the given DII (spec §3.7).
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { success } from '../http/respond.ts';
import { readDii } from '../identity/dii-input.ts';

export function tokenLogoutRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['OPTOUT'], ({ payload, now, client }) => {
    const dii = readDii(payload ?? {});
    if (!dii.ok) return { code: 400, json: { status: 'invalid_token', message: 'Invalid Token presented' } };
    const added = ctx.store.mutate(() => ctx.store.addOptout(dii.identity, now));
    if (added) ctx.store.audit.record(`site ${client.participant.siteId}`, 'Manage Opt-out', { action: 'add', via: 'logout' });
    return success({ optout: 'OK' });
  });
}
