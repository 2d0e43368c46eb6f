// POST /v2/token/refresh (optional auth): the body is the refresh token itself (spec §3.2).
// A 388-char body is the wrapped token: its 200 answers are AES-GCM sealed with the refresh_response_key
// inside it. Any other body is taken as a bare inner token (legacy) and answered in plain JSON.
import type { Request, RequestHandler, Response } from 'express';
import { aesGcmEncrypt } from '@uid2-pixels/uid2/crypto/aes';
import type { OperatorContext } from '../context.ts';
import { authenticate } from '../http/auth.ts';
import { isOctetStream, rawBody, runHandler } from '../http/envelope-route.ts';
import { clientError, optout, sendPlainJson, success, type OperatorReply } from '../http/respond.ts';
import { issueIdentity } from '../tokens/identity-issuer.ts';
import { decodeInnerRefreshToken, unwrapRefreshToken, WRAPPED_REFRESH_TOKEN_LENGTH } from '../tokens/refresh-token.ts';

/** Tokens established before this are "deprecated" and answered as opted out (spec §3.2 step 4). */
const DEPRECATED_BEFORE = Date.parse('2021-03-08T17:00:00Z');

type Outcome = { kind: 'refreshed'; reply: OperatorReply } | { kind: 'optout' } | { kind: 'invalid' } | { kind: 'expired' };

function refresh(ctx: OperatorContext, innerToken: string, now: number): Outcome {
  const decoded = decodeInnerRefreshToken(innerToken, (id) => ctx.keys.keyById(id));
  if (!decoded.ok || decoded.fields.scope !== ctx.store.salts.scope) return { kind: 'invalid' };
  const t = decoded.fields;
  if (t.established < DEPRECATED_BEFORE) return { kind: 'optout' };
  if (t.expires < now) return { kind: 'expired' };
  if (ctx.optouts.isOptedOut(t.firstLevelHash, 'refresh', ctx.store.state.optouts)) return { kind: 'optout' };
  const body = issueIdentity(
    ctx,
    { siteId: t.siteId, kind: t.kind, firstLevelHash: t.firstLevelHash, privacyBits: t.privacyBits, established: t.established },
    now,
  );
  return { kind: 'refreshed', reply: success(body) };
}

function replyFor(outcome: Outcome, authenticated: boolean): OperatorReply {
  switch (outcome.kind) {
    case 'refreshed':
      return outcome.reply;
    case 'optout':
      return optout();
    default:
      if (!authenticated) return { code: 400, json: { status: 'error', message: 'Error refreshing token' } };
      return outcome.kind === 'expired'
        ? { code: 400, json: { status: 'expired_token', message: 'Expired Token presented' } }
        : { code: 400, json: { status: 'invalid_token', message: 'Invalid Token presented' } };
  }
}

export function tokenRefreshRoute(ctx: OperatorContext): RequestHandler {
  return (req: Request, res: Response) => {
    const authenticated = authenticate(ctx.store.state, req) !== null;
    const body = rawBody(req).toString('utf8');
    const now = ctx.now();

    let innerToken = body;
    let responseKey: Uint8Array | null = null;
    if (body.length === WRAPPED_REFRESH_TOKEN_LENGTH) {
      const unwrapped = unwrapRefreshToken(body, (id) => ctx.keys.keyById(id));
      if (!unwrapped.ok) return sendPlainJson(res, clientError(unwrapped.message));
      innerToken = unwrapped.innerToken;
      responseKey = unwrapped.responseKey;
    }

    const reply = runHandler(() => replyFor(refresh(ctx, innerToken, now), authenticated));
    ctx.metrics.identities.inc({ endpoint: 'refresh', status: reply.json.status });
    if (reply.code !== 200 || responseKey === null) return sendPlainJson(res, reply);
    const sealed = Buffer.from(aesGcmEncrypt(responseKey, Buffer.from(JSON.stringify(reply.json), 'utf8')));
    if (isOctetStream(req)) res.status(200).type('application/octet-stream').send(sealed);
    else res.status(200).type('text/plain').send(sealed.toString('base64'));
  };
}
