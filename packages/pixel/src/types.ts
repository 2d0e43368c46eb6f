declare global {
  /** True in the lite build (UID2 only, no consent checks): vite.config.ts `--mode lite`. */
  const __LITE__: boolean;
}

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

/** Where problems are reported: any object with a `warn` method (console works). Silent when unset. */
export interface Logger {
  warn?: (message: string) => void;
}

/** The events of the official SDK, plus `NoConsent` (the CMP did not allow a token). */
export type EventType = 'SdkLoaded' | 'InitCompleted' | 'IdentityUpdated' | 'OptoutReceived' | 'NoConsent';
/** Every payload carries the current usable identity (or null), as the official SDK's do. */
export type Callback = (event: EventType, payload: { identity: Identity | null }) => void;

/** Which consent signals gate token generation and refresh (see README "Consent"). */
export interface ConsentPolicy {
  /** TCF v2 (`__tcfapi`): 'require' = no token without consent for the EUID purposes when GDPR applies
   * (and no token when there is no CMP); 'ifApplies' = same, but a missing CMP means "not applicable";
   * false = not consulted. Default: 'require' for EUID, false for UID2. */
  tcf?: 'require' | 'ifApplies' | false;
  /** GPP (`__gpp`): true = a US opt-out of sale/sharing/targeted ads in the GPP string means no token.
   * Default: true for UID2, false for EUID. */
  gpp?: boolean;
  /** How long to wait for a CMP's answer, ms (default 500): a CMP that never answers counts as no consent. */
  wait?: number;
}

/** What the legacy `init({callback})` receives (the official SDK's format). */
export interface InitCallbackPayload {
  advertisingToken?: string;
  advertising_token?: string;
  /** ESTABLISHED 0, REFRESHED 1, EXPIRED 100, NO_IDENTITY -1, INVALID -2, REFRESH_EXPIRED -3, OPTOUT -4. */
  status: number;
  /** The status's name, e.g. 'ESTABLISHED'. */
  statusText: string;
}

export interface Options {
  /** Operator base URL. Default https://prod.uidapi.com (UID2) or https://prod.euid.eu (EUID). */
  baseUrl?: string;
  /** The same as baseUrl (this snippet's earlier name). */
  operatorUrl?: string;
  /** CSTG server public key, `UID2-X-<env>-<base64 SPKI>` (or `EUID-X-…`, which selects EUID). */
  serverPublicKey?: string;
  /** CSTG subscription id. */
  subscriptionId?: string;
  /** 'UID2' or 'EUID'; when unset, the server public key's prefix decides (then the global's product). */
  scope?: 'UID2' | 'EUID';
  /** A server-generated identity (the body of a /v2/token/generate answer); used if newer than the stored one. */
  identity?: Stored;
  /** How often (ms, >= 1000) the background timer re-reads storage and refreshes a due token. Default 5000. */
  refreshRetryPeriod?: number;
  /** Store the identity in a first-party cookie instead of localStorage. */
  useCookie?: boolean;
  /** The cookie's Domain (to share it across subdomains); default: this host only. */
  cookieDomain?: string;
  /** The cookie's Path. Default `/`. */
  cookiePath?: string;
  /** The official SDK's legacy callback: called after init and whenever the identity changes. */
  callback?: (payload: InitCallbackPayload) => void;
  /** Receives a clear reason whenever something fails. Default: silent. */
  logger?: Logger;
  /** When to ask the page's CMP before generating or refreshing a token. */
  consent?: ConsentPolicy;
  /** Query parameter that carries the token in tracking pixels. Default `uid2_token`. */
  param?: string;
  /** Milliseconds a pixel waits for a pending token before firing. Default 1000. */
  wait?: number;
  /** When true, a tracking pixel with no token is not fired at all. Default false (fired without one). */
  requireToken?: boolean;
  /** When true, tracking pixels go out with navigator.sendBeacon (POST) instead of an image (GET). */
  beacon?: boolean;
}
