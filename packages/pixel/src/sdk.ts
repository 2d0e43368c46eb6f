// One UID2 (or EUID) client: the identity lifecycle, the official SDK's events and background refresh
// timer, and its API under both its names and ours. The <script> build makes two of these (`__uid2`,
// also `uid2pixel`, and `__euid`); the ESM build exports one and this factory.
import { isNormalizedPhone, normalizeEmail } from '@uid2-pixels/uid2/dii/normalize';
import { toB64 } from './b64.ts';
import { consent } from './consent.ts';
import { guard, guardAll } from './guard.ts';
import { sha256 } from './hash.ts';
import { generate, refresh } from './operator.ts';
import { pixels } from './pixel.ts';
import { load, save, saveConfig, valid } from './store.ts';
import type { Callback, EventType, Identity, Options, OptOut, Reply, Stored } from './types.ts';

const OPT_OUT_MS = 2592e5; // 72 h: how long an opt-out is remembered (the official SDK's 3 days)

/** The legacy `init({callback})` status codes, by the official SDK's names (also its statusText). */
const STATUS: Record<string, number> = { ESTABLISHED: 0, REFRESHED: 1, EXPIRED: 100, NO_IDENTITY: -1, INVALID: -2, REFRESH_EXPIRED: -3, OPTOUT: -4 };

export function createSdk(euidByDefault = false) {
  const o: Options = {};
  const callbacks: Callback[] = [];
  let inited: boolean | undefined;
  let generating: Promise<unknown> | undefined; // the latest CSTG call; pixels wait for it
  let refreshing: Promise<void> | undefined;
  let retryAt = 0;
  let epoch = 0; // bumped by every set/clear, so a late answer cannot resurrect a replaced identity
  let timer: ReturnType<typeof setInterval>;
  let last: unknown = ''; // the token (or 0 for opt-out) the last IdentityUpdated reported
  let hadToken = false; // legacy callback: a token seen before makes the next one REFRESHED, not ESTABLISHED
  let reason: string | undefined; // legacy callback: the status an event just decided (REFRESHED, INVALID, REFRESH_EXPIRED)
  // True once a consent check answered yes; false before the first answer (the lite build asks no CMP)
  // and after a no. A re-check keeps the last answer until it has its own.
  let consented = __LITE__;
  let checking: Promise<boolean> | undefined; // the latest consent check; getToken waits for it
  let tcString: string | undefined; // EUID: the TC string the CMP gave, sent with CSTG
  let initDone: () => void;
  const ready = new Promise<void>((r) => (initDone = r));

  const euid = (): boolean =>
    !__LITE__ && (o.scope ? o.scope == 'EUID' : o.serverPublicKey ? /^EUID/.test(o.serverPublicKey) : euidByDefault);
  const log = (m: string): undefined => {
    try {
      o.logger?.warn?.(`[${euid() ? 'EUID' : 'UID2'}] ${m}`);
    } catch {
      // a logger that throws is the page's problem, not a reason to stop
    }
  };
  const baseUrl = (): string => o.baseUrl || o.operatorUrl || (euid() ? 'https://prod.euid.eu' : 'https://prod.uidapi.com');
  // An identity whose refresh_expires passed is dropped: the legacy callback reports REFRESH_EXPIRED.
  const stored = (): Stored | undefined => load(o, euid(), log, () => (reason = 'REFRESH_EXPIRED'));
  const store = (v?: Stored): void => save(o, euid(), v, log);

  /** The identity whose token may be used now (not expired, consent not refused), or null. */
  const getIdentity = (): Identity | null => {
    const v = stored() as Identity | undefined;
    return consented && v?.advertising_token && Date.now() < v.identity_expires ? v : null;
  };
  const getAdvertisingToken = (): string | undefined => getIdentity()?.advertising_token;
  const hasOptedOut = (): boolean => (stored() as OptOut | undefined)?.status == 'optout';

  const run = (cb: Callback, event: EventType): void => {
    try {
      cb(event, { identity: getIdentity() });
    } catch (e) {
      log(`${event} handler threw: ${e}`); // the page's handler must not break us or the other handlers
    }
  };
  const emit = (event: EventType): void => {
    callbacks.forEach((cb) => run(cb, event));
    if (/^I/.test(event)) legacy(); // InitCompleted and IdentityUpdated
  };

  /** The legacy init({callback}) with the official status codes: after init and every identity change. */
  const legacy = (): void => {
    const t = getAdvertisingToken();
    const text = hasOptedOut() ? 'OPTOUT' : reason || (t ? (hadToken ? 'REFRESHED' : 'ESTABLISHED') : consented && stored() ? 'EXPIRED' : 'NO_IDENTITY');
    hadToken ||= !!t;
    reason = undefined;
    const cb = o.callback;
    if (cb) run(() => cb({ advertisingToken: t, advertising_token: t, status: STATUS[text]!, statusText: text }), 'callback' as EventType);
  };
  // Late subscribers get SdkLoaded (and InitCompleted once init ran) at once, as in the official SDK.
  callbacks.push = (...cbs: Callback[]): number => {
    for (const cb of cbs)
      if (typeof cb == 'function') {
        callbacks[callbacks.length] = cb;
        run(cb, 'SdkLoaded');
        if (inited) run(cb, 'InitCompleted');
      }
    return callbacks.length;
  };

  /** Fires IdentityUpdated (after OptoutReceived, for an opt-out) when the usable token changed. */
  const sync = (): void => {
    // While a generation is in flight, its outcome is what gets told (and with it the old identity's end).
    if (generating) return;
    const now = getAdvertisingToken() || (hasOptedOut() ? 0 : '');
    if (now !== last) {
      last = now;
      if (now === 0) emit('OptoutReceived');
      emit('IdentityUpdated');
    } else if (reason) legacy(); // refused or dead, though no usable token changed: only the legacy callback hears
  };

  /** Stores what the operator answered and returns the token, if any. */
  const apply = (r: Reply, from?: Identity): string | undefined => {
    const s = r.status;
    if (s == 'success' && valid(r.body)) {
      if (from) reason = 'REFRESHED';
      store(r.body);
      return r.body.advertising_token;
    }
    if (s == 'insufficient_user_consent') refuse(s);
    else if (s == 'optout') {
      const t = Date.now() + OPT_OUT_MS;
      store({ status: 'optout', identity_expires: t, refresh_expires: t });
    } else {
      log(`${from ? 'refresh' : 'CSTG'} failed: ${s}`);
      if (from) {
        // 400 (or an invalid/expired status): this refresh token is dead. Drop it and stop refreshing
        // until the next identity.
        reason = 'REFRESH_EXPIRED';
        store();
        retryAt = 1 / 0;
      }
    }
    return undefined;
  };

  /**
   * Fires NoConsent (and IdentityUpdated, as the token is no longer usable) with a reason in the log. An
   * answer that refuses (the CMP's or the operator's) also removes a stored identity: the policy says
   * this user gets no token. A CMP that is missing, silent or broken only hides it (it may load late).
   */
  const refuse = (why: string): void => {
    consented = false;
    log(`no consent: ${why}`);
    emit('NoConsent');
    if (/consent|opt-out/.test(why) && (stored() as Identity | undefined)?.advertising_token) forget();
    else sync();
  };

  /** Records the CMP's answer; true when it allows a token. */
  const answer = ([why, tc]: [string, string?]): boolean => {
    tcString = tc;
    consented = true;
    if (why) refuse(why);
    else if (inited) sync(); // a stored token just became usable
    return consented;
  };

  /**
   * Whether the page's CMP allows a token: at once when no CMP is to be asked (so the getters answer
   * right after init), else a promise. Until a check has answered yes, the getters show no token.
   */
  const allowed = (): boolean | Promise<boolean> => {
    // The lite build asks no CMP (the bundler drops consent.ts).
    const a = __LITE__ ? [''] as [string] : consent(o.consent, euid());
    return a instanceof Promise ? (checking = a.then(answer)) : answer(a);
  };

  const startRefresh = (id: Identity): Promise<void> =>
    (refreshing ||= (async (e) => {
      let r: Reply = {};
      try {
        if (await allowed()) r = await refresh(baseUrl(), id);
      } catch (x) {
        log(`refresh failed: ${x}`); // network or 5xx: transient, keep the identity
        retryAt = Date.now() + (o.refreshRetryPeriod || 5e3);
      }
      if (e == epoch && r.status) apply(r, id);
      refreshing = undefined;
      sync();
    })(epoch));

  /** The stored identity, with a refresh started when it is due (once init ran). */
  const due = (): Stored | undefined => {
    const id = stored();
    const now = Date.now();
    if (inited && (id as Identity)?.advertising_token && now >= (id as Identity).refresh_from && now >= retryAt) startRefresh(id as Identity);
    return id;
  };

  /** The current advertising token, refreshing first when it is due; undefined when there is none. */
  const getToken = async (): Promise<string | undefined> => {
    await generating;
    await checking;
    const id = due();
    if (id && Date.now() >= id.identity_expires) await refreshing; // expired but refreshable: the refresh decides
    return getAdvertisingToken();
  };

  /** Drops the identity from storage and cookie both; an answer still on its way is ignored. The next
   * identity is a new one (ESTABLISHED to the legacy callback). */
  const drop = (): void => {
    hadToken = false;
    epoch++;
    generating = undefined; // nobody waits on a generation whose answer will be ignored
    store();
  };
  /** Forgets the identity, and says so (IdentityUpdated, the legacy callback). */
  const forget = (): void => {
    drop();
    sync();
  };

  /** (Re)starts the background timer: each tick re-reads storage (another tab may have refreshed or
   * logged out) and refreshes when due. */
  const arm = (): void => {
    clearInterval(timer);
    timer = setInterval(
      guard(() => (due(), sync())),
      o.refreshRetryPeriod || 5e3,
    );
  };

  /** A logout: forgets the identity and stops the timer, as the official SDK does (init, setIdentity
   * or a set* call start it again). */
  const disconnect = (): void => {
    clearInterval(timer);
    forget();
  };

  /**
   * Drops the identity for the one coming and, once init ran, makes sure the timer runs. Silent: the
   * outcome (the new identity, or none) is reported once, so the legacy callback hears ESTABLISHED for
   * a new identity, not NO_IDENTITY and then REFRESHED.
   */
  const replace = (): void => {
    drop();
    retryAt = 0;
    if (inited) arm();
  };

  /** An identity the server generated (or an opt-out marker): replaces the current one. */
  const setIdentity = (v: Stored): void => {
    replace();
    if (valid(v)) store(v);
    else {
      log('not an identity');
      reason = 'INVALID';
    }
    due();
    sync();
  };

  /**
   * A new person: forget the old identity, then generate from `value` (hashed here when `hashIt`). A
   * value that is not valid DII (or a hash that is not 44-char base64 or 64-char hex) leaves no identity.
   * `opts` takes the official SDK's per-call `{serverPublicKey, subscriptionId}`.
   */
  const generateFrom = (field: string, value: unknown, hashIt?: boolean) => (v: string, opts?: Options) => {
    Object.assign(o, opts);
    replace();
    const e = epoch;
    const p = (async () => {
      try {
        // Always awaited, so `generating` is this generation before anything below (finally included) runs.
        let hash = await (typeof v == 'string' && value ? (hashIt ? sha256(value as string) : v) : '');
        // A hex hash (64 characters) is what many tools produce; the operator's CSTG wants base64.
        if (/^[0-9a-f]{64}$/i.test(hash)) hash = toB64(hash.match(/../g)!.map((h) => parseInt(h, 16)));
        if (!/^[A-Za-z0-9+/]{43}=$/.test(hash)) return log('invalid DII');
        if (!o.subscriptionId || !o.serverPublicKey) return log('no serverPublicKey/subscriptionId');
        if (!(await allowed())) return;
        // EUID: the TC string rides inside the encrypted payload; the operator checks it again.
        const r = await generate(baseUrl(), o.serverPublicKey, o.subscriptionId, { [field]: hash, tcf_consent_string: euid() ? tcString : undefined });
        if (e == epoch) return apply(r);
      } catch (x) {
        log(`CSTG failed: ${x}`);
      } finally {
        if (e == epoch) generating = undefined; // still this generation's: no set or clear came since
        sync(); // the outcome, whatever it is, and so the old identity's end
      }
    })();
    return (generating = p);
  };

  const api = guardAll({
    /** Sets options (again: later values win); starts the timer; fires InitCompleted the first time. */
    init: (x: Options = {}): void => {
      const { identity, ...rest } = x;
      Object.assign(o, rest);
      const period = o.refreshRetryPeriod;
      if (period != null && !(period >= 1e3)) {
        log('refreshRetryPeriod < 1000');
        delete o.refreshRetryPeriod;
      }
      saveConfig(o, euid()); // for the self-bootstrap on the next page load (global.ts), as the official SDK does
      // The official rule: a server-provided identity wins when nothing is stored or it expires later.
      if (valid(identity) && !(stored()?.identity_expires! >= identity.identity_expires)) setIdentity(identity);
      else if (identity) log('identity not used');
      arm();
      void allowed(); // a stored token is used only once the CMP said yes
      if (!inited) {
        inited = true;
        last = getAdvertisingToken() || (hasOptedOut() ? 0 : '');
        emit('InitCompleted');
        initDone();
      }
      due();
    },
    setEmail: (v: string, opts?: Options) => generateFrom('email_hash', normalizeEmail(v), true)(v, opts),
    setPhone: (v: string, opts?: Options) => generateFrom('phone_hash', isNormalizedPhone(v) && v, true)(v, opts),
    setEmailHash: generateFrom('email_hash', 1),
    setPhoneHash: generateFrom('phone_hash', 1),
    setIdentity,
    getToken,
    getAdvertisingToken,
    getIdentity,
    hasOptedOut,
    /** False while an identity, an opt-out or a request in flight stands (the official semantics). */
    // Before consent answered yes, a stored identity counts as none (an opt-out marker always counts).
    isLoginRequired: (): boolean | undefined => (inited ? !(((consented || hasOptedOut()) && stored()) || generating || refreshing) : undefined),
    isIdentityAvailable: (): boolean => !!(getIdentity() || generating || refreshing),
    isInitComplete: (): boolean => !!inited,
    disconnect,
    ...pixels(getToken, o),
  });
  return Object.assign(api, {
    clear: api.disconnect,
    setIdentityFromEmail: api.setEmail,
    setIdentityFromPhone: api.setPhone,
    setIdentityFromEmailHash: api.setEmailHash,
    setIdentityFromPhoneHash: api.setPhoneHash,
    /** Resolves to the token once init ran and nothing is in flight; rejects when there is none (official). */
    getAdvertisingTokenAsync: (): Promise<string> =>
      ready.then(getToken).then((t) => t || Promise.reject(Error('No identity available'))),
    callbacks,
  });
}

export type Sdk = ReturnType<typeof createSdk>;
