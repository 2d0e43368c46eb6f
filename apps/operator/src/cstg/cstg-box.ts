// CSTG crypto (spec §3.3): ECDH P-256 between the participant's server key and the browser's ephemeral
// key; the 32-byte shared x-coordinate is the AES-256-GCM key, no KDF. The request binds the timestamp
// (and app name) as AAD; the response is plain IV || ciphertext || tag under the same key.
import { createDecipheriv, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { aesGcmEncrypt } from '@uid2-pixels/uid2/crypto/aes';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** The browser's SPKI public key (base64), or null when it is not a P-256 EC key. */
export function importClientPublicKey(spkiBase64: string): KeyObject | null {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}

export function sharedSecret(serverPrivateKey: KeyObject, clientPublicKey: KeyObject): Buffer | null {
  try {
    return diffieHellman({ privateKey: serverPrivateKey, publicKey: clientPublicKey });
  } catch {
    return null;
  }
}

/** The AAD exactly as the operator serialises it: `[timestamp]` or `[timestamp,"app_name"]`. */
export function cstgAad(timestamp: number, appName?: string): Buffer {
  return Buffer.from(JSON.stringify(appName === undefined ? [timestamp] : [timestamp, appName]), 'utf8');
}

/** Decrypts `payload` (ciphertext || tag) with the shared key; null when anything does not verify. */
export function openCstgPayload(key: Uint8Array, iv: Uint8Array, payload: Uint8Array, aad: Uint8Array): Buffer | null {
  if (iv.length !== IV_LENGTH || payload.length < TAG_LENGTH) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(payload.subarray(payload.length - TAG_LENGTH));
    const plain = decipher.update(payload.subarray(0, payload.length - TAG_LENGTH));
    decipher.final();
    return plain;
  } catch {
    return null;
  }
}

/** The response body: base64(IV || AES-GCM(shared key, JSON) || tag), no AAD. */
export function sealCstgResponse(key: Uint8Array, json: object): string {
  return Buffer.from(aesGcmEncrypt(key, Buffer.from(JSON.stringify(json), 'utf8'))).toString('base64');
}
