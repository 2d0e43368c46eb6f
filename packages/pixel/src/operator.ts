// The two operator calls a browser makes, through one request helper. Both are CORS "simple" requests
// (POST, text body, no custom headers), so the browser sends no preflight.
import { fromB64, toB64 } from './b64.ts';
import { subtle, utf8 } from './hash.ts';
import type { Identity, Reply } from './types.ts';

const EC = { name: 'ECDH', namedCurve: 'P-256' };
const GCM = 'AES-GCM';

/**
 * POSTs `body` and reads the answer. A 200 body is base64(IV(12) || AES-GCM ciphertext || tag(16)) of
 * the JSON reply, no AAD (plain JSON when there is no key: the legacy refresh path). A 400 comes back as
 * its status and the operator's message (the caller decides what it means: a dead refresh token, a CSTG
 * setup error); any other failure throws, as it is transient, with its status only. The text logged is
 * the operator's own JSON message, never DII.
 */
const call = async (url: string, path: string, body: string, key?: CryptoKey): Promise<Reply> => {
  // A hung request would hold the single refresh slot forever; ten seconds is plenty for an operator.
  const res = await fetch(url.replace(/\/$/, '') + path, { method: 'POST', body, signal: AbortSignal.timeout?.(1e4) });
  const text = await res.text();
  const bytes = res.ok && key && fromB64(text);
  if (res.status == 400) return { status: '400 ' + text };
  // The status only: a proxy's error page may echo the request, and the refresh request is a token.
  if (!res.ok) throw Error(`${path}: ${res.status}`);
  return new Response(bytes ? await subtle.decrypt({ name: GCM, iv: bytes.subarray(0, 12) }, key!, bytes.subarray(12)) : text).json();
};

/**
 * Client-side token generation: ECDH with the operator's public key; the raw shared secret is the
 * AES-256-GCM key for the request (AAD = `[timestamp]`) and for the reply. Only a hash is sent.
 */
export async function generate(url: string, serverPublicKey: string, subscriptionId: string, payload: object): Promise<Reply> {
  // The key string is `UID2-X-<env>-` or `EUID-X-<env>-` (9 characters) followed by base64 SPKI.
  const server = await subtle.importKey('spki', fromB64(serverPublicKey.slice(9)), EC, false, []);
  const pair = (await subtle.generateKey(EC, false, ['deriveKey'])) as CryptoKeyPair;
  const key = await subtle.deriveKey({ name: 'ECDH', public: server }, pair.privateKey, { name: GCM, length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const timestamp = Date.now();
  const sealed = await subtle.encrypt({ name: GCM, iv, additionalData: utf8(`[${timestamp}]`) }, key, utf8(JSON.stringify(payload)));
  const request = {
    payload: toB64(sealed),
    iv: toB64(iv),
    public_key: toB64(await subtle.exportKey('spki', pair.publicKey)),
    timestamp,
    subscription_id: subscriptionId,
  };
  return call(url, '/v2/token/client-generate', JSON.stringify(request), key);
}

/**
 * Refresh: the body is the refresh token itself; the 200 answer is encrypted with the identity's
 * refresh_response_key. Unauthenticated callers such as a browser get no finer status than a 400 for
 * invalid or expired refresh tokens.
 */
export const refresh = async (url: string, { refresh_token, refresh_response_key: k }: Identity): Promise<Reply> =>
  call(url, '/v2/token/refresh', refresh_token, k ? await subtle.importKey('raw', fromB64(k), GCM, false, ['decrypt']) : undefined);
