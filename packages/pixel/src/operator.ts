// The two operator calls a browser makes. Both are CORS "simple" requests (POST, text body, no custom
// headers), so the browser sends no preflight.
import { fromB64, toB64 } from './b64.ts';
import { subtle, utf8 } from './hash.ts';
import type { Identity, Reply } from './types.ts';

const EC = { name: 'ECDH', namedCurve: 'P-256' };
const GCM = 'AES-GCM';

/** A 400 comes back as an answer when `refresh` (the caller reads its status), else it throws. */
const post = async (url: string, path: string, body: string, refresh?: boolean): Promise<Response> => {
  // A hung request would hold the single refresh slot forever; ten seconds is plenty for an operator.
  const res = await fetch(url.replace(/\/$/, '') + path, { method: 'POST', body, signal: AbortSignal.timeout?.(1e4) });
  // The error's text is what the caller logs: the operator's own JSON message, never DII.
  if (res.status > 299 && !(refresh && res.status == 400)) throw Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
};

/** Both 200 bodies are base64(IV(12) || AES-GCM ciphertext || tag(16)) of the JSON reply, no AAD. */
const open = async (key: CryptoKey, body: string): Promise<Reply> => {
  const bytes = fromB64(body);
  return new Response(await subtle.decrypt({ name: GCM, iv: bytes.subarray(0, 12) }, key, bytes.subarray(12))).json();
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
  const res = await post(
    url,
    '/v2/token/client-generate',
    JSON.stringify({
      payload: toB64(sealed),
      iv: toB64(iv),
      public_key: toB64(await subtle.exportKey('spki', pair.publicKey)),
      timestamp,
      subscription_id: subscriptionId,
    }),
  );
  // A 400 (a setup or input error: bad subscription id, undecryptable payload) threw: the caller logs it.
  return open(key, await res.text());
}

/**
 * Refresh: the body is the refresh token itself. A 200 is encrypted with the identity's
 * refresh_response_key (plain JSON on the legacy path without one). A 400 comes back as its status: the
 * operator will never refresh this token (unauthenticated callers such as a browser get no finer status
 * than that for invalid or expired tokens). Other failures throw: they are transient.
 */
export async function refresh(url: string, id: Identity): Promise<Reply> {
  const res = await post(url, '/v2/token/refresh', id.refresh_token, true);
  if (!res.ok) return { status: res.status };
  const k = id.refresh_response_key;
  return k ? open(await subtle.importKey('raw', fromB64(k), GCM, false, ['decrypt']), await res.text()) : res.json();
}
