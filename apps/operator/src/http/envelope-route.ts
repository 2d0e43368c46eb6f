// The v2 envelope around a route (spec §1): authorise -> open the envelope -> handler -> seal the reply.
// Non-200 replies are plain JSON; a 200 is sealed with the caller's secret and echoes its nonce.
import type { Request, RequestHandler, Response } from 'express';
import { EnvelopeError, openRequest, sealResponse, type OpenedRequest } from '@uid2-pixels/uid2/envelope';
import type { OperatorContext } from '../context.ts';
import { OperatorError } from '../errors.ts';
import type { AuthenticatedClient } from '../participants/api-keys.ts';
import type { Role } from '../state/model.ts';
import { authenticate } from './auth.ts';
import { clientError, sendPlainJson, sendSealed, unauthorized, unknownError, type OperatorReply } from './respond.ts';

const DOCS = 'https://unifiedid.com/docs/getting-started/gs-encryption-decryption';
const HINT = ` See ${DOCS} for details on the request envelope format.`;

/** The real operator's 400 message for each way an envelope fails to open. */
function envelopeErrorMessage(error: EnvelopeError): string {
  switch (error.code) {
    case 'body-missing':
      return 'Invalid body: Body is missing.';
    case 'bad-base64':
      return `Invalid body: Body is not valid base64.${HINT}`;
    case 'unencrypted-json':
      return `Invalid body: The request body is unencrypted JSON. It must be an encrypted request envelope. See ${DOCS}#encryption-and-decryption-code-examples for encryption and decryption code examples.`;
    case 'too-short':
      return `Invalid body: Body too short. Check encryption method.${HINT}`;
    case 'bad-version':
      return `Invalid body: Invalid request envelope format version: received ${error.receivedVersion}, must be 1.${HINT}`;
    case 'timestamp':
      return 'Invalid timestamp: Request too old or client time drift.';
    case 'bad-json':
      return 'Invalid payload in body: Data is not valid json string.';
    case 'mac':
    case 'bad-secret':
    case 'nonce-mismatch':
      return `Invalid body: Check encryption key (ClientSecret).${HINT}`;
  }
  return `Invalid body: Check encryption key (ClientSecret).${HINT}`;
}

export function rawBody(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

export function isOctetStream(req: Request): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/octet-stream';
}

type Opened = { ok: true; request: OpenedRequest; binary: boolean } | { ok: false; message: string };

/** Opens the body as raw bytes (octet-stream, with the operator's base64 fallback) or as base64 text. */
function openEnvelope(req: Request, secret: string, now: number): Opened {
  const body = rawBody(req);
  const attempt = (input: Uint8Array | string, binary: boolean): Opened => {
    try {
      return { ok: true, request: openRequest(input, secret, { now }), binary };
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      return { ok: false, message: envelopeErrorMessage(error) };
    }
  };
  if (isOctetStream(req)) {
    const raw = attempt(body, true);
    if (raw.ok || body.length === 0) return raw;
    const asText = attempt(body.toString('latin1'), false);
    return asText.ok ? asText : raw;
  }
  return attempt(body.toString('utf8'), false);
}

export interface EnvelopeCall {
  client: AuthenticatedClient;
  payload: Record<string, unknown> | null;
  now: number;
  req: Request;
}

/** A route's work; long ones (identity map) return a promise and yield to other callers between chunks. */
export type EnvelopeHandler = (call: EnvelopeCall) => OperatorReply | Promise<OperatorReply>;

/** Wraps a handler in auth + envelope. Handler errors other than missing keys are bugs and stay 500. */
export function envelopeRoute(ctx: OperatorContext, roles: readonly Role[], handler: EnvelopeHandler): RequestHandler {
  return async (req: Request, res: Response) => {
    const client = authenticate(ctx.store.state, req);
    // The wire answer stays the operator's bare 401; the reason goes to our log, for whoever runs us.
    if (!client) {
      ctx.log.info({ route: req.path }, 'refused: unknown or disabled API key (HTTP 401)');
      return sendPlainJson(res, unauthorized());
    }
    if (!client.participant.roles.some((r) => roles.includes(r))) {
      const { siteId, name, roles: has } = client.participant;
      res.locals.siteId = siteId;
      ctx.log.info(
        { route: req.path, site: siteId, needs: roles, has },
        `refused: site ${siteId} (${name}) lacks role ${roles.join(' or ')} needed by ${req.path} (HTTP 401)`,
      );
      return sendPlainJson(res, unauthorized());
    }
    const now = ctx.now();
    const opened = openEnvelope(req, client.apiKey.secret, now);
    if (!opened.ok) return sendPlainJson(res, clientError(opened.message));
    const reply = await runHandlerAsync(() => handler({ client, payload: opened.request.payload, now, req }));
    res.locals.siteId = client.participant.siteId;
    if (reply.code !== 200) return sendPlainJson(res, reply);
    sendSealed(res, sealResponse(reply.json, client.apiKey.secret, opened.request.nonce, ctx.now()), opened.binary);
  };
}

/** Runs a route's work; a missing key becomes the operator's 500 `unknown`, anything else propagates. */
export function runHandler(work: () => OperatorReply): OperatorReply {
  try {
    return work();
  } catch (error) {
    return noActiveKeyReply(error);
  }
}

async function runHandlerAsync(work: () => OperatorReply | Promise<OperatorReply>): Promise<OperatorReply> {
  try {
    return await work();
  } catch (error) {
    return noActiveKeyReply(error);
  }
}

function noActiveKeyReply(error: unknown): OperatorReply {
  if (error instanceof OperatorError && error.code === 'NO_ACTIVE_KEY') return unknownError('No active encryption key available');
  throw error;
}
