// Keys the receiver issues to its senders for the bulk API. Only a hash is stored (config
// `senders[].keyHashes`), several per sender so a key can be rotated without downtime. A key is 32
// random bytes: a plain SHA-256 of it is enough (nothing to brute-force), and it keeps the check cheap.
// A presented key is compared against every stored hash in constant time, with no early exit, so the
// time to answer says nothing about which sender or how many bytes matched.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SENDER_KEY_PREFIX = 'u2sk_';

export interface IssuedSenderKey {
  senderSiteId: number;
  /** Give this to the sender once; it is not stored anywhere. */
  key: string;
  /** Put this in the sender's `keyHashes`. */
  hash: string;
}

export function hashSenderKey(key: string): string {
  return 'sha256:' + createHash('sha256').update(key, 'utf8').digest('hex');
}

export function issueSenderKey(senderSiteId: number): IssuedSenderKey {
  const key = `${SENDER_KEY_PREFIX}${senderSiteId}_${randomBytes(32).toString('base64url')}`;
  return { senderSiteId, key, hash: hashSenderKey(key) };
}

export class SenderKeys {
  private readonly entries: Array<{ siteId: number; digest: Buffer }> = [];

  constructor(senders: ReadonlyArray<{ siteId: number; keyHashes?: readonly string[] | undefined }>) {
    for (const s of senders) for (const h of s.keyHashes ?? []) this.entries.push({ siteId: s.siteId, digest: Buffer.from(h.slice(7), 'hex') });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The sender a presented key belongs to, or null. Constant time in the key's content. */
  senderOf(presented: string | undefined): number | null {
    const digest = createHash('sha256').update(presented ?? '', 'utf8').digest();
    let found: number | null = null;
    for (const e of this.entries) if (timingSafeEqual(digest, e.digest) && found === null) found = e.siteId;
    return presented ? found : null;
  }
}
