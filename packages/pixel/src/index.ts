// The ESM build: the same guarded functions the <script> build puts on its global.
import { api } from './api.ts';

export type { Identity, Options, OptOut } from './types.ts';
export type { Params } from './pixel.ts';

export const {
  init,
  setEmail,
  setPhone,
  setEmailHash,
  setPhoneHash,
  getToken,
  hasOptedOut,
  clear,
  track,
  impression,
  fillMacro,
  scan,
} = api;
