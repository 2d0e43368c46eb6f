// Where identities live. Ours is written to localStorage (and kept in memory for pages where storage
// throws, e.g. sandboxed frames). Identities that the official UID2 SDK or Prebid.js stored on the same
// site are read, never written: whichever valid one expires last wins. Nothing derived from DII is stored.
import type { Stored } from './types.ts';

/** Our own key; the official SDK uses `UID2-sdk-identity` and Prebid `__uid2_advertising_token`. */
export const KEY = 'UID2-pixel-identity';
// Official SDK (localStorage, or cookie `__uid_2` with useCookie), then Prebid (localStorage or cookie).
const FOREIGN = ['UID2-sdk-identity', '__uid_2', '__uid2_advertising_token'];

let memory: Stored | undefined;

const read = (name: string): any => {
  try {
    const text =
      localStorage.getItem(name) ??
      document.cookie
        .split('; ')
        .find((c) => c.startsWith(name + '='))
        ?.slice(name.length + 1);
    // Cookies are URI-encoded JSON; the decoding is a no-op on localStorage JSON.
    let v = text && JSON.parse(decodeURIComponent(text));
    if (v && 'latestToken' in v) {
      // Prebid wraps the identity; 'optout' has no expiry there, so it loses to any real identity.
      v = v.latestToken == 'optout' ? { status: 'optout', identity_expires: 1, refresh_expires: 1 / 0 } : v.latestToken;
    }
    return v;
  } catch {
    return undefined; // unreadable storage or a value that is not ours to understand
  }
};

const usable = (v: any): v is Stored =>
  !!v && (v.status == 'optout' || v.advertising_token) && v.refresh_expires > Date.now();

/** The current identity or opt-out marker, or undefined. Drops our own entry once it has expired. */
export function load(): Stored | undefined {
  let best = read(KEY) ?? memory;
  if (best && !usable(best)) save((best = undefined));
  for (const name of FOREIGN) {
    const v = read(name);
    if (usable(v) && !(best && best.identity_expires >= v.identity_expires)) best = v;
  }
  return best;
}

export function save(v: Stored | undefined): void {
  memory = v;
  try {
    if (v) localStorage.setItem(KEY, JSON.stringify(v));
    else localStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode, sandbox, quota): the memory copy serves this page.
  }
}
