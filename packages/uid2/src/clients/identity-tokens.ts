// The identity a publisher gets from /v2/token/generate and /v2/token/refresh (operator-api.md §4),
// with the time checks a publisher needs. All times are ms. toJson()/fromJson() use the wire field
// names, so a stored identity is the operator's own JSON and the browser SDK can read it too.
import { inspect } from 'node:util';
import { Uid2Error } from '../errors.ts';

/** The identity object exactly as the operator sends it. */
export interface IdentityTokensJson {
  advertising_token: string;
  refresh_token: string;
  identity_expires: number;
  refresh_expires: number;
  refresh_from: number;
  refresh_response_key: string;
}

export class InvalidIdentityError extends Uid2Error {
  constructor(what: string) {
    super('invalid-identity', `invalid identity JSON: ${what}`);
  }
}

const STRING_FIELDS = ['advertising_token', 'refresh_token', 'refresh_response_key'] as const;
const TIME_FIELDS = ['identity_expires', 'refresh_expires', 'refresh_from'] as const;

export class IdentityTokens {
  readonly advertisingToken: string;
  readonly refreshToken: string;
  /** When the advertising token expires. */
  readonly identityExpires: number;
  /** When the refresh token expires; after it the identity cannot be refreshed. */
  readonly refreshExpires: number;
  /** From when a refresh is due. */
  readonly refreshFrom: number;
  /** base64 key that decrypts the answer to the next refresh. */
  readonly refreshResponseKey: string;

  constructor(fields: {
    advertisingToken: string;
    refreshToken: string;
    identityExpires: number;
    refreshExpires: number;
    refreshFrom: number;
    refreshResponseKey: string;
  }) {
    this.advertisingToken = fields.advertisingToken;
    this.refreshToken = fields.refreshToken;
    this.identityExpires = fields.identityExpires;
    this.refreshExpires = fields.refreshExpires;
    this.refreshFrom = fields.refreshFrom;
    this.refreshResponseKey = fields.refreshResponseKey;
  }

  /** Reads the operator's identity object (or its JSON text). Throws InvalidIdentityError naming the bad field. */
  static fromJson(json: unknown): IdentityTokens {
    let value = json;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        throw new InvalidIdentityError('not valid JSON');
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidIdentityError('not an object');
    }
    const record = value as Record<string, unknown>;
    for (const field of STRING_FIELDS) {
      if (typeof record[field] !== 'string' || record[field] === '') {
        throw new InvalidIdentityError(`"${field}" must be a non-empty string`);
      }
    }
    for (const field of TIME_FIELDS) {
      if (typeof record[field] !== 'number' || !Number.isSafeInteger(record[field])) {
        throw new InvalidIdentityError(`"${field}" must be an integer (ms)`);
      }
    }
    const wire = record as unknown as IdentityTokensJson;
    return new IdentityTokens({
      advertisingToken: wire.advertising_token,
      refreshToken: wire.refresh_token,
      identityExpires: wire.identity_expires,
      refreshExpires: wire.refresh_expires,
      refreshFrom: wire.refresh_from,
      refreshResponseKey: wire.refresh_response_key,
    });
  }

  /** The wire object, fields in the operator's order. */
  toJson(): IdentityTokensJson {
    return {
      advertising_token: this.advertisingToken,
      refresh_token: this.refreshToken,
      identity_expires: this.identityExpires,
      refresh_expires: this.refreshExpires,
      refresh_from: this.refreshFrom,
      refresh_response_key: this.refreshResponseKey,
    };
  }

  /** So JSON.stringify(identity) gives the wire form. */
  toJSON(): IdentityTokensJson {
    return this.toJson();
  }

  /** True while the refresh token is still valid. */
  isRefreshable(now: number = Date.now()): boolean {
    return now < this.refreshExpires;
  }

  /** True once refresh_from has passed (and the identity can still be refreshed). */
  isDueForRefresh(now: number = Date.now()): boolean {
    return now >= this.refreshFrom && this.isRefreshable(now);
  }

  /** True once the advertising token has expired. */
  isExpired(now: number = Date.now()): boolean {
    return now >= this.identityExpires;
  }

  /** console.log / util.inspect show the times, never the tokens or the key. */
  [inspect.custom](): string {
    return `IdentityTokens { identityExpires: ${this.identityExpires}, refreshFrom: ${this.refreshFrom}, refreshExpires: ${this.refreshExpires}, tokens: [redacted] }`;
  }
}
