// The data dir: state.json (participants, keys, grants, opt-outs), salts.txt (salt buckets) and
// audit.jsonl (audit trail). Owner-only, written atomically; a new dir is seeded from a fixture.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeySchedule } from '../config.ts';
import { OperatorError } from '../errors.ts';
import { addKey } from '../keys/keys.ts';
import { hashApiKey, newSalt } from '../participants/api-keys.ts';
import { addParticipant } from '../participants/participants.ts';
import { grantSites, grantTypes } from '../sharing/grants.ts';
import { identityFromField, identityFromText, type IdentityInput } from '../identity/dii-input.ts';
import { TEST_IDENTITIES } from '../identity/optout.ts';
import type { Scope } from '../identity/raw-uid.ts';
import {
  SaltBuckets,
  generateSaltBuckets,
  generateSaltConfig,
  parseSaltLines,
  type RawUidVersion,
  type SaltBucket,
} from '../identity/salt-buckets.ts';
import { AuditTrail } from '../audit/audit-trail.ts';
import { ensurePrivateDir, writeFileAtomic } from './atomic-file.ts';
import type { OperatorFixture } from './fixture.ts';
import {
  MASTER_KEYSET_ID,
  MASTER_SITE_ID,
  REFRESH_KEYSET_ID,
  REFRESH_SITE_ID,
  type OperatorState,
  type OptoutRecord,
  type SaltConfig,
} from './model.ts';

export interface SaltSeed {
  /** first_level salt text */
  firstLevel: string;
  /** salt file lines (spec §7 format) */
  lines: string[];
  idPrefix?: string;
  idSecret?: string;
}

export interface OpenStoreOptions {
  dataDir: string;
  fixture: () => OperatorFixture;
  now: () => number;
  schedule: KeySchedule;
  saltBucketCount: number;
  salts?: SaltSeed;
  rawUidVersion: RawUidVersion;
  /** UID2 (default) or EUID: the scope of every token, raw UID2 and key this operator issues. */
  scope?: Scope;
}

export class OperatorStore {
  readonly dataDir: string;
  readonly state: OperatorState;
  readonly salts: SaltBuckets;
  readonly audit: AuditTrail;
  /** True when this open created and seeded the data dir. */
  readonly seeded: boolean;

  private constructor(dataDir: string, state: OperatorState, salts: SaltBuckets, audit: AuditTrail, seeded: boolean) {
    this.dataDir = dataDir;
    this.state = state;
    this.salts = salts;
    this.audit = audit;
    this.seeded = seeded;
  }

  static open(options: OpenStoreOptions): OperatorStore {
    const { dataDir, now } = options;
    ensurePrivateDir(dataDir);
    const statePath = join(dataDir, 'state.json');
    const saltsPath = join(dataDir, 'salts.txt');
    const audit = new AuditTrail(join(dataDir, 'audit.jsonl'), now);
    const seeded = !existsSync(statePath);

    let buckets: SaltBucket[];
    let state: OperatorState;
    if (seeded) {
      const saltConfig: SaltConfig = options.salts
        ? { ...generateSaltConfig(), firstLevel: options.salts.firstLevel, ...pick(options.salts) }
        : generateSaltConfig();
      buckets = options.salts ? parseSaltLines(options.salts.lines.join('\n')) : generateSaltBuckets(options.saltBucketCount, now());
      state = emptyState(saltConfig, now());
    } else {
      buckets = parseSaltLines(readText(saltsPath));
      state = parseState(readText(statePath), statePath);
    }
    const salts = new SaltBuckets(state.salt, buckets, { rawUidVersion: options.rawUidVersion, scope: options.scope ?? 'UID2' });
    const store = new OperatorStore(dataDir, state, salts, audit, seeded);
    if (seeded) {
      store.saveSalts();
      store.#seed(options.fixture(), options);
    }
    return store;
  }

  #seed(fixture: OperatorFixture, options: OpenStoreOptions): void {
    const now = options.now();
    const s = this.state;
    s.adminKeySalt = newSalt();
    s.adminKeyHash = hashApiKey(fixture.adminKey, s.adminKeySalt);
    for (const [keysetId, siteId, name] of [
      [MASTER_KEYSET_ID, MASTER_SITE_ID, 'master'],
      [REFRESH_KEYSET_ID, REFRESH_SITE_ID, 'refresh'],
    ] as const) {
      s.keysets.push({ keysetId, siteId, name, created: now, enabled: true, isDefault: true });
      addKey(s, keysetId, now, 0, options.schedule.keyLifetimeMs);
    }
    for (const p of fixture.participants) addParticipant(s, p, now, options.schedule, options.scope ?? 'UID2');
    for (const g of fixture.sharing) {
      grantTypes(s, g.siteId, g.types);
      grantSites(s, g.siteId, g.sites);
    }
    // The documented always-opted-out test identities are stored too, so /v2/optout/status reports them.
    for (const dii of TEST_IDENTITIES.always) this.addOptout(identityFromText(dii)!, now);
    for (const entry of fixture.optouts) {
      const identity =
        typeof entry === 'string'
          ? identityFromText(entry)
          : 'email_hash' in entry
            ? identityFromField('email_hash', entry.email_hash)
            : identityFromField('phone_hash', entry.phone_hash);
      if (!identity) throw new OperatorError('BAD_FIXTURE', 'fixture opt-out is not a valid email, phone or hash');
      this.addOptout(identity, now);
    }
    s.lastRotation = now;
    s.lastSaltRotation = now;
    this.save();
    this.audit.record('operator', 'Seed Data Dir', {
      participants: fixture.participants.map((p) => p.siteId),
      sharing: fixture.sharing.length,
      optouts: fixture.optouts.length,
    });
  }

  /** Records an opt-out; returns false when the identity was already opted out. Caller saves. */
  addOptout(identity: IdentityInput, now: number): boolean {
    const mapped = this.salts.map(identity.hash, identity.kind);
    const flh = mapped.firstLevelHash.toString('base64');
    if (this.state.optouts.some((o) => o.firstLevelHash === flh)) return false;
    const record: OptoutRecord = { firstLevelHash: flh, rawUid: mapped.rawUid.toString('base64'), since: now };
    this.state.optouts.push(record);
    return true;
  }

  save(): void {
    writeFileAtomic(join(this.dataDir, 'state.json'), JSON.stringify(this.state));
  }

  /** Writes salts.txt (after a salt rotation), atomically like state.json. */
  saveSalts(): void {
    writeFileAtomic(join(this.dataDir, 'salts.txt'), this.salts.toFileText());
  }

  /** Applies a change and persists it; nothing is saved when the change throws. */
  mutate<T>(change: (state: OperatorState) => T): T {
    const before = JSON.stringify(this.state);
    try {
      const result = change(this.state);
      this.save();
      return result;
    } catch (error) {
      Object.assign(this.state, JSON.parse(before) as OperatorState);
      throw error;
    }
  }
}

function pick(s: SaltSeed): Partial<SaltConfig> {
  const out: Partial<SaltConfig> = {};
  if (s.idPrefix !== undefined) out.idPrefix = s.idPrefix;
  if (s.idSecret !== undefined) out.idSecret = s.idSecret;
  return out;
}

function emptyState(salt: SaltConfig, now: number): OperatorState {
  return {
    version: 1,
    adminKeyHash: '',
    adminKeySalt: '',
    participants: [],
    keysets: [],
    keys: [],
    sharing: [],
    optouts: [],
    salt,
    nextKeyId: 1,
    nextKeysetId: 1001,
    lastRotation: now,
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OperatorError('BAD_STATE', `cannot read ${path}`, { cause });
  }
}

function parseState(text: string, path: string): OperatorState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new OperatorError('BAD_STATE', `${path} is not valid JSON`, { cause });
  }
  const s = value as Partial<OperatorState> | null;
  const arrays = ['participants', 'keysets', 'keys', 'sharing', 'optouts'] as const;
  if (!s || s.version !== 1 || arrays.some((k) => !Array.isArray(s[k])) || typeof s.salt?.firstLevel !== 'string') {
    throw new OperatorError('BAD_STATE', `${path} is not an operator state file (version 1)`);
  }
  return s as OperatorState;
}

