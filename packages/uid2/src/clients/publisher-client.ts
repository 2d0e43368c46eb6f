// Publishers (and advertisers generating tokens for their own pixels): server-side token generation
// through the v2 envelope, and refresh with the refresh token's own framing (operator-api.md §3.1, §3.2).
import { checkBaseUrl } from './base-url.ts';
import { aesGcmDecrypt } from '../crypto/aes.ts';
import { decodeBase64 } from '../encoding/base64.ts';
import { tokenGenerateRequestBody, type TokenGenerateInput } from '../dii/token-generate-request.ts';
import { EnvelopeError } from '../envelope/index.ts';
import { IdentityTokens } from './identity-tokens.ts';
import { httpErrorFrom, postEnveloped, postText, replyText, type OperatorHttpOptions } from './operator-http.ts';
import { Uid2ResponseError } from './errors.ts';

export type PublisherClientOptions = OperatorHttpOptions;

export type TokenGenerateResult =
  | { status: 'success'; identity: IdentityTokens }
  | { status: 'optout' }
  /** EUID only: the TCF consent string does not allow UID2 processing. */
  | { status: 'insufficient_user_consent' };

export type TokenRefreshResult =
  | { status: 'success'; identity: IdentityTokens }
  | { status: 'optout' }
  /** The refresh token has expired (checked locally first, or answered by the operator). */
  | { status: 'expired' }
  /** The operator cannot read or does not accept the refresh token (400 invalid_token or client_error). */
  | { status: 'invalid' };

const GENERATE = '/v2/token/generate';
const REFRESH = '/v2/token/refresh';

export class PublisherClient {
  readonly #options: PublisherClientOptions;
  readonly #now: () => number;

  constructor(options: PublisherClientOptions) {
    checkBaseUrl(options.baseUrl);
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Generates an identity for one email, phone or hash. By default email and phone are normalised and
   * hashed here, so only the hash leaves the process. Throws InvalidDiiError for bad input before any
   * request, and the transport errors of postEnveloped (Uid2HttpError, Uid2NetworkError, EnvelopeError).
   */
  async generateToken(input: TokenGenerateInput): Promise<TokenGenerateResult> {
    const answer = await postEnveloped(this.#options, GENERATE, tokenGenerateRequestBody(input));
    switch (answer.status) {
      case 'success':
        return { status: 'success', identity: identityFrom(GENERATE, answer.body) };
      case 'optout':
      case 'insufficient_user_consent':
        return { status: answer.status };
      default:
        throw new Uid2ResponseError(GENERATE, `status "${answer.status}"`);
    }
  }

  /**
   * Refreshes an identity. The answer is AES-GCM under the identity's refresh_response_key (no
   * envelope). An identity whose refresh token has expired is answered `expired` without a request.
   */
  async refreshToken(identity: IdentityTokens): Promise<TokenRefreshResult> {
    if (!identity.isRefreshable(this.#now())) return { status: 'expired' };
    const reply = await postText(this.#options, REFRESH, identity.refreshToken);
    if (reply.status !== 200) {
      const error = httpErrorFrom(REFRESH, reply);
      if (error.operatorStatus === 'expired_token') return { status: 'expired' };
      // client_error: the operator could not open the refresh token's wrapper (unknown key id, failed
      // decryption, bad JSON inside). The token is the request's only input, so the token is invalid.
      if (error.operatorStatus === 'invalid_token' || error.operatorStatus === 'client_error') return { status: 'invalid' };
      throw error;
    }
    const answer = openRefreshResponse(replyText(reply).trim(), identity.refreshResponseKey);
    switch (answer.status) {
      case 'success':
        return { status: 'success', identity: identityFrom(REFRESH, answer.body) };
      case 'optout':
        return { status: 'optout' };
      default:
        throw new Uid2ResponseError(REFRESH, `status "${answer.status}"`);
    }
  }
}

function openRefreshResponse(text: string, refreshResponseKey: string): { status: string; body?: unknown } {
  const key = decodeBase64(refreshResponseKey);
  const data = decodeBase64(text);
  if (key === null || key.length !== 32) throw new Uid2ResponseError(REFRESH, 'identity has no valid refresh_response_key');
  if (data === null) throw new Uid2ResponseError(REFRESH, 'body is not base64');
  const plain = aesGcmDecrypt(key, data);
  if (plain === null) {
    throw new EnvelopeError('mac', 'refresh response failed authentication with the refresh_response_key');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plain).toString('utf8'));
  } catch {
    throw new Uid2ResponseError(REFRESH, 'decrypted body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { status?: unknown }).status !== 'string') {
    throw new Uid2ResponseError(REFRESH, 'decrypted body is not a {"status": ...} object');
  }
  return parsed as { status: string; body?: unknown };
}

function identityFrom(path: string, body: unknown): IdentityTokens {
  try {
    return IdentityTokens.fromJson(body);
  } catch (error) {
    throw new Uid2ResponseError(path, (error as Error).message);
  }
}
