// POST /v2/token/client-generate: client-side token generation (spec §3.3). No API key: the
// subscription id picks the participant's key pair, the Origin must be one of its domains, and the
// browser's DII hash arrives encrypted under the ECDH shared key. Privacy bits 3 (legacy + CSTG).
import type { Request, RequestHandler, Response } from 'express';
import { PRIVACY_BITS_CLIENT_GENERATED } from '@uid2-pixels/uid2/token/privacy-bits';
import { decodeBase64 } from '@uid2-pixels/uid2/encoding/base64';
import type { OperatorContext } from '../context.ts';
import { cstgAad, importClientPublicKey, openCstgPayload, sealCstgResponse, sharedSecret } from '../cstg/cstg-box.ts';
import { importServerPrivateKey } from '../cstg/keypair.ts';
import { isOriginAllowed } from '../cstg/origin.ts';
import { rawBody, runHandler } from '../http/envelope-route.ts';
import { clientError, optout, sendPlainJson, success, unknownError, type OperatorReply } from '../http/respond.ts';
import { identityFromField } from '../identity/dii-input.ts';
import { refuseWithoutConsent } from '../identity/user-consent.ts';
import { issueIdentity } from '../tokens/identity-issuer.ts';

type Step = { ok: true; key: Buffer; reply: OperatorReply } | { ok: false; reply: OperatorReply };

const fail = (reply: OperatorReply): Step => ({ ok: false, reply });
const bad = (message: string): Step => fail(clientError(message));

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function clientGenerate(ctx: OperatorContext, req: Request): Step {
  const text = rawBody(req).toString('utf8');
  if (text.trim() === '') return bad('json payload expected but not found');
  const parsed = parseJson(text);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return bad('json payload is not valid');
  }
  const body = parsed.value as Record<string, unknown>;

  const subscriptionId = body.subscription_id;
  const owner = ctx.store.state.participants.find((p) => p.keypairs.some((k) => k.subscriptionId === subscriptionId));
  const keypair = owner?.keypairs.find((k) => k.subscriptionId === subscriptionId);
  if (!owner || !keypair) return bad('bad subscription_id');
  if (keypair.disabled) return fail({ code: 401, json: { status: 'unauthorized', message: 'Unauthorized' } });

  // Participants here have no app names, so any app_name fails the allow-list (403), as it would on
  // the real operator for a site without app names.
  const appName = typeof body.app_name === 'string' ? body.app_name : undefined;
  if (appName !== undefined) {
    return fail({ code: 403, json: { status: 'invalid_app_name', message: 'unexpected app name' } });
  }
  if (!isOriginAllowed(req.headers.origin, owner.domains)) {
    return fail({ code: 403, json: { status: 'invalid_http_origin', message: 'unexpected http origin' } });
  }

  const { payload, iv, public_key: publicKey } = body;
  if (typeof payload !== 'string' || typeof iv !== 'string' || typeof publicKey !== 'string' || !payload || !iv || !publicKey) {
    return bad('required parameters: payload, iv, public_key');
  }
  const clientKey = importClientPublicKey(publicKey);
  if (!clientKey) return bad('bad public key');
  const ivBytes = decodeBase64(iv);
  if (!ivBytes || ivBytes.length !== 12) return bad('bad iv');
  const shared = sharedSecret(importServerPrivateKey(keypair.privateKey), clientKey);
  const ciphertext = decodeBase64(payload);
  const timestamp = typeof body.timestamp === 'number' ? body.timestamp : 0;
  const plain = shared && ciphertext ? openCstgPayload(shared, ivBytes, ciphertext, cstgAad(timestamp, appName)) : null;
  if (!shared || !plain) return bad('payload decryption failed');

  const inner = parseJson(plain.toString('utf8'));
  if (!inner.ok || typeof inner.value !== 'object' || inner.value === null || Array.isArray(inner.value)) {
    return bad('encrypted payload contains invalid json');
  }
  const dii = inner.value as Record<string, unknown>;
  const hasEmail = dii.email_hash !== undefined && dii.email_hash !== null;
  const hasPhone = dii.phone_hash !== undefined && dii.phone_hash !== null;
  if (hasEmail === hasPhone) return bad('please provide exactly one of: email_hash, phone_hash');
  const identity = hasEmail ? identityFromField('email_hash', dii.email_hash) : identityFromField('phone_hash', dii.phone_hash);
  if (!identity) return bad('Invalid Identifier');
  const refused = refuseWithoutConsent(ctx, dii.tcf_consent_string);
  if (refused) return refused.code === 200 ? { ok: true, key: shared, reply: refused } : fail(refused);

  const now = ctx.now();
  const flh = ctx.store.salts.firstLevelHash(identity.hash);
  if (ctx.optouts.isOptedOut(flh, 'generate', ctx.store.state.optouts)) return { ok: true, key: shared, reply: optout() };
  const request = { siteId: owner.siteId, kind: identity.kind, firstLevelHash: flh, privacyBits: PRIVACY_BITS_CLIENT_GENERATED, established: now };
  const reply = runHandler(() => success(issueIdentity(ctx, request, now)));
  return reply.code === 200 ? { ok: true, key: shared, reply } : fail(reply);
}

export function tokenClientGenerateRoute(ctx: OperatorContext): RequestHandler {
  return (req: Request, res: Response) => {
    let step: Step;
    try {
      step = clientGenerate(ctx, req);
    } catch (error) {
      ctx.log.error({ err: error }, 'client-generate failed');
      step = fail(unknownError('Unknown error while generating token'));
    }
    ctx.metrics.identities.inc({ endpoint: 'client_generate', status: step.reply.json.status });
    if (!step.ok) return sendPlainJson(res, step.reply);
    res.status(200).type('text/plain').send(sealCstgResponse(step.key, step.reply.json));
  };
}
