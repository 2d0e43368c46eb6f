// Operator settings: token lifetimes (the real operator's runtime config names, in seconds) and the key
// rotation schedule (ms). Defaults follow the real operator's local test data (spec §4, §10).

export interface TokenLifetimes {
  /** identity_token_expires_after_seconds: advertising token lifetime. */
  identityExpiresAfterSeconds: number;
  /** refresh_token_expires_after_seconds: refresh token lifetime. */
  refreshExpiresAfterSeconds: number;
  /** refresh_identity_token_after_seconds: when clients should refresh (refresh_from). */
  refreshIdentityAfterSeconds: number;
  /** sharing_token_expiry_seconds: lifetime of tokens SDKs encrypt for sharing. */
  sharingTokenExpirySeconds: number;
  /** allow_clock_skew_seconds published to SDKs. */
  allowClockSkewSeconds: number;
}

export interface KeySchedule {
  /** How often every keyset gets a new key. 0 turns scheduled rotation off. */
  rotationIntervalMs: number;
  /** How long before it activates a new key is published, so receivers hold it before tokens use it. */
  activationLeadMs: number;
  /** How long a key seals tokens: expires = activates + lifetime. Must exceed the rotation interval. */
  keyLifetimeMs: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = {
  identityExpiresAfterSeconds: 3600,
  refreshExpiresAfterSeconds: 86_400,
  refreshIdentityAfterSeconds: 900,
  sharingTokenExpirySeconds: 2_592_000,
  allowClockSkewSeconds: 1800,
};

export const DAY_MS = 86_400_000;

/** Derives the key schedule from a rotation interval: lead = interval/24 (1 h daily), lifetime = 2 intervals. */
export function keyScheduleFor(rotationIntervalMs: number, overrides: Partial<KeySchedule> = {}): KeySchedule {
  const interval = rotationIntervalMs > 0 ? rotationIntervalMs : DAY_MS;
  return {
    rotationIntervalMs,
    activationLeadMs: overrides.activationLeadMs ?? Math.floor(interval / 24),
    keyLifetimeMs: overrides.keyLifetimeMs ?? 2 * interval,
  };
}

/** The spec's TOKEN_LIFETIME_TOLERANCE added to the published maximum lifetimes. */
export const TOKEN_LIFETIME_TOLERANCE_SECONDS = 10;
/** What /v2/key/sharing reports as the master keyset id (the real one is -1). */
export const MASTER_KEYSET_ID_FOR_SDKS = 9_999_999;
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
