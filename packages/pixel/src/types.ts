/**
 * An identity as the operator returns it (times in epoch ms): IdentityTokensJson of
 * @uid2-pixels/uid2, written out here so that the published snippet's types need no dependency
 * (test/types.test.ts holds the two equal). Identities written by other clients may lack
 * refresh_response_key (the legacy refresh path answers in plain JSON then).
 */
export interface Identity {
  advertising_token: string;
  refresh_token: string;
  identity_expires: number;
  refresh_expires: number;
  refresh_from: number;
  refresh_response_key?: string;
}

/** What is stored after the operator answered opt-out (the official SDK's format). */
export interface OptOut {
  status: 'optout';
  identity_expires: number;
  refresh_expires: number;
}

export type Stored = Identity | OptOut;

/** A decrypted operator answer; for a non-200 answer, its HTTP status (or nothing). */
export interface Reply {
  status?: string | number;
  body?: Identity;
}

export interface Options {
  /** Operator base URL, e.g. https://prod.uidapi.com (no trailing path). */
  operatorUrl: string;
  /** CSTG server public key, `UID2-X-<env>-<base64 SPKI>`. */
  serverPublicKey: string;
  /** CSTG subscription id. */
  subscriptionId: string;
  /** Query parameter that carries the token in tracking pixels. Default `uid2_token`. */
  param?: string;
  /** Milliseconds a pixel waits for a pending token before firing. Default 1000. */
  wait?: number;
  /** When true, a tracking pixel with no token is not fired at all. Default false (fired without one). */
  requireToken?: boolean;
  /** When true, tracking pixels go out with navigator.sendBeacon (POST) instead of an image (GET). */
  beacon?: boolean;
}
