// Whose token was it? A sender that revokes its grant takes its keys out of our key ring, and its next
// token fails with NotAuthorizedForKey: its site id sits in the layer only its key opens. The id of that
// key does not: it sits in the master layer, which our keys still open (the codec hands it over as
// TokenKeyIds). /v2/key/sharing does not say which site a key belongs to (it names keysets only for our
// own keys), but while the sender shared, every token it sent did: key id -> the site id inside it.
//
// KeyOwners remembers that from every token decrypted, plus each site's domains from every key sync
// (the keys' site data), and keeps both after the key is gone. Bounded (the oldest entries go first) and
// saved owner-only in the data dir, so a restart does not forget who a revoked key belonged to. A key id
// no token of ours ever named is reported on its own, as never shared with us or as shared once with
// its owner never seen, in a metric capped at a few key ids.
//
// On the pixel path this is one Map lookup per token; nothing about it reaches the pixel's answer.
import { join } from 'node:path';
import type { DecryptionResult, KeyRing, TokenKeyIds } from '@uid2-pixels/uid2';
import type { Logger } from '../log.ts';
import { readTextIfExists, replaceFile } from '../owner-file.ts';

/** What we know of a key id we cannot attribute to a site. */
export type UnattributedKey = 'never_shared' | 'owner_unknown';

export interface KeyOwnersOptions {
  /** Where to keep what was learned (owner-only JSON); null: memory only. */
  file: string | null;
  /** Key ids remembered at most (owners, and ids ever shared); the oldest go first. Default 4096. */
  maxKeys?: number;
  /** Sites whose domains are remembered at most. Default 1024. */
  maxSites?: number;
  /** How long after a change it is written, ms. Default 1000. */
  saveDelayMs?: number;
  log?: Logger;
  /** A NotAuthorizedForKey token whose key id is not attributable to any site. */
  onUnattributed?: (keyId: number, what: UnattributedKey) => void;
}

interface SavedKeyOwners {
  version: 1;
  /** [key id, site id], oldest first. */
  owners: Array<[number, number]>;
  /** Key ids any key sync ever gave us, oldest first. */
  shared: number[];
  /** Site id -> domains and app names from the keys' site data. */
  sites: Record<string, string[]>;
}

/** The file inside a data dir (cluster workers each keep their own: `name`). */
export function keyOwnersFile(dataDir: string, name = 'key-owners.json'): string {
  return join(dataDir, name);
}

/** Adds to a Map that keeps at most `max` entries, dropping the oldest. Returns whether it changed. */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): boolean {
  if (map.get(key) === value) return false;
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
  return true;
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v);

export class KeyOwners {
  private readonly owners = new Map<number, number>();
  private readonly shared = new Map<number, true>();
  private readonly sites = new Map<number, string[]>();
  private readonly maxKeys: number;
  private readonly maxSites: number;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: KeyOwnersOptions) {
    this.maxKeys = options.maxKeys ?? 4096;
    this.maxSites = options.maxSites ?? 1024;
  }

  /** Reads what an earlier run learned. A missing file is a first start; a broken one is logged and ignored. */
  async load(): Promise<void> {
    const { file } = this.options;
    if (file === null) return;
    let text: string;
    try {
      text = await readTextIfExists(file);
    } catch (err) {
      this.options.log?.warn({ file, err: { code: (err as NodeJS.ErrnoException).code } }, 'key owners file unreadable; starting without it');
      return;
    }
    if (text === '') return;
    try {
      const saved = JSON.parse(text) as Partial<SavedKeyOwners>;
      for (const pair of saved.owners ?? []) if (Array.isArray(pair) && isId(pair[0]) && isId(pair[1])) boundedSet(this.owners, pair[0], pair[1], this.maxKeys);
      for (const id of saved.shared ?? []) if (isId(id)) boundedSet(this.shared, id, true, this.maxKeys);
      for (const [id, names] of Object.entries(saved.sites ?? {})) {
        if (/^\d+$/.test(id) && Array.isArray(names)) boundedSet(this.sites, Number(id), names.filter((n) => typeof n === 'string'), this.maxSites);
      }
    } catch {
      this.options.log?.warn({ file }, 'key owners file is not valid JSON; starting without it (it is rewritten at the next change)');
    }
  }

  /**
   * The site to count a token under: the one it names when it opened far enough, else the one its
   * key belonged to when a token we did open told us, else null. Learns the key's owner on the way.
   */
  senderOf(result: Pick<DecryptionResult, 'siteId' | 'status'>, keyIds: TokenKeyIds): number | null {
    const keyId = keyIds.siteKeyId;
    if (result.siteId !== null) {
      if (keyId !== null && this.owners.get(keyId) !== result.siteId) {
        boundedSet(this.owners, keyId, result.siteId, this.maxKeys);
        this.changed();
      }
      return result.siteId;
    }
    if (keyId === null) return null;
    const owner = this.owners.get(keyId);
    if (owner !== undefined) return owner;
    if (result.status === 'NotAuthorizedForKey') this.options.onUnattributed?.(keyId, this.shared.has(keyId) ? 'owner_unknown' : 'never_shared');
    return null;
  }

  /** After every key sync: the key ids we hold now, and the domains of the sites that own them. */
  keysSynced(ring: KeyRing): void {
    let changed = false;
    for (const key of ring.keys) if (boundedSet(this.shared, key.id, true, this.maxKeys)) changed = true;
    for (const siteId of ring.siteIds) {
      const names = [...(ring.siteNames(siteId) ?? [])].sort();
      if (String(this.sites.get(siteId)) !== String(names) && boundedSet(this.sites, siteId, names, this.maxSites)) changed = true;
    }
    if (changed) this.changed();
  }

  /** Domains and app names of a site, from the latest key sync that listed it. */
  domainsOf(siteId: number): string[] {
    return this.sites.get(siteId) ?? [];
  }

  /** The site a key id belonged to, if a token sealed with it ever opened here. */
  ownerOf(keyId: number): number | undefined {
    return this.owners.get(keyId);
  }

  private changed(): void {
    if (this.options.file === null || this.saveTimer !== null || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save();
    }, this.options.saveDelayMs ?? 1000);
    this.saveTimer.unref();
  }

  /** Writes what is known now (atomically, 0600). Errors are logged: attribution is a nicety, never a reason to fail. */
  save(): Promise<void> {
    const file = this.options.file;
    if (file === null) return Promise.resolve();
    const saved: SavedKeyOwners = {
      version: 1,
      owners: [...this.owners],
      shared: [...this.shared.keys()],
      sites: Object.fromEntries(this.sites),
    };
    this.saving = this.saving
      .then(() => replaceFile(file, `${JSON.stringify(saved)}\n`))
      .catch((err: unknown) => this.options.log?.warn({ file, err: { code: (err as NodeJS.ErrnoException).code } }, 'key owners file could not be written'));
    return this.saving;
  }

  /** Writes any pending change and stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      await this.save();
    }
    await this.saving;
  }
}
