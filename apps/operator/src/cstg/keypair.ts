// Client-side token generation key pairs (spec §3.3): P-256, published as `UID2-X-L-` + base64 SPKI,
// kept as `UID2-Y-L-` + base64 PKCS#8 (`EUID-…` on an EUID operator). The 9-character prefix is what
// SDKs strip.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { OperatorError } from '../errors.ts';
import type { Scope } from '../identity/raw-uid.ts';

const KEY_PREFIX_LENGTH = 9;

export interface EncodedKeypair {
  publicKey: string;
  privateKey: string;
}

export function generateCstgKeypair(scope: Scope = 'UID2'): EncodedKeypair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKey: `${scope}-X-L-${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
    privateKey: `${scope}-Y-L-${privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')}`,
  };
}

/** The same pair under another scope's prefix (the key material does not depend on the scope). */
export const inScope = <T extends EncodedKeypair>(pair: T, scope: Scope): T => ({
  ...pair,
  publicKey: scope + pair.publicKey.slice(4),
  privateKey: scope + pair.privateKey.slice(4),
});

export function importServerPrivateKey(encoded: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(encoded.slice(KEY_PREFIX_LENGTH), 'base64'), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new OperatorError('BAD_STATE', 'client-side private key is not a PKCS#8 P-256 key', { cause });
  }
}

/** Checks that a stored pair belongs together: the private key's public point is the published key. */
export function keypairMatches(pair: EncodedKeypair): boolean {
  const derived = createPublicKey(importServerPrivateKey(pair.privateKey)).export({ type: 'spki', format: 'der' });
  return derived.toString('base64') === pair.publicKey.slice(KEY_PREFIX_LENGTH);
}
