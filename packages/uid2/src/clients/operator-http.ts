// HTTP to a UID2 operator: one POST, in the two framings clients need.
//   postEnveloped: the v2 envelope (operator-api.md §1) — seal the JSON, send base64 text (or raw bytes
//                  as application/octet-stream: the binary envelope), open the 200 answer and check its
//                  nonce; non-200 answers are plain JSON and become Uid2HttpError.
//   postText:      a plain text body with the same headers (used by /v2/token/refresh, which has its own
//                  framing, §3.2).
// Requests go over node:http(s) with kept-alive connections (http-post.ts says why), or through the
// `fetch` the options give. Error messages name the route and what failed, never the API key, secret
// or payload.
import { checkBaseUrl } from './base-url.ts';
import { postOverHttp, type OperatorReply } from './http-post.ts';
import { openResponse, sealRequest } from '../envelope/index.ts';
import { Uid2HttpError, Uid2NetworkError, Uid2ResponseError } from './errors.ts';

/** Sent as X-UID2-Client-Version (metrics only on the operator side). */
export const CLIENT_VERSION = 'uid2-pixels-ts-0.1.0';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Where and who: the three credentials every server-side UID2 client needs. */
export interface OperatorCredentials {
  /** Operator base URL, e.g. `https://operator-integ.uidapi.com` or `http://localhost:8080`. */
  baseUrl: string;
  /** API key, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Client secret, base64 of 32 bytes; keys the v2 envelope. */
  secret: string;
}

export interface OperatorHttpOptions extends OperatorCredentials {
  /**
   * A fetch to send requests with (a test double, a proxy-aware fetch). Default: node:http(s) with
   * kept-alive connections, which costs the caller a third to a sixth of the CPU of the global fetch
   * per request (`pnpm bench transport`).
   */
  fetch?: typeof fetch;
  /** Clock in ms, used for the envelope timestamp. */
  now?: () => number;
  /** Per-request timeout; the request is aborted after it. Default 10 s. */
  timeoutMs?: number;
}

/** The decrypted JSON of a 200 answer: `{"status": ..., "body": ...}`. */
export interface OperatorAnswer {
  status: string;
  body?: unknown;
}

function routeUrl(baseUrl: string, path: string): string {
  // Plain concatenation keeps a base path (`https://host/uid2`), which `new URL(path, base)` would drop.
  return baseUrl.replace(/\/+$/, '') + path;
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/**
 * POSTs a body with the operator headers: text as text/plain, bytes as application/octet-stream, and
 * reads the whole answer. Network failures and timeouts (of the answer's body too) become
 * Uid2NetworkError.
 */
export async function postText(
  options: OperatorHttpOptions,
  path: string,
  body: string | Uint8Array,
  authenticate = true,
): Promise<OperatorReply> {
  checkBaseUrl(options.baseUrl);
  const headers: Record<string, string> = {
    'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/octet-stream',
    'X-UID2-Client-Version': CLIENT_VERSION,
  };
  if (authenticate) headers['Authorization'] = `Bearer ${options.apiKey}`;
  const url = routeUrl(options.baseUrl, path);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    if (options.fetch === undefined) {
      return await postOverHttp(url, headers, typeof body === 'string' ? utf8Encoder.encode(body) : body, timeoutMs);
    }
    const response = await options.fetch(url, {
      method: 'POST',
      headers,
      body: body as BodyInit, // a Uint8Array is a valid body; TS 5.9's lib types are narrower
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: new Uint8Array(await response.arrayBuffer()),
    };
  } catch (error) {
    throw new Uid2NetworkError(path, error, options.baseUrl);
  }
}

/** The answer's body as text. */
export function replyText(reply: OperatorReply): string {
  return utf8.decode(reply.body);
}

/** Reads a non-200 answer (plain JSON `{status, message}` or plain text) into a Uid2HttpError. */
export function httpErrorFrom(path: string, reply: OperatorReply): Uid2HttpError {
  let operatorStatus: string | null = null;
  let operatorMessage: string | null = null;
  try {
    const parsed: unknown = JSON.parse(replyText(reply));
    if (typeof parsed === 'object' && parsed !== null) {
      const { status, message } = parsed as { status?: unknown; message?: unknown };
      if (typeof status === 'string') operatorStatus = status;
      if (typeof message === 'string') operatorMessage = message;
    }
  } catch {
    // Not JSON (e.g. the plain "Internal Server Error" of an unhandled failure): the HTTP status says enough.
  }
  return new Uid2HttpError(path, reply.status, operatorStatus, operatorMessage);
}

function asAnswer(path: string, value: unknown): OperatorAnswer {
  if (typeof value !== 'object' || value === null || typeof (value as { status?: unknown }).status !== 'string') {
    throw new Uid2ResponseError(path, 'response is not a {"status": ...} object');
  }
  return value as OperatorAnswer;
}

/**
 * Sends `payload` (or nothing, for the key endpoints) through the v2 envelope and returns the opened
 * answer. Throws Uid2NetworkError (unreachable, timeout), Uid2HttpError (non-200), EnvelopeError (the
 * answer fails the MAC or echoes another nonce) or Uid2ResponseError (opened, but not a status object).
 */
export async function postEnveloped(
  options: OperatorHttpOptions,
  path: string,
  payload?: object,
  transport: { binary?: boolean } = {},
): Promise<OperatorAnswer> {
  const now = options.now ?? Date.now;
  const sealed = sealRequest(payload, options.secret, { now: now() });
  const reply = await postText(options, path, transport.binary ? sealed.envelope : sealed.base64);
  if (reply.status !== 200) throw httpErrorFrom(path, reply);
  // Binary requests get raw bytes back; an operator that fell back to text answers text/plain base64.
  const binaryAnswer = reply.contentType.toLowerCase().startsWith('application/octet-stream');
  return asAnswer(path, openResponse(binaryAnswer ? reply.body : replyText(reply).trim(), options.secret, sealed.nonce));
}
