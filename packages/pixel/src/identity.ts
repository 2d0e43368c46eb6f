// The identity lifecycle: generate from a hash, refresh once refresh_from has passed (one refresh in
// flight at most), drop on expiry, refusal or opt-out.
import { generate, refresh } from './operator.ts';
import { load, save } from './store.ts';
import type { Identity, Options, OptOut, Reply } from './types.ts';

/** Options from init(); empty until then (pixels still fire, with a stored token if there is one). */
export const options = {} as Options;
export const configure = (o: Options): Options => Object.assign(options, o);

const OPT_OUT_MS = 2592e5; // 72 h: how long an opt-out is remembered (the official SDK's 3 days)
const RETRY_MS = 5e3; // pause after a refresh that failed for a transient reason

let generating: Promise<unknown> | undefined; // the latest CSTG call; pixels wait for it
let refreshing: Promise<void> | undefined;
let retryAt = 0;
let epoch = 0; // bumped by every set/clear, so a late answer cannot resurrect a replaced identity

/** Stores what the operator answered and returns the token, if any. */
const apply = (r: Reply, from?: Identity): string | undefined => {
  const s = r.status;
  if (s == 'success' && r.body) {
    save(r.body);
    return r.body.advertising_token;
  }
  if (s == 'optout') {
    const t = Date.now() + OPT_OUT_MS;
    save({ status: 'optout', identity_expires: t, refresh_expires: t });
  } else if (from) {
    // 400 (or an authenticated caller's invalid/expired status): this refresh token is dead. Drop our
    // copy and stop refreshing until the next set*(); a foreign copy stays usable until identity_expires.
    if (/400|invalid|expired/.test(s as string)) {
      save(undefined);
      retryAt = 1 / 0;
    } else retryAt = Date.now() + RETRY_MS;
  }
  return undefined;
};

const startRefresh = (id: Identity): Promise<void> =>
  (refreshing ||= (async (e) => {
    let r: Reply = {};
    try {
      r = (await refresh(options, id)) || r;
    } catch {
      // Network failure or undecryptable answer: transient, keep the identity and retry later.
    }
    if (e == epoch) apply(r, id);
    refreshing = undefined;
  })(epoch));

/** The current advertising token, refreshing first when it is due; undefined when there is none. */
export async function getToken(): Promise<string | undefined> {
  await generating;
  let id = load() as Identity | undefined;
  if (id?.advertising_token) {
    const now = Date.now();
    if (now >= id.refresh_from && now >= retryAt && options.operatorUrl) startRefresh(id);
    if (now >= id.identity_expires) {
      // Expired but still refreshable: the refresh decides.
      await refreshing;
      id = load() as Identity | undefined;
    }
    if (id && Date.now() < id.identity_expires) return id.advertising_token;
  }
  return undefined;
}

/** True while an opt-out answer from the operator (or another UID2 client on the site) stands. */
export const hasOptedOut = (): boolean => (load() as OptOut | undefined)?.status == 'optout';

/** Forgets our identity (a logout). Identities owned by the official SDK or Prebid are theirs to clear. */
export function clear(): void {
  epoch++;
  generating = undefined; // nobody waits on a generation whose answer will be ignored
  save(undefined);
}

/**
 * A new person: forget the old identity, then generate from `value` (hashed here when `hashIt`).
 * A value that is not valid DII (or a hash that is not 44-char base64) leaves no identity.
 */
export const setIdentity = (field: string, value: string | null | false, hashIt?: (v: string) => Promise<string>) =>
  (generating = (async () => {
    clear();
    retryAt = 0;
    const e = epoch;
    if (value && options.subscriptionId) {
      const hash = hashIt ? await hashIt(value) : value;
      if (/^[A-Za-z0-9+/]{43}=$/.test(hash)) {
        const r = await generate(options, { [field]: hash });
        if (e == epoch) return apply(r);
      }
    }
    return undefined;
  })().catch(() => undefined));
