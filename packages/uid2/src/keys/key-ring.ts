// A KeyRing is one /v2/key/sharing or /v2/key/bidstream answer, validated and indexed for the token
// codec's hot path: key by id is one Map lookup, the active key of a keyset is a short backwards scan
// over that keyset's keys (pre-sorted by activation), and nothing allocates per lookup. The body is
// read and checked in key-response.ts. Wire facts kept as they come (operator-api.md §3.4, §8.2,
// §12.5): the master keyset is reported as 9999999, the lifetime maxima already include the
// operator's +10 s tolerance.
import type { IdentityScope, Key } from '../types.ts';
import { KeysParseError } from './errors.ts';
import { DEFAULT_ALLOW_CLOCK_SKEW_SECONDS, DEFAULT_TOKEN_EXPIRY_SECONDS, readKeyResponse } from './key-response.ts';

export { DEFAULT_ALLOW_CLOCK_SKEW_SECONDS, DEFAULT_TOKEN_EXPIRY_SECONDS };

/** The ring's configuration, in the units the codec uses (ms for key times, seconds for durations). */
export interface KeyRingInit {
  keys: readonly Key[];
  callerSiteId?: number | null;
  masterKeysetId?: number | null;
  defaultKeysetId?: number | null;
  tokenExpirySeconds?: number;
  /** null: no limit (the body did not say). */
  maxSharingLifetimeSeconds?: number | null;
  maxBidstreamLifetimeSeconds?: number | null;
  allowClockSkewSeconds?: number;
  identityScope?: IdentityScope;
  /** site id -> domain and app names allowed for that site's client-side generated tokens. */
  siteData?: ReadonlyMap<number, readonly string[]>;
}

export class KeyRing {
  readonly callerSiteId: number | null;
  readonly masterKeysetId: number | null;
  readonly defaultKeysetId: number | null;
  readonly tokenExpirySeconds: number;
  readonly maxSharingLifetimeSeconds: number | null;
  readonly maxBidstreamLifetimeSeconds: number | null;
  readonly allowClockSkewSeconds: number;
  readonly identityScope: IdentityScope;
  /** Every key, in the order the body listed them (sorted by id on the wire). */
  readonly keys: readonly Key[];
  /** The latest expiry of any key, ms; the ring is usable strictly before it. -Infinity if empty. */
  readonly latestExpiry: number;

  readonly #byId = new Map<number, Key>();
  /** keyset id -> its keys sorted by activation ascending (ties keep body order). */
  readonly #byKeyset = new Map<number, Key[]>();
  /** site id -> lower-cased allowed domain/app names. */
  readonly #siteNames = new Map<number, ReadonlySet<string>>();

  constructor(init: KeyRingInit) {
    this.keys = Object.freeze([...init.keys]);
    this.callerSiteId = init.callerSiteId ?? null;
    this.masterKeysetId = init.masterKeysetId ?? null;
    this.defaultKeysetId = init.defaultKeysetId ?? null;
    this.tokenExpirySeconds = init.tokenExpirySeconds ?? DEFAULT_TOKEN_EXPIRY_SECONDS;
    this.maxSharingLifetimeSeconds = init.maxSharingLifetimeSeconds ?? null;
    this.maxBidstreamLifetimeSeconds = init.maxBidstreamLifetimeSeconds ?? null;
    this.allowClockSkewSeconds = init.allowClockSkewSeconds ?? DEFAULT_ALLOW_CLOCK_SKEW_SECONDS;
    this.identityScope = init.identityScope ?? 'UID2';
    let latest = -Infinity;
    for (const key of this.keys) {
      this.#byId.set(key.id, key);
      if (key.expires > latest) latest = key.expires;
      if (key.keysetId !== null) {
        let list = this.#byKeyset.get(key.keysetId);
        if (!list) this.#byKeyset.set(key.keysetId, (list = []));
        list.push(key);
      }
    }
    // Array.prototype.sort is stable, so equal activation times keep the body's (id) order and the
    // later-listed key wins, as in the SDKs.
    for (const list of this.#byKeyset.values()) list.sort((a, b) => a.activates - b.activates);
    this.latestExpiry = latest;
    if (init.siteData) {
      for (const [siteId, names] of init.siteData) {
        this.#siteNames.set(siteId, new Set(names.map((n) => n.toLowerCase())));
      }
    }
  }

  /**
   * Builds a ring from a key endpoint response: its `body` field, or the whole `{status, body}` object.
   * Throws KeysParseError (code 'invalid-keys') naming the first offending field.
   */
  static fromResponseBody(input: unknown): KeyRing {
    let body = input;
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'body' in body && 'status' in body) {
      const status = (body as { status: unknown }).status;
      if (status !== 'success') throw new KeysParseError('status', `expected "success", got ${JSON.stringify(status)}`);
      body = (body as { body: unknown }).body;
    }
    return new KeyRing(readKeyResponse(body));
  }

  /**
   * `get` as a free-standing function (bound once per ring) for openAdvertisingToken, so the hot path
   * does not allocate a closure per token.
   */
  readonly lookupKey = (keyId: number): Key | undefined => this.#byId.get(keyId);

  /** Number of keys. */
  get size(): number {
    return this.#byId.size;
  }

  /** The key with this id, whatever its activation or expiry (decryption does not check them). */
  get(keyId: number): Key | undefined {
    return this.#byId.get(keyId);
  }

  /**
   * The key to encrypt with: among the keyset's keys that are active at `nowMs`
   * (activates <= now < expires), the one activated most recently.
   */
  activeKey(keysetId: number, nowMs: number): Key | undefined {
    const list = this.#byKeyset.get(keysetId);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const key = list[i] as Key;
      if (key.activates <= nowMs && nowMs < key.expires) return key;
    }
    return undefined;
  }

  /** Whether any key is still unexpired: the SDKs report KeysNotSynced otherwise. */
  isValid(nowMs: number): boolean {
    return nowMs < this.latestExpiry;
  }

  /**
   * A plain description of this ring from which an identical one can be built:
   * `new KeyRing(ring.toInit())`. Plain data only (numbers, strings, arrays, byte arrays, a map), so
   * it can be posted to a worker thread; it holds the key secrets, so treat it as the ring itself.
   */
  toInit(): KeyRingInit {
    const siteData = new Map<number, readonly string[]>();
    for (const [siteId, names] of this.#siteNames) siteData.set(siteId, [...names]);
    return {
      keys: this.keys.map((k) => ({ ...k, secret: k.secret.slice() })),
      callerSiteId: this.callerSiteId,
      masterKeysetId: this.masterKeysetId,
      defaultKeysetId: this.defaultKeysetId,
      tokenExpirySeconds: this.tokenExpirySeconds,
      maxSharingLifetimeSeconds: this.maxSharingLifetimeSeconds,
      maxBidstreamLifetimeSeconds: this.maxBidstreamLifetimeSeconds,
      allowClockSkewSeconds: this.allowClockSkewSeconds,
      identityScope: this.identityScope,
      siteData,
    };
  }

  /** Site ids the body carried site_data for (bidstream domain checks). */
  get siteIds(): readonly number[] {
    return [...this.#siteNames.keys()];
  }

  /** The lower-cased domain and app names allowed for a site, if the body listed it. */
  siteNames(siteId: number): ReadonlySet<string> | undefined {
    return this.#siteNames.get(siteId);
  }

  /**
   * Whether `domainOrAppName` belongs to the site: one of its names, or a host below one of them
   * (case-insensitive). False for an absent name or an unknown site.
   *
   * Deliberately wider than the SDKs' exact match: sites list their root domain, and the operator's
   * client-side generation accepts pages on subdomains of it, so a token made on `news.planet.example`
   * must pass a bid from that page. The SDKs make every DSP find the root domain itself, which needs
   * a public-suffix list; walking up the given host's labels needs none and cannot admit a host the
   * site did not list a parent of.
   */
  isDomainOrAppNameAllowedForSite(siteId: number, domainOrAppName: string | null | undefined): boolean {
    if (!domainOrAppName) return false;
    const names = this.#siteNames.get(siteId);
    if (names === undefined) return false;
    let name = domainOrAppName.toLowerCase();
    for (;;) {
      if (names.has(name)) return true;
      const dot = name.indexOf('.');
      if (dot < 0) return false;
      name = name.slice(dot + 1);
    }
  }
}
