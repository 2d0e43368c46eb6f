// The operator's persisted state, as plain JSON-serialisable records. Times are ms unless named otherwise.
// Field names follow the real operator's stores (spec §8.1) where one exists.

export const ROLES = ['GENERATOR', 'MAPPER', 'ID_READER', 'SHARER', 'OPTOUT'] as const;
export type Role = (typeof ROLES)[number];

/** What each role lets a participant's API key do (spec §1.5); the portal shows these beside the checkboxes. */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  GENERATOR: 'generate and validate tokens from emails and phones (/v2/token/generate)',
  MAPPER: 'map emails and phones to raw UID2s (/v3/identity/map, /v2/identity/map)',
  ID_READER: 'decrypt tokens: sharing and bid-stream keys (/v2/key/sharing, /v2/key/bidstream)',
  SHARER: 'encrypt and decrypt sharing tokens (/v2/key/sharing)',
  OPTOUT: 'opt users out (/v2/token/logout)',
};

export const PARTICIPANT_TYPES = ['DSP', 'ADVERTISER', 'DATA_PROVIDER', 'PUBLISHER'] as const;
export type ParticipantType = (typeof PARTICIPANT_TYPES)[number];

/** An API key, stored only as salted SHA-512 (spec §1.4); the secret is kept for the v2 envelope. */
export interface ApiKeyRecord {
  keyId: string;
  keyHash: string;
  keySalt: string;
  secret: string;
  created: number;
  disabled: boolean;
}

/** A client-side (CSTG) key pair: `UID2-X-L-` + base64 SPKI and `UID2-Y-L-` + base64 PKCS#8. */
export interface ClientSideKeypairRecord {
  subscriptionId: string;
  publicKey: string;
  privateKey: string;
  created: number;
  disabled: boolean;
}

export interface ParticipantRecord {
  siteId: number;
  name: string;
  type: ParticipantType;
  roles: Role[];
  domains: string[];
  created: number;
  apiKeys: ApiKeyRecord[];
  keypairs: ClientSideKeypairRecord[];
}

/** Keysets -1 (master) and -2 (refresh) are the operator's; every participant has one default keyset. */
export interface KeysetRecord {
  keysetId: number;
  siteId: number;
  name: string;
  created: number;
  enabled: boolean;
  isDefault: boolean;
}

export interface KeyRecord {
  id: number;
  keysetId: number;
  created: number;
  activates: number;
  expires: number;
  /** base64 of 32 random bytes */
  secret: string;
}

/** A sender's sharing permissions as the portal holds them: chosen sites and whole participant types. */
export interface SharingGrant {
  siteId: number;
  sites: number[];
  types: ParticipantType[];
}

export interface OptoutRecord {
  /** base64 first-level hash: the opt-out key (spec §6) */
  firstLevelHash: string;
  /** base64 raw UID2 at the time of opt-out, for /v2/optout/status */
  rawUid: string;
  since: number;
}

export interface SaltConfig {
  /** first_level salt text (spec §7 step 2) */
  firstLevel: string;
  /** bucket_id prefix and Hashids secret (spec §7 salt file formats) */
  idPrefix: string;
  idSecret: string;
}

export interface OperatorState {
  version: 1;
  adminKeyHash: string;
  adminKeySalt: string;
  participants: ParticipantRecord[];
  keysets: KeysetRecord[];
  keys: KeyRecord[];
  sharing: SharingGrant[];
  optouts: OptoutRecord[];
  salt: SaltConfig;
  nextKeyId: number;
  nextKeysetId: number;
  lastRotation: number;
  /** Last scheduled salt-bucket rotation, ms (absent in data dirs from before salt rotation). */
  lastSaltRotation?: number;
}

export const MASTER_KEYSET_ID = -1;
export const REFRESH_KEYSET_ID = -2;
export const MASTER_SITE_ID = -1;
export const REFRESH_SITE_ID = -2;
