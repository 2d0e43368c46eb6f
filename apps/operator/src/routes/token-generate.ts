// POST /v2/token/generate (GENERATOR): DII -> identity for the caller's site, privacy bits 1 (spec §3.1).
// `optout_check` / `policy` are accepted and ignored, as the current operator does.
import type { RequestHandler } from 'express';
import { PRIVACY_BITS_SERVER_GENERATED } from '@uid2-pixels/uid2/token/privacy-bits';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, optout, success } from '../http/respond.ts';
import { readDii } from '../identity/dii-input.ts';
import { refuseWithoutConsent } from '../identity/user-consent.ts';
import { issueIdentity } from '../tokens/identity-issuer.ts';

export function tokenGenerateRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['GENERATOR'], ({ payload, now, client }) => {
    const dii = readDii(payload ?? {});
    if (!dii.ok) return clientError(dii.message);
    const refused = refuseWithoutConsent(ctx, (payload as Record<string, unknown> | undefined)?.tcf_consent_string);
    if (refused) return refused;
    const flh = ctx.store.salts.firstLevelHash(dii.identity.hash);
    if (ctx.optouts.isOptedOut(flh, 'generate', ctx.store.state.optouts)) {
      ctx.metrics.identities.inc({ endpoint: 'generate', status: 'optout' });
      return optout();
    }
    const body = issueIdentity(
      ctx,
      { siteId: client.participant.siteId, kind: dii.identity.kind, firstLevelHash: flh, privacyBits: PRIVACY_BITS_SERVER_GENERATED, established: now },
      now,
    );
    ctx.metrics.identities.inc({ endpoint: 'generate', status: 'success' });
    return success(body);
  });
}
