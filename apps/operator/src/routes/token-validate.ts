// POST /v2/token/validate (GENERATOR): does this advertising token hold the raw UID2 of this DII?
// Only for the caller's own tokens (the site key must belong to the caller's site) (spec §3.5).
import type { RequestHandler } from 'express';
import { openAdvertisingToken } from '@uid2-pixels/uid2/token/open';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';
import { readDii } from '../identity/dii-input.ts';
import { MASTER_KEYSET_ID } from '../state/model.ts';

export function tokenValidateRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['GENERATOR'], ({ payload, client }) => {
    const dii = readDii(payload ?? {});
    if (!dii.ok) return clientError(dii.message);
    const token = payload?.token;
    if (typeof token !== 'string') return clientError('Invalid token');
    const opened = openAdvertisingToken(token, (id) => ctx.keys.keyById(id) ?? undefined);
    if (opened.status === 'NotAuthorizedForKey' || (opened.siteKey && opened.siteKey.siteId !== client.participant.siteId)) {
      return clientError('Unauthorised to validate token');
    }
    if (opened.status !== 'Success' || opened.masterKey?.keysetId !== MASTER_KEYSET_ID) return clientError('Invalid token');
    const expected = ctx.store.salts.rawUidFromFirstLevelHash(ctx.store.salts.firstLevelHash(dii.identity.hash), dii.identity.kind);
    return success(opened.uid === expected.toString('base64'));
  });
}
