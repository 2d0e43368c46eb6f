// Client-side token generation in real Chromium against the local operator: a page on another origin
// (http://localhost:<port>, served by a second server) runs the browser SDK's CSTG algorithm with
// WebCrypto — ECDH P-256, the raw shared secret as the AES-GCM-256 key, AAD = JSON [timestamp] — then
// refreshes the identity the way the SDK (simple request) and Prebid (X-UID2-Client-Version, so a
// preflight) do. A page on an IP origin is refused with a 403 the page can still read (CORS on errors).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SharingClient, type IdentityTokensJson } from '@uid2-pixels/uid2/clients';
import { startOperator, type RunningOperator } from '@uid2-pixels/operator';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>CSTG test page</title></head>
<body><p id="status">ready</p></body></html>`;

let operator: RunningOperator;
let pageServer: Server;
let pagePort: number;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'uid2-e2e-operator-'));
  operator = await startOperator({ port: 0, dataDir });
  pageServer = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pagePort = (pageServer.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => pageServer?.close(resolve));
  await operator?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type PageIdentity = IdentityTokensJson;

interface CstgOutcome {
  httpStatus: number;
  json: { status: string; message?: string; body?: PageIdentity };
}

/** Runs in the page: the SDK's CSTG request and response handling, from the email's normalised hash. */
async function clientGenerateInPage(args: { operatorUrl: string; serverPublicKey: string; subscriptionId: string; email: string }): Promise<CstgOutcome> {
  const subtle = crypto.subtle;
  const toB64 = (buf: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(buf instanceof Uint8Array ? buf : new Uint8Array(buf))));
  const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const emailHash = toB64(await subtle.digest('SHA-256', new TextEncoder().encode(args.email)));

  const pair = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveKey']);
  const serverKey = await subtle.importKey('spki', fromB64(args.serverPublicKey.slice(9)), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const key = await subtle.deriveKey({ name: 'ECDH', public: serverKey }, pair.privateKey, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const now = Date.now();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const payload = await subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(JSON.stringify([now])) },
    key,
    new TextEncoder().encode(JSON.stringify({ email_hash: emailHash })),
  );
  const body = JSON.stringify({
    payload: toB64(payload),
    iv: toB64(iv),
    public_key: toB64(await subtle.exportKey('spki', pair.publicKey)),
    timestamp: now,
    subscription_id: args.subscriptionId,
  });
  // No headers: a CORS simple request (text/plain), exactly like the SDK's XHR.
  const res = await fetch(`${args.operatorUrl}/v2/token/client-generate?client=uid2-sdk-4.0.95`, { method: 'POST', body });
  const text = await res.text();
  if (res.status !== 200) return { httpStatus: res.status, json: JSON.parse(text) };
  const bytes = fromB64(text);
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return { httpStatus: 200, json: JSON.parse(new TextDecoder().decode(plain)) };
}

/** Runs in the page: POST the refresh token, decrypt the answer with the identity's refresh_response_key. */
async function refreshInPage(args: { operatorUrl: string; identity: PageIdentity; prebidHeader: boolean }): Promise<CstgOutcome> {
  const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const headers: Record<string, string> = args.prebidHeader ? { 'X-UID2-Client-Version': 'prebid-11.36.0' } : {};
  const res = await fetch(`${args.operatorUrl}/v2/token/refresh?client=uid2-sdk-4.0.95`, { method: 'POST', headers, body: args.identity.refresh_token });
  const text = await res.text();
  if (res.status !== 200) return { httpStatus: res.status, json: JSON.parse(text) };
  const key = await crypto.subtle.importKey('raw', fromB64(args.identity.refresh_response_key), { name: 'AES-GCM' }, false, ['decrypt']);
  const bytes = fromB64(text);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return { httpStatus: 200, json: JSON.parse(new TextDecoder().decode(plain)) };
}

const shop = () => operator.fixture.participants.find((p) => p.siteId === 101)!;

test('a page on localhost generates a token client-side and refreshes it (SDK and Prebid style)', async ({ page }) => {
  await page.goto(`http://localhost:${pagePort}/`);
  await expect(page.locator('#status')).toHaveText('ready');

  const generated = await page.evaluate(clientGenerateInPage, {
    operatorUrl: operator.url,
    serverPublicKey: shop().publicKey,
    subscriptionId: shop().subscriptionId,
    email: 'browser.user@example.com',
  });
  expect(generated.httpStatus).toBe(200);
  expect(generated.json.status).toBe('success');
  const identity = generated.json.body!;
  expect(identity.refresh_token).toHaveLength(388);
  expect(identity.advertising_token).toMatch(/^A4[A-Za-z0-9_-]+$/);

  // (the same request from an IP origin is refused below, so the Origin check really ran)
  // the token is the shop's, client-side generated: its own sharing keys open it
  const own = new SharingClient({ baseUrl: operator.url, apiKey: shop().apiKey, secret: shop().secret });
  await own.refreshKeys();
  const decrypted = own.decrypt(identity.advertising_token);
  expect(decrypted.status).toBe('Success');
  expect(decrypted.siteId).toBe(101);
  expect(decrypted.isClientSideGenerated).toBe(true);

  const refreshed = await page.evaluate(refreshInPage, { operatorUrl: operator.url, identity, prebidHeader: false });
  expect(refreshed.httpStatus).toBe(200);
  expect(refreshed.json.status).toBe('success');
  const second = refreshed.json.body!;
  expect(second.refresh_response_key).not.toBe(identity.refresh_response_key);
  expect(own.decrypt(second.advertising_token).uid).toBe(decrypted.uid);

  // the custom header makes Chromium preflight; a missing Access-Control-Allow-Headers would fail the fetch
  const prebid = await page.evaluate(refreshInPage, { operatorUrl: operator.url, identity: second, prebidHeader: true });
  expect(prebid.httpStatus).toBe(200);
  expect(prebid.json.status).toBe('success');
});

test('an opted-out user gets optout, sealed, in the page', async ({ page }) => {
  await page.goto(`http://localhost:${pagePort}/`);
  const outcome = await page.evaluate(clientGenerateInPage, {
    operatorUrl: operator.url,
    serverPublicKey: shop().publicKey,
    subscriptionId: shop().subscriptionId,
    email: 'optout@example.com',
  });
  expect(outcome).toEqual({ httpStatus: 200, json: { status: 'optout' } });
});

test('a page on a disallowed origin is refused with 403 invalid_http_origin, readable by the page', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  const outcome = await page.evaluate(clientGenerateInPage, {
    operatorUrl: operator.url,
    serverPublicKey: shop().publicKey,
    subscriptionId: shop().subscriptionId,
    email: 'browser.user@example.com',
  });
  expect(outcome).toEqual({ httpStatus: 403, json: { status: 'invalid_http_origin', message: 'unexpected http origin' } });
});

test('an unknown subscription id is a 400 the page can read', async ({ page }) => {
  await page.goto(`http://localhost:${pagePort}/`);
  const outcome = await page.evaluate(clientGenerateInPage, {
    operatorUrl: operator.url,
    serverPublicKey: shop().publicKey,
    subscriptionId: 'NoSuchSub',
    email: 'browser.user@example.com',
  });
  expect(outcome).toEqual({ httpStatus: 400, json: { status: 'client_error', message: 'bad subscription_id' } });
});
