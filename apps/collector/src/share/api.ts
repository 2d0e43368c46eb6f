// The bulk API: a sender posts a batch of tokens for one segment.
//
//   POST /share/v1/segments/<segment>/tokens
//   Authorization: Bearer <sender key>             issued by this receiver (collector sender-key)
//   Content-Type: application/json                  {"tokens": ["<token>", ...]}
//              or application/x-ndjson              {"token": "<token>"} per line
//   Content-Encoding: gzip                          optional
//   Idempotency-Key: <1-128 visible ASCII>          optional; a retry with the same key counts once
//
// 200 {"received","written","held","rejected":[{"index","reason"}]} only once every admitted item is
// durable. reason: invalid | expired | not_authorised | opted_out (never more, never a UID2).
// Errors: 400 malformed body, 401 unknown key, 403 segment not granted to the sender, 409 the same
// Idempotency-Key in progress, 413 too large, 415 content type, 422 Idempotency-Key reused for a
// different batch, 429 + Retry-After over the sender's limits, 503 + Retry-After store not writable.
import { createGunzip } from 'node:zlib';
import express, { type Request, type Response, type Router } from 'express';
import { SEGMENT_NAME } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CollectorMetrics } from '../metrics.ts';
import { tokenLines } from '../drops/parse.ts';
import { compactTokens } from './compact-tokens.ts';
import type { SenderAcl } from '../authorise.ts';
import { fingerprint, IDEMPOTENCY_KEY, type IdempotencyStore, type StoredAnswer } from './idempotency.ts';
import { BatchRetryableError, type IngestBatch } from './intake.ts';
import { isTokenShaped } from '../token-shape.ts';
import type { SenderLimits } from './limits.ts';
import type { SenderKeys } from './sender-keys.ts';

export const BULK_PATH = '/share/v1/segments/:segment/tokens';

export interface BulkApiDeps {
  ingest: IngestBatch;
  keys: SenderKeys;
  acl: SenderAcl;
  limits: SenderLimits;
  idempotency: IdempotencyStore;
  metrics: CollectorMetrics;
  log: Logger;
  maxTokens: number;
  maxBodyBytes: number;
  /** Longest token accepted (config `limits.tokenMaxBytes`). */
  tokenMaxBytes: number;
  onStoreError: (err: Error) => void;
}

class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415, readonly code: string, message: string) {
    super(message);
  }
}

/** The request body, gunzipped if so encoded, never more than `max` bytes either way. */
async function readBody(req: Request, max: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > max) throw new BodyError(413, 'body_too_large', `the body may be at most ${max} bytes`);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') throw new BodyError(415, 'unsupported_encoding', 'Content-Encoding may be gzip or absent');
  const source = encoding === 'gzip' ? req.pipe(createGunzip({ maxOutputLength: max + 1 })) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  let raw = 0;
  if (encoding === 'gzip') req.on('data', (c: Buffer) => (raw += c.length));
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max || raw > max) throw new BodyError(413, 'body_too_large', `the body may be at most ${max} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError(413, 'body_too_large', `the body may be at most ${max} bytes`);
    throw new BodyError(400, 'bad_body', encoding === 'gzip' ? 'the gzip body is corrupt or truncated' : 'the body could not be read');
  }
  return Buffer.concat(chunks);
}

/**
 * JSON {"tokens": [...]} or NDJSON {"token": ...} lines -> the batch's tokens (null: an item that is not
 * token-shaped, by the same isTokenShaped as the pixel and the drops, so either body rejects the same items).
 */
async function parseTokens(type: string, body: Buffer, maxTokens: number, tokenMaxBytes: number): Promise<Array<string | null>> {
  const tooMany = () => new BodyError(413, 'too_many_tokens', `a batch may hold at most ${maxTokens} tokens`);
  if (type === 'application/json') {
    const compact = compactTokens(body, maxTokens);
    // compactTokens has already checked every character (TOKEN_CHARS): only the length is left to check.
    if (compact !== null) {
      // In place: an item of the wrong length becomes null (no second array per batch).
      const items: Array<string | null> = compact;
      for (let i = 0; i < items.length; i++) {
        const length = compact[i]!.length;
        if (length === 0 || length > tokenMaxBytes) items[i] = null;
      }
      return items;
    }
    let v: unknown;
    try {
      v = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BodyError(400, 'bad_json', 'the body is not JSON');
    }
    const tokens = (v as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(tokens)) throw new BodyError(400, 'bad_json', 'expected {"tokens": ["<token>", ...]}');
    if (tokens.length > maxTokens) throw tooMany();
    return tokens.map((t) => (isTokenShaped(t, tokenMaxBytes) ? t : null));
  }
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') {
    const out: Array<string | null> = [];
    try {
      for await (const lines of tokenLines([body], 'ndjson', { chunkLines: maxTokens + 1, tokenMaxBytes })) {
        for (const l of lines) out.push(l.token);
        if (out.length > maxTokens) throw tooMany();
      }
    } catch (err) {
      if (err instanceof BodyError) throw err;
      throw new BodyError(400, 'bad_ndjson', (err as Error).message);
    }
    return out;
  }
  throw new BodyError(415, 'unsupported_type', 'Content-Type must be application/json or application/x-ndjson');
}

export function createBulkApi(deps: BulkApiDeps): Router {
  const { keys, acl, limits, idempotency, metrics } = deps;
  const router = express.Router();

  const answer = (res: Response, status: number, body: unknown, headers: Record<string, string> = {}) => {
    metrics.bulkRequests.labels(String(status)).inc();
    res.status(status).set({ 'Cache-Control': 'no-store', ...headers }).json(body);
  };

  router.post(BULK_PATH, async (req, res) => {
    // authenticate: the key says who the sender is
    const auth = req.get('authorization');
    const sender = keys.senderOf(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
    if (sender === null) {
      req.resume();
      return answer(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
    }
    const segment = String(req.params.segment);
    if (!SEGMENT_NAME.test(segment)) {
      req.resume();
      return answer(res, 400, { error: 'bad_segment' });
    }
    if (!acl.allows(sender, segment)) {
      req.resume();
      return answer(res, 403, { error: 'segment_not_granted' });
    }
    const idemKey = req.get('idempotency-key');
    if (idemKey !== undefined && !IDEMPOTENCY_KEY.test(idemKey)) {
      req.resume();
      return answer(res, 400, { error: 'bad_idempotency_key', message: 'Idempotency-Key must be 1-128 visible ASCII characters' });
    }
    let tokens: Array<string | null>;
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
      tokens = await parseTokens(String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(), body, deps.maxTokens, deps.tokenMaxBytes);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      if (!req.complete) res.set('Connection', 'close');
      return answer(res, err.status, { error: err.code, message: err.message });
    }
    // limits, then idempotency: a replay is answered even when the sender is over its rate
    const fp = idemKey === undefined ? '' : fingerprint(segment, body);
    if (idemKey !== undefined) {
      const known = await idempotency.begin(sender, idemKey, fp);
      if (known.state === 'done') return answer(res, known.answer.status, known.answer.body, { 'Idempotent-Replayed': 'true' });
      if (known.state === 'busy') return answer(res, 409, { error: 'in_progress', message: 'a request with this Idempotency-Key is being processed' }, { 'Retry-After': '1' });
      if (known.state === 'mismatch') return answer(res, 422, { error: 'idempotency_key_reused', message: 'this Idempotency-Key was used for a different batch' });
    }
    const admitted = limits.admit(sender, tokens.length);
    if (!admitted.ok) {
      if (idemKey !== undefined) await idempotency.abandon(sender, idemKey);
      return answer(res, 429, { error: 'rate_limited', retryAfterSeconds: admitted.retryAfterSeconds }, { 'Retry-After': String(admitted.retryAfterSeconds) });
    }
    try {
      // Malformed items never reach the decrypter; their indexes are merged back in order. A batch
      // without any (the usual case) goes as it is: no copy of its tokens and no index map.
      const rejected: Array<{ index: number; reason: string }> = [];
      let valid: string[];
      let at: number[] | null = null;
      if (!tokens.includes(null)) valid = tokens as string[];
      else {
        valid = [];
        at = [];
        for (let i = 0; i < tokens.length; i++) {
          const t = tokens[i]!;
          if (t === null) rejected.push({ index: i, reason: 'invalid' });
          else {
            valid.push(t);
            at.push(i);
          }
        }
      }
      if (rejected.length) metrics.bulkItem('api', 'invalid', rejected.length);
      const received = tokens.length;
      const deciding = deps.ingest({ route: 'api', senderSiteId: sender, segment, tokens: valid });
      // Decrypted already: release the batch's token strings before waiting for its opt-outs and commit.
      tokens.length = 0;
      valid.length = 0;
      const outcome = await deciding;
      for (const r of outcome.rejected) rejected.push({ index: at === null ? r.index : at[r.index]!, reason: r.reason });
      rejected.sort((a, b) => a.index - b.index);
      const result: StoredAnswer = { status: 200, body: { received, written: outcome.written, held: outcome.held, rejected } };
      if (idemKey !== undefined) await idempotency.finish(sender, idemKey, fp, result);
      answer(res, result.status, result.body);
    } catch (err) {
      if (idemKey !== undefined) await idempotency.abandon(sender, idemKey).catch(() => {});
      // Only a batch the intake could not decide now is the sender's to retry (503). Anything else
      // (a bug, the idempotency store failing) goes to the app's error handler: logged, and answered
      // 500 {"error":"internal_error"} without details.
      if (!(err instanceof BatchRetryableError)) {
        metrics.bulkRequests.labels('500').inc();
        throw err;
      }
      deps.onStoreError(err);
      answer(res, 503, { error: 'unavailable', message: 'the batch could not be decided now and is not acknowledged; send it again' }, { 'Retry-After': '1' });
    } finally {
      admitted.release();
    }
  });
  return router;
}
