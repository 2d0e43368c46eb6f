// The two operator calls a browser makes. Both are CORS "simple" requests (POST, text body, no custom
// headers), so the browser sends no preflight.
import { fromB64, toB64 } from './b64.ts';
import { subtle, utf8 } from './hash.ts';
import type { Identity, Options, Reply } from './types.ts';

const EC = { name: 'ECDH', namedCurve: 'P-256' };
const GCM = 'AES-GCM';

const post = (o: Options, path: string, body: string): Promise<Response> =>
  // A hung request would hold the single refresh slot forever; ten seconds is plenty for an operator.
  fetch(o.operatorUrl.replace(/\/$/, '') + path, { method: 'POST', body, signal: AbortSignal.timeout?.(1e4) });

/** Both 200 bodies are base64(IV(12) || AES-GCM ciphertext || tag(16)) of the JSON reply, no AAD. */
const open = async (key: CryptoKey, body: string): Promise<Reply> => {
  const bytes = fromB64(body);
  return new Response(await subtle.decrypt({ name: GCM, iv: bytes.subarray(0, 12) }, key, bytes.subarray(12))).json();
};

/**
 * Client-side token generation: ECDH with the operator's public key; the raw shared secret is the
 * AES-256-GCM key for the request (AAD = `[timestamp]`) and for the reply. Only a hash is sent.
 */
export async function generate(o: Options, hashes: Record<string, string>): Promise<Reply> {
  // The key string is `UID2-X-<env>-` (9 characters) followed by base64 SPKI.
  const server = await subtle.importKey('spki', fromB64(o.serverPublicKey.slice(9)), EC, false, []);
  const pair = (await subtle.generateKey(EC, false, ['deriveKey'])) as CryptoKeyPair;
  const key = await subtle.deriveKey({ name: 'ECDH', public: server }, pair.privateKey, { name: GCM, length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const timestamp = Date.now();
  const payload = await subtle.encrypt({ name: GCM, iv, additionalData: utf8(`[${timestamp}]`) }, key, utf8(JSON.stringify(hashes)));
  const res = await post(
    o,
    '/v2/token/client-generate',
    JSON.stringify({
      payload: toB64(payload),
      iv: toB64(iv),
      public_key: toB64(await subtle.exportKey('spki', pair.publicKey)),
      timestamp,
      subscription_id: o.subscriptionId,
    }),
  );
  // Errors come back as plain JSON; the page has no use for their text.
  return res.ok ? open(key, await res.text()) : {};
}

/**
 * Refresh: the body is the refresh token itself. A 200 is encrypted with the identity's
 * refresh_response_key (plain JSON on the legacy path without one). Other answers come back as their HTTP
 * status: a 400 means the operator will never refresh this token (unauthenticated callers such as a
 * browser get no finer status than that for invalid or expired tokens).
 */
export async function refresh(o: Options, id: Identity): Promise<Reply> {
  const res = await post(o, '/v2/token/refresh', id.refresh_token);
  if (!res.ok) return { status: res.status };
  const k = id.refresh_response_key;
  return k ? open(await subtle.importKey('raw', fromB64(k), GCM, false, ['decrypt']), await res.text()) : res.json();
}
