// Where identities live: the official SDK's own places, so a site can swap the official SDK for this
// snippet (or back) and keep its users' identities. localStorage `UID2-sdk-identity` by default, or the
// first-party cookie `__uid_2` with useCookie (EUID: `EUID-sdk-identity`, `__euid`); whichever holds the
// newer identity wins, as in the official SDK, which lets a server hand over an identity in the cookie.
// Prebid.js's copy (`__uid2_advertising_token` / `__euid_advertising_token`) is read, never written.
// If the browser refuses to store (sandboxed frame, private mode, a cookie too large), the identity
// lives in memory for this page. Nothing derived from DII is stored. The init config is stored beside
// the identity (`…_config`), as the official SDK does, for the self-bootstrap on the next page.
import type { Options, Stored } from './types.ts';

const DAY = 864e5;

/** [localStorage key, cookie name, Prebid's key] of a product. */
export const names = (euid: boolean): string[] =>
  euid ? ['EUID-sdk-identity', '__euid', '__euid_advertising_token'] : ['UID2-sdk-identity', '__uid_2', '__uid2_advertising_token'];

const memory: (Stored | undefined)[] = []; // per product, only when storing failed

const cookie = (name: string): string | undefined =>
  document.cookie
    .split('; ')
    .find((c) => c.startsWith(name + '='))
    ?.slice(name.length + 1);

/** A stored value parsed (cookies are URI-encoded JSON; decoding is a no-op on localStorage JSON). */
const read = (name: string): any => {
  try {
    let v = JSON.parse(decodeURIComponent(localStorage.getItem(name) ?? cookie(name)!));
    if (v && 'latestToken' in v) {
      // Prebid wraps the identity; 'optout' has no expiry there, so it loses to any real identity.
      v = v.latestToken == 'optout' ? { status: 'optout', identity_expires: 1, refresh_expires: 1 / 0 } : v.latestToken;
    }
    return v;
  } catch {
    return undefined; // nothing there, unreadable storage, or a value that is not ours to understand
  }
};

/** An identity with string tokens and numeric times, or an opt-out marker: anything else is not used. */
export const valid = (v: any): v is Stored =>
  !!v &&
  (v.status == 'optout' || (typeof v.advertising_token == 'string' && typeof v.refresh_token == 'string' && v.refresh_from > 0)) &&
  v.identity_expires > 0 &&
  v.refresh_expires > 0;

const usable = (v: any): v is Stored => valid(v) && v.refresh_expires > Date.now();

const setCookie = (o: Options, name: string, value: string, expires: number): void => {
  document.cookie = `${name}=${value};path=${o.cookiePath || '/'}${o.cookieDomain ? ';domain=' + o.cookieDomain : ''};expires=${new Date(expires).toUTCString()}`;
};

/**
 * Writes `json` (or removes it, when undefined) to the cookie `name` with useCookie, else to
 * localStorage `key`; the other place is cleared. True when the value reads back as written.
 */
const put = (o: Options, key: string, name: string, json: string | undefined, expires: number): boolean => {
  const inCookie = json && o.useCookie;
  try {
    setCookie(o, name, inCookie ? encodeURIComponent(json) : '', inCookie ? expires : 0);
    json && !inCookie ? localStorage.setItem(key, json) : localStorage.removeItem(key);
  } catch {
    // checked below
  }
  return !json || JSON.stringify(read(inCookie ? name : key)) == json;
};

/** Stores `v` (or removes the identity) where the options say; the other place is cleared. */
export function save(o: Options, euid: boolean, v?: Stored, log?: (m: string) => void): void {
  const [key, name] = names(euid);
  memory[+euid] = undefined;
  if (!put(o, key!, name!, v && JSON.stringify(v), v?.refresh_expires!)) {
    memory[+euid] = v;
    log?.(`storage refused${o.useCookie ? ' (cookie too large?)' : ''}: kept in memory`);
  }
}

/** The init options the official SDK stores for the next page load, and where: `<key>_config`. */
const CONFIG = ['baseUrl', 'useCookie', 'refreshRetryPeriod', 'cookiePath', 'cookieDomain'];

/** Stores the init config (the official SDK's fields; our `operatorUrl` as `baseUrl`) for 400 days. */
export const saveConfig = (o: Options, euid: boolean): void => {
  const [key, name] = names(euid).map((n) => n + '_config');
  // An array replacer keeps only the fields it names.
  put(o, key!, name!, JSON.stringify({ ...o, baseUrl: o.baseUrl || o.operatorUrl }, CONFIG), Date.now() + 400 * DAY);
};

/** The stored init config (localStorage or cookie), or undefined. */
export const loadConfig = (euid: boolean): Options | undefined => {
  const [key, name] = names(euid);
  return read(key + '_config') || read(name + '_config');
};

/**
 * The current identity or opt-out marker, or undefined: of ours (localStorage, cookie, memory) and
 * Prebid's, the usable one that expires last. A legacy cookie (only advertising_token and refresh_token)
 * gets the official SDK's default times and is stored again; our own dead entries are removed, and
 * `expired` hears of an identity removed because its refresh_expires passed.
 */
export function load(o: Options, euid: boolean, log: (m: string) => void, expired: () => void): Stored | undefined {
  let best = memory[+euid];
  names(euid).forEach((name, i) => {
    let v = read(name);
    if (i == 1 && v?.advertising_token && v.refresh_token && !v.refresh_expires) {
      const now = Date.now();
      save(o, euid, (v = { ...v, refresh_from: now, identity_expires: now + DAY / 6, refresh_expires: now + 7 * DAY }), log);
    }
    if (usable(v)) {
      if (!(best && best.identity_expires >= v.identity_expires)) best = v;
    } else if (v && i < 2) {
      log('dropped expired or malformed identity');
      if (v.advertising_token && valid(v)) expired(); // well-formed, so only its refresh time passed
      i ? setCookie(o, name, '', 0) : localStorage.removeItem(name);
    }
  });
  return usable(best) ? best : undefined;
}
