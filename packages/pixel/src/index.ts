// The ESM build: one UID2 client's guarded functions (the same the <script> build puts on `__uid2`),
// and the factory for more (`createSdk(true)` is an EUID client).
import { createSdk } from './sdk.ts';

export type { Callback, ConsentPolicy, EventType, Identity, Logger, Options, OptOut } from './types.ts';
export type { Params } from './pixel.ts';
export type { Sdk } from './sdk.ts';
export { createSdk };

export const sdk = createSdk();
export const {
  init,
  setEmail,
  setPhone,
  setEmailHash,
  setPhoneHash,
  setIdentity,
  getToken,
  getAdvertisingToken,
  getAdvertisingTokenAsync,
  getIdentity,
  hasOptedOut,
  isLoginRequired,
  isIdentityAvailable,
  isInitComplete,
  disconnect,
  clear,
  callbacks,
  track,
  impression,
  fillMacro,
  scan,
} = sdk;
