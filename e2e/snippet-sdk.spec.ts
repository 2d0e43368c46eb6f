// Our snippet as a drop-in for the official UID2 web SDK, in real Chromium against our operator: the
// official client-side integration guide's page code with our script in the SDK's place; two tabs
// sharing one identity through storage and the refresh timer; the next page load started from the
// init config the last page stored (localStorage or cookie), with no code of its own; the identity
// cookie shared across two subdomains with cookieDomain. Every request, cookie and storage entry is searched for the email,
// its hashes and the raw UID2.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { startOperator, type RunningOperator } from '@uid2-pixels/operator';
import { postEnveloped } from '@uid2-pixels/uid2';
import { startSdkSite, type SdkSite } from './snippet-sdk/page-server.ts';
import { identifyingForms, leaks, recordRequests, type RecordedRequest } from './support/privacy.ts';

const ADVERTISER = 101; // Acme Shop: its CSTG domains include localhost (and so *.localhost)

let operator: RunningOperator;
let quickOperator: RunningOperator; // tokens due for refresh after 2 s
let site: SdkSite;
let quickSite: SdkSite;
const tempDirs: string[] = [];
const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `uid2-e2e-sdk-${label}-`));
  tempDirs.push(dir);
  return dir;
};
const advertiser = (op: RunningOperator) => op.fixture.participants.find((p) => p.siteId === ADVERTISER)!;
const configFor = (op: RunningOperator) => ({
  baseUrl: op.url,
  subscriptionId: advertiser(op).subscriptionId,
  serverPublicKey: advertiser(op).publicKey,
});

test.beforeAll(async () => {
  test.setTimeout(120_000);
  operator = await startOperator({ port: 0, dataDir: tempDir('op') });
  quickOperator = await startOperator({ port: 0, dataDir: tempDir('op-quick'), lifetimes: { refreshIdentityAfterSeconds: 2 } });
  const out = tempDir('build');
  await promisify(execFile)('pnpm', ['--filter', '@uid2-pixels/pixel', 'build', out], { timeout: 90_000 });
  const files = { snippet: join(out, 'uid2-pixel.iife.js'), dir: fileURLToPath(new URL('./snippet-sdk', import.meta.url)) };
  site = await startSdkSite(files, configFor(operator));
  quickSite = await startSdkSite(files, configFor(quickOperator));
});

test.afterAll(async () => {
  await site?.close();
  await quickSite?.close();
  await operator?.close();
  await quickOperator?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Does the operator say this token holds this email? (/v2/token/validate as the generating site.) */
async function holds(op: RunningOperator, token: string, email: string): Promise<boolean> {
  const a = advertiser(op);
  const answer = await postEnveloped({ baseUrl: op.url, apiKey: a.apiKey, secret: a.secret }, '/v2/token/validate', { token, email });
  return answer.body === true;
}

/** Requests, cookies and storage of every page hold no form of the emails (and no raw UID2). */
async function expectNothingIdentifying(requests: RecordedRequest[], pages: Page[], emails: string[]) {
  const forms = identifyingForms({ emails });
  expect(leaks(requests, forms)).toEqual([]);
  for (const page of pages) {
    const kept = await page.evaluate(() => JSON.stringify({ cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage } }));
    for (const form of forms) expect(kept.toLowerCase()).not.toContain(form.toLowerCase());
  }
}

test.describe('the official client-side integration guide page, with our script as the SDK', () => {
  test('log in, reload (the stored identity is used, no new CSTG), log out', async ({ page, context }) => {
    const requests = recordRequests(context);
    const email = 'guide.reader@example.com';
    await page.goto(`http://localhost:${site.port}/official.html`);
    await expect(page.locator('#login_required')).toHaveText('yes');
    await expect(page.locator('#login_form')).toBeVisible();

    await page.fill('#email', email);
    await page.click('#login');
    await expect(page.locator('#targeted_advertising_ready')).toHaveText('yes');
    const token = await page.locator('#advertising_token').textContent();
    expect(token).toMatch(/^A4[A-Za-z0-9_-]{100,}$/);
    expect(await holds(operator, token!, email)).toBe(true);
    await expect(page.locator('#login_required')).toHaveText('no');
    expect(JSON.parse((await page.locator('#identity_state').textContent())!).identity.advertising_token).toBe(token);

    await page.reload();
    await expect(page.locator('#advertising_token')).toHaveText(token!);
    await expect(page.locator('#logout_form')).toBeVisible();
    const cstgCalls = requests.filter((r) => r.url.endsWith('/v2/token/client-generate'));
    expect(cstgCalls).toHaveLength(1);
    expect(cstgCalls[0]!.headers['content-type']).toMatch(/^text\/plain/); // a simple CORS request, no preflight

    await page.click('#logout');
    await expect(page.locator('#advertising_token')).toHaveText('undefined');
    await expect(page.locator('#login_required')).toHaveText('yes');
    expect(await page.evaluate(() => localStorage.getItem('UID2-sdk-identity'))).toBeNull();
    await expectNothingIdentifying(requests, [page], [email]);
  });

  test('an opted-out user: no token, hasOptedOut, and no login asked for again', async ({ page }) => {
    await page.goto(`http://localhost:${site.port}/official.html`);
    await page.fill('#email', 'optout@example.com');
    await page.click('#login');
    await expect(page.locator('#has_opted_out')).toHaveText('yes');
    await expect(page.locator('#targeted_advertising_ready')).toHaveText('no');
    await expect(page.locator('#login_required')).toHaveText('no');
    await expect(page.locator('#error')).toHaveText('');
  });
});

test('two tabs share one identity: a login, the timer’s refresh and a logout in one reach the other', async ({ context }) => {
  const requests = recordRequests(context);
  const email = 'two.tabs@example.com';
  const url = `http://localhost:${quickSite.port}/tab.html?${encodeURIComponent(JSON.stringify({ refreshRetryPeriod: 1000 }))}`;
  const [a, b] = [await context.newPage(), await context.newPage()];
  await a.goto(url);
  await b.goto(url);
  const updates = (p: Page) => p.evaluate(() => (window as unknown as { updates: (string | null)[] }).updates);
  const tokenOf = (p: Page) => p.evaluate(() => (window as unknown as { __uid2: { getAdvertisingToken(): string } }).__uid2.getAdvertisingToken());

  const first = await a.evaluate((e) => (window as unknown as { __uid2: { setEmail(e: string): Promise<string> } }).__uid2.setEmail(e), email);
  expect(first).toBeTruthy();
  // b's timer reads a's identity from storage at its next tick and tells b's page.
  await expect.poll(() => updates(b), { timeout: 5000 }).toEqual([first]);

  // Both timers now tick; refresh_from passes every 2 s, so refreshes keep coming. Whichever tab
  // refreshes, both show the same new token: read both in one poll, since a later refresh may land
  // between two separate reads.
  await expect.poll(async () => (await updates(b)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  let refreshed = '';
  await expect
    .poll(
      async () => {
        const [x, y] = await Promise.all([tokenOf(a), tokenOf(b)]);
        refreshed = x;
        return Boolean(x) && x !== first && x === y;
      },
      { timeout: 5000 },
    )
    .toBe(true);
  expect(await holds(quickOperator, refreshed, email)).toBe(true);

  await a.evaluate(() => (window as unknown as { __uid2: { disconnect(): void } }).__uid2.disconnect());
  await expect.poll(async () => (await updates(b)).at(-1), { timeout: 5000 }).toBeNull();
  expect(await tokenOf(b)).toBeUndefined();
  await expectNothingIdentifying(requests, [a, b], [email]);
});

test.describe('the next page load: the stored init config starts a page that never calls init', () => {
  for (const useCookie of [false, true]) {
    test(`${useCookie ? 'the `__uid_2_config` cookie' : 'localStorage `UID2-sdk-identity_config`'}: the identity of the last page, and its refresh, with no code on this one`, async ({ page }) => {
      const email = `bootstrap.${useCookie ? 'cookie' : 'ls'}@example.com`;
      await page.goto(`http://localhost:${quickSite.port}/tab.html?${encodeURIComponent(JSON.stringify({ useCookie }))}`);
      const token = await page.evaluate((e) => (window as unknown as { __uid2: { setEmail(e: string): Promise<string> } }).__uid2.setEmail(e), email);
      expect(token).toBeTruthy();
      const stored = await page.evaluate(() => ({ cookie: document.cookie, local: localStorage.getItem('UID2-sdk-identity_config') }));
      if (useCookie) expect(stored.cookie).toContain('__uid_2_config=');
      else expect(JSON.parse(stored.local!).baseUrl).toBe(quickOperator.url);

      await page.goto(`http://localhost:${quickSite.port}/plain.html`);
      const uid2 = () => page.evaluate(() => {
        const sdk = (window as unknown as { __uid2: { isInitComplete(): boolean; getAdvertisingToken(): string } }).__uid2;
        return { init: sdk.isInitComplete(), token: sdk.getAdvertisingToken() };
      });
      expect(await uid2()).toEqual({ init: true, token });
      // refresh_from passes after 2 s: the bootstrapped client refreshes through the stored baseUrl.
      await expect.poll(async () => (await uid2()).token, { timeout: 10_000 }).not.toBe(token);
      expect(await holds(quickOperator, (await uid2()).token, email)).toBe(true);
    });
  }
});

test.describe('cookie storage across two subdomains of one site', () => {
  const open = async (page: Page, host: string, options: Record<string, unknown>) => {
    await page.goto(`http://${host}.shop.localhost:${site.port}/tab.html?${encodeURIComponent(JSON.stringify({ useCookie: true, ...options }))}`);
    await expect(page.locator('#status')).toHaveText('ready');
  };
  const tokenOf = (p: Page) => p.evaluate(() => (window as unknown as { __uid2: { getAdvertisingToken(): string } }).__uid2.getAdvertisingToken());

  test('with cookieDomain, a login on one subdomain is the identity of the other', async ({ context }) => {
    const requests = recordRequests(context);
    const email = 'two.subdomains@example.com';
    const [a, b] = [await context.newPage(), await context.newPage()];
    await open(a, 'www', { cookieDomain: 'shop.localhost' });
    const token = await a.evaluate((e) => (window as unknown as { __uid2: { setEmail(e: string): Promise<string> } }).__uid2.setEmail(e), email);
    expect(token).toBeTruthy();
    const [cookie] = (await context.cookies(`http://www.shop.localhost:${site.port}`)).filter((c) => c.name === '__uid_2');
    expect(cookie?.domain).toBe('.shop.localhost');
    expect(await a.evaluate(() => localStorage.getItem('UID2-sdk-identity'))).toBeNull();

    await open(b, 'checkout', { cookieDomain: 'shop.localhost' });
    expect(await tokenOf(b)).toBe(token);
    await b.evaluate(() => (window as unknown as { __uid2: { disconnect(): void } }).__uid2.disconnect()); // logout on the other subdomain
    expect((await context.cookies(`http://www.shop.localhost:${site.port}`)).filter((c) => c.name === '__uid_2')).toEqual([]);
    await expectNothingIdentifying(requests, [a, b], [email]);
  });

  test('without cookieDomain, the cookie stays on its own host', async ({ context }) => {
    const [a, b] = [await context.newPage(), await context.newPage()];
    await open(a, 'www', {});
    expect(await a.evaluate(() => (window as unknown as { __uid2: { setEmail(e: string): Promise<string> } }).__uid2.setEmail('one.host@example.com'))).toBeTruthy();
    await open(b, 'checkout', {});
    expect(await tokenOf(b)).toBeUndefined();
  });
});
