// A CSTG client written the way the browser SDK does it (WebCrypto: ECDH P-256 -> AES-GCM-256, AAD =
// JSON [timestamp]); Node's globalThis.crypto is the same WebCrypto API as Chromium's.
const subtle = globalThis.crypto.subtle;
const b64 = (bytes: ArrayBuffer | Uint8Array): string => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64');

export interface CstgBox {
  body: Record<string, unknown>;
  key: CryptoKey;
}

export async function sealCstgRequest(
  serverPublicKey: string,
  subscriptionId: string,
  dii: Record<string, string>,
  options: { timestamp?: number; aadTimestamp?: number } = {},
): Promise<CstgBox> {
  const pair = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveKey'])) as CryptoKeyPair;
  const server = await subtle.importKey('spki', Buffer.from(serverPublicKey.slice(9), 'base64'), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const key = await subtle.deriveKey({ name: 'ECDH', public: server }, pair.privateKey, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const timestamp = options.timestamp ?? Date.now();
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const aad = new TextEncoder().encode(JSON.stringify([options.aadTimestamp ?? timestamp]));
  const payload = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, new TextEncoder().encode(JSON.stringify(dii)));
  return {
    key,
    body: {
      payload: b64(payload),
      iv: b64(iv),
      public_key: b64(await subtle.exportKey('spki', pair.publicKey)),
      timestamp,
      subscription_id: subscriptionId,
    },
  };
}

export async function openCstgResponse(key: CryptoKey, text: string): Promise<{ status: string; body?: Record<string, unknown> }> {
  const bytes = Buffer.from(text, 'base64');
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, key, bytes.subarray(12));
  return JSON.parse(new TextDecoder().decode(plain));
}
